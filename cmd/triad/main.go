// Command triad runs one site of a Triad session, or all three on one machine.
//
// Usage:
//
//	triad <command> [flags]
//
// Run "triad help" for the list of commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/triad-mpc/triad/node"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand of the triad binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"version": {"print the version", runVersion},
		"bench":   {"measure primitives and protocol stages (paillier, join, lasso)", runBench},
		"init":    {"create a site's identity key and configuration template", runInit},
		"id":      {"print this site's addresses for the other sites' [peers] tables", runID},
		"node":    {"run this site of a session, as its configuration file says", runNode},
		"run":     {"run all three parties of a session in this process on two CSV files", runRun},
		"demo":    {"run a whole session on built-in synthetic heart-failure data", runDemo},
		"console": {"show a node's debug console in this terminal", runConsoleView},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	node.RouteLibp2pLogs() // before any command starts a libp2p host
	if err := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "triad: %v\n", err)
		}
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return flag.ErrHelp
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return c.run(ctx, args[1:], stdout)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: triad <command> [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
}

func runVersion(_ context.Context, _ []string, stdout io.Writer) error {
	_, err := fmt.Fprintf(stdout, "triad %s\n", version)
	return err
}
