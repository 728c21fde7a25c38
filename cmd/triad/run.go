package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/actors/console"
	"github.com/triad-mpc/triad/cmd/internal/outputs"
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
	setLogs := logFlags(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := setLogs(); err != nil {
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
	return outputs.PrintSummary(stdout, res, *out)
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
func runEmbedded(ctx context.Context, e embedded) (*outputs.Result, error) {
	if err := e.settings.Validate(e.opts...); err != nil {
		return nil, err
	}
	tables, err := readControllers(e)
	if err != nil {
		return nil, err
	}
	if err := outputs.PrepareDir(e.out); err != nil {
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
	logs := make([]*outputs.DisclosureLog, 3)
	for _, r := range protocol.Roles() {
		if logs[r], err = outputs.OpenDisclosure(e.out, r); err != nil {
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
			Transport: t, Settings: e.settings, Options: e.opts, Table: tables[r], Disclosure: logs[r].Log,
			Peers: peerStats(nodes[r]), Lost: nodes[r].Lost(),
		}, regs[r])
	})
	stopProgress()
	for _, l := range logs {
		if cerr := l.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return nil, outputs.Failed(err, e.out)
	}
	res := outputs.Build(outs[:], tables, e.settings)
	if err := outputs.Write(e.out, res, logs); err != nil {
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
			outputs.PrintTable(e.stdout, r, t)
		}
		tables[r] = t
	}
	return tables, nil
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

// showProgress prints progress lines for reg's long steps to w until the returned
// function is called; with no w it does nothing.
func showProgress(w io.Writer, reg *actors.Registry) (stop func()) {
	if w == nil {
		return func() {}
	}
	return progress.Start(w, func() []actors.StepState { return reg.State().Steps })
}
