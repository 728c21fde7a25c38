package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/actors/console"
	"github.com/triad-mpc/triad/cmd/internal/progress"
	"github.com/triad-mpc/triad/node"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/session"
)

func runRun(ctx context.Context, args []string, stdout io.Writer) error {
	fs := cmdFlags("run")
	a := fs.String("controller-a", "", "controller A's CSV file (the hospital)")
	b := fs.String("controller-b", "", "controller B's CSV file (the insurer)")
	id := fs.String("id", "", "identifier column, present in both files")
	outcome := fs.String("outcome", "", "column to predict, present in one of the files")
	sep := fs.String("sep", "auto", `field separator of both files: one character, "tab", or "auto" to detect it`)
	decimal := fs.String("decimal", "auto", `decimal mark of numbers in both files: "." or ",", or "auto" to detect it`)
	out := fs.String("out", "triad-out", "folder for result.json and the disclosure logs")
	consoleAddr := fs.String("console", "", "serve the debug console on this host:port (e.g. 127.0.0.1:7070)")
	p := session.Default()
	settingFlags(fs, &p)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *a == "" || *b == "" || *id == "" || *outcome == "" {
		return usagef(fs, "run: --controller-a, --controller-b, --id and --outcome are required")
	}
	if err := checkSettings(fs, p); err != nil {
		return err
	}
	dialect, err := join.ParseDialect(*sep, *decimal)
	if err != nil {
		return usagef(fs, "run: %v", err)
	}
	res, err := runEmbedded(ctx, embedded{fileA: *a, fileB: *b, id: *id, outcome: *outcome, dialect: dialect, out: *out, settings: p,
		console: *consoleAddr, stdout: stdout, stderr: os.Stderr})
	if err != nil {
		return err
	}
	return printSummary(stdout, res, *out)
}

// embedded is a whole session with all three parties in this process, on loopback libp2p.
type embedded struct {
	fileA, fileB string
	id, outcome  string
	dialect      join.Dialect
	out          string
	settings     session.Settings
	opts         []session.Option
	console      string    // serve the debug console here, if set
	stdout       io.Writer // where to say what step 1 read and where the console is
	stderr       io.Writer // where to show progress, if set
}

