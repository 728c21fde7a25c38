package main

import (
	"context"
	"io"
)

// runBench dispatches "triad bench <what>".
func runBench(ctx context.Context, args []string, stdout io.Writer) error {
	benches := map[string]func(context.Context, []string, io.Writer) error{
		"paillier": benchPaillier,
		"join":     benchJoin,
		"lasso":    benchLasso,
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		return parseFlags(cmdFlags("bench"), args, stdout)
	}
	if len(args) == 0 {
		return usagef(cmdFlags("bench"), "bench: say what to measure: paillier, join or lasso")
	}
	b, ok := benches[args[0]]
	if !ok {
		return usagef(cmdFlags("bench"), "bench: unknown benchmark %q (want paillier, join or lasso)", args[0])
	}
	return b(ctx, args[1:], stdout)
}
