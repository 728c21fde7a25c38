package main

import (
	"context"
	"io"

	"github.com/triad-mpc/triad/cmd/internal/bench"
	"github.com/triad-mpc/triad/cmd/internal/cli"
)

// runBench dispatches "triad bench <what>".
func runBench(ctx context.Context, args []string, stdout io.Writer) error {
	benches := map[string]func(context.Context, []string, io.Writer) error{
		"paillier": bench.Paillier,
		"join":     benchJoin,
		"lasso":    bench.Lasso,
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		return cli.Parse(cmdFlags("bench"), args, stdout)
	}
	if len(args) == 0 {
		return cli.Usagef(cmdFlags("bench"), "bench: say what to measure: paillier, join or lasso")
	}
	b, ok := benches[args[0]]
	if !ok {
		return cli.Usagef(cmdFlags("bench"), "bench: unknown benchmark %q (want paillier, join or lasso)", args[0])
	}
	return b(ctx, args[1:], stdout)
}
