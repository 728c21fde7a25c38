package main

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/triad-mpc/triad/cmd/internal/cli"
	"github.com/triad-mpc/triad/cmd/internal/progress"
	"github.com/triad-mpc/triad/cmd/internal/termview"
)

// runConsoleView shows a node's debug console in the terminal.
func runConsoleView(ctx context.Context, args []string, stdout io.Writer) error {
	fs := cmdFlags("console")
	token := fs.String("token", "", "the console's token (printed by the node when its console is not on loopback)")
	every := fs.Duration("every", time.Second, "how often to refresh")
	once := fs.Bool("once", false, "print the state once and exit")
	// The address comes first; flags may follow it.
	var addr string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		addr, args = args[0], args[1:]
	}
	if last := len(args) - 1; addr == "" && last >= 0 && !strings.HasPrefix(args[last], "-") {
		addr, args = args[last], args[:last]
	}
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	if addr == "" {
		return cli.Usagef(fs, "console: want one address, the node's --console HOST:PORT")
	}
	if *every <= 0 {
		return cli.Usagef(fs, "console: --every must be positive")
	}
	o := termview.Options{ANSI: progress.IsTerminal(stdout), Width: 120}
	return termview.Run(ctx, stdout, addr, *token, *every, *once, o)
}
