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
	"strings"
	"syscall"

	"github.com/triad-mpc/triad/cmd/internal/cli"
	"github.com/triad-mpc/triad/node"
	"github.com/triad-mpc/triad/protocol/session"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand of the triad binary.
type command struct {
	args    string // the usage line after "triad NAME"
	summary string // what it does, in one line
	run     func(ctx context.Context, args []string, stdout io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"version": {"", "print the version", runVersion},
		"bench":   {"{paillier|join|lasso} [flags]", "measure primitives and protocol stages", runBench},
		"init":    {"--role ROLE --dir DIR [flags]", "create a site's identity key and configuration template", runInit},
		"id":      {"--config FILE", "print the address the other sites put in their [peers] tables", runID},
		"node":    {"--config FILE [flags]", "run this site's side of one session, as its configuration file says, then exit", runNode},
		"run":     {"--controller-a A.csv --controller-b B.csv --id COLUMN --outcome COLUMN [flags]", "run all three parties of one session in this process on two CSV files", runRun},
		"demo":    {"[flags]", "run a whole session on built-in synthetic heart-failure data", runDemo},
		"console": {"HOST:PORT [--token T] [--every 1s] [--once]", "show a node's debug console in this terminal", runConsoleView},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	node.RouteLibp2pLogs() // before any command starts a libp2p host
	err := dispatch(ctx, os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "triad: %v\n", err)
	}
	os.Exit(exitCode(err))
}

// exitCode is 0 on success, 2 for a command line that cannot be run, 3 when the
// minimum cohort stopped the session before step 8, and 1 for any other failure.
func exitCode(err error) int {
	var ue *cli.UsageError
	var ce *session.CohortError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	case errors.As(err, &ce):
		return 3
	}
	return 1
}

func dispatch(ctx context.Context, args []string, stdout io.Writer) error {
	cmds := commands()
	if len(args) == 0 {
		var b strings.Builder
		usage(&b, cmds)
		return &cli.UsageError{Msg: strings.TrimRight("no command given\n"+b.String(), "\n")}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if _, ok := cmds[args[1]]; !ok {
				var b strings.Builder
				usage(&b, cmds)
				return &cli.UsageError{Msg: strings.TrimRight(fmt.Sprintf("help: unknown command %q\n", args[1])+b.String(), "\n")}
			}
			return dispatch(ctx, []string{args[1], "--help"}, stdout)
		}
		usage(stdout, cmds)
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		var b strings.Builder
		usage(&b, cmds)
		return &cli.UsageError{Msg: strings.TrimRight(fmt.Sprintf("unknown command %q\n", args[0])+b.String(), "\n")}
	}
	err := c.run(ctx, args[1:], stdout)
	if errors.Is(err, cli.ErrHelpShown) {
		return nil
	}
	return err
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
	fmt.Fprintln(w, "\nRun \"triad help <command>\" for a command's flags.")
}

// cmdFlags returns the flag set of the named command.
func cmdFlags(name string) *flag.FlagSet {
	c := commands()[name]
	return cli.NewFlags(name, c.args, c.summary)
}

func runVersion(_ context.Context, args []string, stdout io.Writer) error {
	if err := cli.Parse(cmdFlags("version"), args, stdout); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "triad %s\n", version)
	return err
}
