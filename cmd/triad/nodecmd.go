package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/actors/console"
	"github.com/triad-mpc/triad/node"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
)

// runNode runs one site of a session for real: it reads the site's configuration and
// data, starts its libp2p peer, waits for the other two and runs the protocol.
func runNode(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	path := fs.String("config", "", "the site's configuration file (triad init writes one)")
	joinOnly := fs.Bool("join-only", false, "stop after step 7 (for benchmarks of the join)")
	consoleAddr := fs.String("console", "", "serve the debug console on this host:port (e.g. 127.0.0.1:7070)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("node: --config is required")
	}
	cfg, err := loadSiteConfig(*path)
	if err != nil {
		return err
	}
	role, err := protocol.ParseRole(cfg.Role)
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	params := cfg.params()
	if err := params.Validate(); err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	var table *join.Table
	dropped := map[protocol.Role]int{}
	if role != protocol.ThirdParty {
		table, err = join.ReadFile(cfg.Data.File, join.Spec{
			IDColumn: cfg.Data.IDColumn, Features: cfg.Data.Features, Outcome: cfg.Data.Outcome,
			CaseFold: cfg.Data.CaseFold, Fixed: params.Fixed,
		})
		if err != nil {
			return err
		}
		dropped[role] = table.Dropped()
		fmt.Fprintf(stdout, "%s: %d rows ready (%d dropped), columns %v\n", role, len(table.Rows), table.Dropped(), table.Columns)
	}
	ncfg, err := cfg.nodeConfig()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
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
		reg.WatchPeers(peerLinks(n))
		stop, err := startConsole(*consoleAddr, stdout, console.Party{Role: role.String(), Registry: reg})
		if err != nil {
			return err
		}
		defer stop()
	}
	t, err := n.Transport(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	logFile, err := openDisclosure(cfg.OutDir, role)
	if err != nil {
		return err
	}
	out, err := actors.Run(ctx, actors.Config{
		Transport: t, Params: params, Table: table, Disclosure: logFile.log,
		Peers: peerStats(n), JoinOnly: *joinOnly,
	}, reg)
	if cerr := logFile.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	res := buildResult([]*actors.Outcome{out}, dropped, params)
	res.TotalSeconds = time.Since(start).Seconds()
	if err := writeJSON(filepath.Join(cfg.OutDir, "result.json"), res); err != nil {
		return err
	}
	return printSummary(stdout, res, cfg.OutDir)
}
