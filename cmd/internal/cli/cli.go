// Package cli holds what every triad command does with its command line: a flag set
// whose usage says what the command does, help on standard output, and a usage error
// for a command line that cannot run.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// UsageError is a command line that cannot be run; its message includes the usage.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ErrHelpShown reports that a command printed its help because it was asked to.
var ErrHelpShown = errors.New("help shown")

// Usagef returns a UsageError that says what is wrong and how the command is used.
func Usagef(fs *flag.FlagSet, format string, args ...any) error {
	var b strings.Builder
	fmt.Fprintf(&b, format+"\n", args...)
	out := fs.Output()
	fs.SetOutput(&b)
	fs.Usage()
	fs.SetOutput(out)
	return &UsageError{strings.TrimRight(b.String(), "\n")}
}

// NewFlags returns a flag set whose usage gives the usage line ("triad NAME ARGS")
// and what the command does.
func NewFlags(name, args, summary string) *flag.FlagSet {
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

// Parse parses a command's flags. Asked for help, it prints the usage to stdout and
// returns ErrHelpShown; a bad flag or a stray argument is a UsageError.
func Parse(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var b strings.Builder
	fs.SetOutput(&b)
	err := fs.Parse(args)
	fs.SetOutput(stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return ErrHelpShown
	case err != nil:
		return &UsageError{strings.TrimRight(b.String(), "\n")}
	case fs.NArg() > 0:
		return Usagef(fs, "unexpected argument %q", fs.Arg(0))
	}
	return nil
}
