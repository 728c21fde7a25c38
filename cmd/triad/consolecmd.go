package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/triad-mpc/triad/cmd/internal/progress"
	"github.com/triad-mpc/triad/cmd/internal/termview"
)

// runConsoleView shows a node's debug console in the terminal.
func runConsoleView(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	token := fs.String("token", "", "the console's token (printed by the node when its console is not on loopback)")
	every := fs.Duration("every", time.Second, "how often to refresh")
	once := fs.Bool("once", false, "print the state once and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: triad console HOST:PORT [--token TOKEN] [--every 1s] [--once]")
		fs.PrintDefaults()
	}
	// The address comes first; flags may follow it.
	var addr string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		addr, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if addr == "" && fs.NArg() == 1 {
		addr = fs.Arg(0)
	} else if fs.NArg() > 0 || addr == "" {
		fs.Usage()
		return errors.New("console: want one address, the node's --console HOST:PORT")
	}
	if *every <= 0 {
		return errors.New("console: --every must be positive")
	}
	o := termview.Options{ANSI: progress.IsTerminal(stdout), Width: 120}
	return termview.Run(ctx, stdout, addr, *token, *every, *once, o)
}
