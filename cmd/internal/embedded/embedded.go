// Package embedded runs a whole session with all three parties in this process, each on
// a libp2p host of its own on loopback (triad run, triad demo, and tests), and writes
// what a session leaves in its output folder.
package embedded

import (
	"context"
	"fmt"
	"io"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/actors/console"
	"github.com/triad-mpc/triad/cmd/internal/outputs"
	"github.com/triad-mpc/triad/cmd/internal/progress"
	"github.com/triad-mpc/triad/cmd/internal/site"
	"github.com/triad-mpc/triad/node"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/session"
)

// Spec is a whole session with all three parties in this process, on loopback libp2p.
type Spec struct {
	FileA, FileB string
	ID, Outcome  string
	Dialect      join.Dialect
	Out          string
	Settings     session.Settings
	Options      []session.Option
	Console      string    // serve the debug console here, if set
	Stdout       io.Writer // where to say what step 1 read and where the console is
	Stderr       io.Writer // where to show progress, if set
}

// Run reads both files, starts three libp2p hosts on loopback with fresh keys,
// runs the protocol and writes result.json and the three disclosure logs into out.
func Run(ctx context.Context, e Spec) (*outputs.Result, error) {
	if err := e.Settings.Validate(e.Options...); err != nil {
		return nil, err
	}
	tables, err := ReadControllers(e)
	if err != nil {
		return nil, err
	}
	if err := outputs.PrepareDir(e.Out); err != nil {
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
		if logs[r], err = outputs.OpenDisclosure(e.Out, r); err != nil {
			return nil, err
		}
	}
	var regs [3]*actors.Registry
	var parties []console.Party
	for _, r := range protocol.Roles() {
		regs[r] = actors.NewRegistry()
		regs[r].WatchPeers(site.PeerLinks(nodes[r]))
		parties = append(parties, console.Party{Role: r.String(), Registry: regs[r]})
	}
	if e.Console != "" {
		stop, err := site.StartConsole(e.Console, e.Stdout, parties...)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	// controller A's view of the timeline stands for the session's progress.
	stopProgress := site.ShowProgress(e.Stderr, regs[protocol.ControllerA])
	outs, err := protocol.RunParties(ctx, func(ctx context.Context, r protocol.Role) (*session.Outcome, error) {
		t, err := nodes[r].Transport(ctx)
		if err != nil {
			return nil, err
		}
		return actors.Run(ctx, actors.Config{
			Transport: t, Settings: e.Settings, Options: e.Options, Table: tables[r], Disclosure: logs[r].Log,
			Peers: site.PeerLinks(nodes[r]), Lost: nodes[r].Lost(),
		}, regs[r])
	})
	stopProgress()
	for _, l := range logs {
		if cerr := l.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return nil, outputs.Failed(err, e.Out)
	}
	res := outputs.Build(outs[:], tables, e.Settings)
	if err := outputs.Write(e.Out, res, logs); err != nil {
		return nil, err
	}
	if e.Stderr != nil {
		progress.WriteSummary(e.Stderr, progress.SummaryRows(regs[protocol.ControllerA].State()))
	}
	return res, nil
}

// ReadControllers reads both controllers' files; the outcome goes to whichever holds it.
func ReadControllers(e Spec) (map[protocol.Role]*join.Table, error) {
	files := map[protocol.Role]string{protocol.ControllerA: e.FileA, protocol.ControllerB: e.FileB}
	holder := map[protocol.Role]bool{}
	for r, f := range files {
		h, _, err := join.FileHeader(f, e.Dialect)
		if err != nil {
			return nil, err
		}
		for _, c := range h {
			if c == e.Outcome {
				holder[r] = true
			}
		}
	}
	switch {
	case holder[protocol.ControllerA] && holder[protocol.ControllerB]:
		return nil, fmt.Errorf("outcome column %q is in both %s and %s: it must be in one", e.Outcome, e.FileA, e.FileB)
	case !holder[protocol.ControllerA] && !holder[protocol.ControllerB]:
		return nil, fmt.Errorf("outcome column %q is in neither %s nor %s", e.Outcome, e.FileA, e.FileB)
	}
	tables := map[protocol.Role]*join.Table{}
	for r, f := range files {
		spec := join.Spec{IDColumn: e.ID, CaseFold: e.Settings.Join.CaseFold, Fixed: e.Settings.Join.Fixed, Dialect: e.Dialect}
		if holder[r] {
			spec.Outcome = e.Outcome
		}
		t, err := join.ReadFile(f, spec)
		if err != nil {
			return nil, err
		}
		if e.Stdout != nil {
			outputs.PrintTable(e.Stdout, r, t)
		}
		tables[r] = t
	}
	return tables, nil
}