// runEmbedded reads both files, starts three libp2p hosts on loopback with fresh keys,
// runs the protocol and writes result.json and the three disclosure logs into out.
func runEmbedded(ctx context.Context, e embedded) (*result, error) {
	if err := e.settings.Validate(e.opts...); err != nil {
		return nil, err
	}
	tables, err := readControllers(e)
	if err != nil {
		return nil, err
	}
	if err := prepareOut(e.out); err != nil {
		return nil, err
	}
	nodes, err := node.Loopback(ctx)
	if err != nil {
		return nil, fmt.Errorf("start loopback peers: %w", err)
	}
	defer func() {
		for _, n := range nodes {
			n.Close()
		}
	}()
	logs := make([]*disclosureFile, 3)
	for _, r := range protocol.Roles() {
		if logs[r], err = openDisclosure(e.out, r); err != nil {
			return nil, err
		}
	}
	var regs [3]*actors.Registry
	var parties []console.Party
	for _, r := range protocol.Roles() {
		regs[r] = actors.NewRegistry()
		regs[r].WatchPeers(peerLinks(nodes[r]))
		parties = append(parties, console.Party{Role: r.String(), Registry: regs[r]})
	}
	if e.console != "" {
		stop, err := startConsole(e.console, e.stdout, parties...)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	// controller A's view of the timeline stands for the session's progress.
	stopProgress := showProgress(e.stderr, regs[protocol.ControllerA])
	outs, err := protocol.RunParties(ctx, func(ctx context.Context, r protocol.Role) (*session.Outcome, error) {
		t, err := nodes[r].Transport(ctx)
		if err != nil {
			return nil, err
		}
		return actors.Run(ctx, actors.Config{
			Transport: t, Settings: e.settings, Options: e.opts, Table: tables[r], Disclosure: logs[r].log,
			Peers: peerStats(nodes[r]), Lost: nodes[r].Lost(),
		}, regs[r])
	})
	stopProgress()
	for _, l := range logs {
		if cerr := l.close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return nil, failedIn(err, e.out)
	}
	res := buildResult(outs[:], tables, e.settings)
	if err := writeOutputs(e.out, res, logs); err != nil {
		return nil, err
	}
	if e.stderr != nil {
		progress.WriteSummary(e.stderr, progress.SummaryRows(regs[protocol.ControllerA].State()))
	}
	return res, nil
}

// readControllers reads both controllers' files; the outcome goes to whichever holds it.
func readControllers(e embedded) (map[protocol.Role]*join.Table, error) {
	files := map[protocol.Role]string{protocol.ControllerA: e.fileA, protocol.ControllerB: e.fileB}
	holder := map[protocol.Role]bool{}
	for r, f := range files {
		h, _, err := join.FileHeader(f, e.dialect)
		if err != nil {
			return nil, err
		}
		for _, c := range h {
			if c == e.outcome {
				holder[r] = true
			}
		}
	}
	switch {
	case holder[protocol.ControllerA] && holder[protocol.ControllerB]:
		return nil, fmt.Errorf("outcome column %q is in both %s and %s: it must be in one", e.outcome, e.fileA, e.fileB)
	case !holder[protocol.ControllerA] && !holder[protocol.ControllerB]:
		return nil, fmt.Errorf("outcome column %q is in neither %s nor %s", e.outcome, e.fileA, e.fileB)
	}
	tables := map[protocol.Role]*join.Table{}
	for r, f := range files {
		spec := join.Spec{IDColumn: e.id, CaseFold: e.settings.Join.CaseFold, Fixed: e.settings.Join.Fixed, Dialect: e.dialect}
		if holder[r] {
			spec.Outcome = e.outcome
		}
		t, err := join.ReadFile(f, spec)
		if err != nil {
			return nil, err
		}
		if e.stdout != nil {
			printTable(e.stdout, r, t)
		}
		tables[r] = t
	}
	return tables, nil
}

// printTable says what step 1 made of a controller's file.
func printTable(w io.Writer, r protocol.Role, t *join.Table) {
	fmt.Fprintf(w, "%s: %s: %d rows read, %d kept, %d dropped (%s)\n", r, t.Source, t.Read, len(t.Rows), t.Dropped(), t.Dialect)
	for _, d := range droppedColumns(t) {
		fmt.Fprintf(w, "  column %q: %d missing, %d not a number\n", d.Column, d.Missing, d.Unparseable)
	}
}

// peerStats adapts a node's link statistics for the peer actors.
func peerStats(n *node.Node) func() map[protocol.Role]actors.PeerStats {
	return func() map[protocol.Role]actors.PeerStats {
		st := n.Stats()
		out := map[protocol.Role]actors.PeerStats{}
		for r, p := range st.Peers {
			ev := "link " + p.State.String()
			if p.Error != "" {
				ev += ": " + p.Error
			}
			out[r] = actors.PeerStats{Connected: p.Connected, BytesSent: p.BytesSent, BytesRecv: p.BytesReceived, Event: ev}
		}
		return out
	}
}

// disclosureFile is a party's disclosure log on disk, written as the session goes.
type disclosureFile struct {
	f   *os.File
	log *protocol.Disclosure
}

func openDisclosure(dir string, r protocol.Role) (*disclosureFile, error) {
	path := filepath.Join(dir, "disclosure-"+r.String()+".jsonl")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	return &disclosureFile{f: f, log: protocol.NewDisclosure(r, f)}, nil
}

func (d *disclosureFile) close() error { return d.f.Close() }

// showProgress prints progress lines for reg's long steps to w until the returned
// function is called; with no w it does nothing.
func showProgress(w io.Writer, reg *actors.Registry) (stop func()) {
	if w == nil {
		return func() {}
	}
	return progress.Start(w, func() []actors.StepState { return reg.State().Steps })
}

// writeOutputs writes result.json, then report.html, into dir.
func writeOutputs(dir string, res *result, logs []*disclosureFile) error {
	if err := writeJSON(filepath.Join(dir, "result.json"), res); err != nil {
		return err
	}
	var ds []*protocol.Disclosure
	for _, l := range logs {
		ds = append(ds, l.log)
	}
	return writeReport(dir, res, ds)
}

// printSummary prints the model and where the files are.
func printSummary(w io.Writer, r *result, out string) error {
	fmt.Fprintf(w, "intersection: %d rows", r.IntersectionSize)
	for _, role := range []string{"controller-a", "controller-b"} {
		if n, ok := r.RowsDropped[role]; ok {
			fmt.Fprintf(w, "; %s dropped %d rows in step 1", role, n)
		}
	}
	fmt.Fprintln(w)
	if r.Coefficients != nil {
		conv := "converged"
		if !r.Converged {
			conv = fmt.Sprintf("did NOT converge within max_iter = %d (--max-iter)", r.Settings.MaxIter)
		}
		fmt.Fprintf(w, "lasso (alpha %g): %d iterations, %s; R² %.6f (in-sample), intercept %.6g\n", r.Alpha, r.Iterations, conv, r.R2, r.Intercept)
		for _, f := range r.Features {
			fmt.Fprintf(w, "  %-24s %14.6g\n", f, r.Coefficients[f])
		}
	}
	fmt.Fprintf(w, "total %.1fs; results in %s and %s\n", r.TotalSeconds, filepath.Join(out, "result.json"), filepath.Join(out, "report.html"))
	return nil
}
