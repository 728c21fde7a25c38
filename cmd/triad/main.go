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
		"id":      {"--config FILE", "print this site's address for the other sites' [peers] tables", runID},
		"node":    {"--config FILE [flags]", "run this site's side of one session, as its configuration file says, then exit", runNode},
		"run":     {"--controller-a A.csv --controller-b B.csv --id COLUMN --outcome COLUMN [flags]", "run all three parties of one session in this process on two CSV files", runRun},
		"demo":    {"[flags]", "run a whole session on built-in synthetic heart-failure data", runDemo},
		"console": {"ADDR [--token T]", "show a node's debug console in this terminal", runConsoleView},
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
	var ue *usageError
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

// usageError is a command line that cannot be run; its message includes the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError that says what is wrong and how the command is used.
func usagef(fs *flag.FlagSet, format string, args ...any) error {
	var b strings.Builder
	fmt.Fprintf(&b, format+"\n", args...)
	out := fs.Output()
	fs.SetOutput(&b)
	fs.Usage()
	fs.SetOutput(out)
	return &usageError{strings.TrimRight(b.String(), "\n")}
}

func dispatch(ctx context.Context, args []string, stdout io.Writer) error {
	cmds := commands()
	if len(args) == 0 {
		var b strings.Builder
		usage(&b, cmds)
		return &usageError{strings.TrimRight("no command given\n"+b.String(), "\n")}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if _, ok := cmds[args[1]]; !ok {
				var b strings.Builder
				usage(&b, cmds)
				return &usageError{strings.TrimRight(fmt.Sprintf("help: unknown command %q\n", args[1])+b.String(), "\n")}
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
		return &usageError{strings.TrimRight(fmt.Sprintf("unknown command %q\n", args[0])+b.String(), "\n")}
	}
	err := c.run(ctx, args[1:], stdout)
	if errors.Is(err, errHelpShown) {
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

// errHelpShown reports that a command printed its help because it was asked to.
var errHelpShown = errors.New("help shown")

// cmdFlags returns the flag set of the named command.
func cmdFlags(name string) *flag.FlagSet {
	c := commands()[name]
	return newFlags(name, c.args, c.summary)
}

// newFlags returns a flag set whose usage gives the usage line and what the command
// does.
func newFlags(name, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: triad %s %s\n\n%s.\n", name, args, capitalise(summary))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(fs.Output(), "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parseFlags parses a command's flags. Asked for help, it prints the usage to stdout
// and returns errHelpShown; a bad flag is a usageError.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var b strings.Builder
	fs.SetOutput(&b)
	err := fs.Parse(args)
	fs.SetOutput(stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return errHelpShown
	case err != nil:
		return &usageError{strings.TrimRight(b.String(), "\n")}
	case fs.NArg() > 0:
		return usagef(fs, "unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func runVersion(_ context.Context, args []string, stdout io.Writer) error {
	if err := parseFlags(cmdFlags("version"), args, stdout); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "triad %s\n", version)
	return err
}
