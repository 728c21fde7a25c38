package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/actors/console"
	"github.com/triad-mpc/triad/cmd/internal/cli"
	"github.com/triad-mpc/triad/cmd/internal/outputs"
	"github.com/triad-mpc/triad/cmd/internal/progress"
	"github.com/triad-mpc/triad/cmd/internal/site"
	"github.com/triad-mpc/triad/node"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/session"
)

// runNode runs one site of a session for real: it reads the site's configuration and
// data, starts its libp2p peer, waits for the other two and runs the protocol.
func runNode(ctx context.Context, args []string, stdout io.Writer) error {
	fs := cmdFlags("node")
	path := fs.String("config", "", "the site's configuration file (triad init writes one)")
	joinOnly := fs.Bool("join-only", false, "stop after step 7 (for benchmarks of the join)")
	consoleAddr := fs.String("console", "", "serve the debug console on this host:port (e.g. 127.0.0.1:7070)")
	setLogs := logFlags(fs)
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	if *path == "" {
		return cli.Usagef(fs, "node: --config is required")
	}
	if err := setLogs(); err != nil {
		return err
	}
	cfg, err := loadSiteConfig(*path)
	if err != nil {
		return err
	}
	role, err := protocol.ParseRole(cfg.Role)
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	settings := cfg.settings()
	var opts []session.Option
	if *joinOnly {
		opts = append(opts, session.WithJoinOnly())
	}
	var table *join.Table
	tables := map[protocol.Role]*join.Table{}
	if role != protocol.ThirdParty {
		table, err = join.ReadFile(cfg.Data.File, join.Spec{
			IDColumn: cfg.Data.IDColumn, Features: cfg.Data.Features, Outcome: cfg.Data.Outcome,
			CaseFold: cfg.Data.CaseFold, Fixed: settings.Join.Fixed, Dialect: cfg.dialect(),
		})
		if err != nil {
			return err
		}
		tables[role] = table
		outputs.PrintTable(stdout, role, table)
	}
	ncfg, err := cfg.nodeConfig()
	if err != nil {
		return err
	}
	if err := outputs.PrepareDir(cfg.OutDir); err != nil {
		return err
	}
	n, err := node.New(ctx, ncfg)
	if err != nil {
		return fmt.Errorf("start peer: %w", err)
	}
	defer n.Close()
	for _, a := range n.Addrs() {
		fmt.Fprintf(stdout, "%s listening on %s\n", role, a)
	}
	fmt.Fprintf(stdout, "%s: waiting for %s and %s\n", role, role.Others()[0], role.Others()[1])
	reg := actors.NewRegistry()
	if *consoleAddr != "" {
		reg.WatchPeers(site.PeerLinks(n))
		stop, err := site.StartConsole(*consoleAddr, stdout, console.Party{Role: role.String(), Registry: reg})
		if err != nil {
			return err
		}
		defer stop()
	}
	t, err := n.Transport(ctx)
	if err != nil {
		return err
	}
	logFile, err := outputs.OpenDisclosure(cfg.OutDir, role)
	if err != nil {
		return err
	}
	stopProgress := site.ShowProgress(os.Stderr, reg)
	out, err := actors.Run(ctx, actors.Config{
		Transport: t, Settings: settings, Options: opts, Table: table, Disclosure: logFile.Log,
		Peers: site.PeerLinks(n), Lost: n.Lost(),
	}, reg)
	stopProgress()
	if cerr := logFile.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return outputs.Failed(err, cfg.OutDir)
	}
	res := outputs.Build([]*session.Outcome{out}, tables, settings)
	if err := outputs.Write(cfg.OutDir, res, []*outputs.DisclosureLog{logFile}); err != nil {
		return err
	}
	progress.WriteSummary(os.Stderr, progress.SummaryRows(reg.State()))
	return outputs.PrintSummary(stdout, res, cfg.OutDir)
}
