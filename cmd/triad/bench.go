package main

import (
	"context"
	"fmt"
	"io"
)

// runBench dispatches "triad bench <what>".
func runBench(ctx context.Context, args []string, stdout io.Writer) error {
	benches := map[string]func(context.Context, []string, io.Writer) error{
		"paillier": benchPaillier,
		"join":     benchJoin,
		"lasso":    benchLasso,
	}
	if len(args) == 0 {
		return fmt.Errorf("bench: say what to measure: paillier, join or lasso")
	}
	b, ok := benches[args[0]]
	if !ok {
		return fmt.Errorf("bench: unknown benchmark %q (want paillier, join or lasso)", args[0])
	}
	return b(ctx, args[1:], stdout)
}
