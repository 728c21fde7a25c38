package bench

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/triad-mpc/triad/cmd/internal/cli"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/lasso"
	"github.com/triad-mpc/triad/protocol/lasso/lassotest"
	"github.com/triad-mpc/triad/protocol/memnet"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// Lasso measures the secure lasso fit from shares: synthetic data is dealt as
// Shamir shares and the three parties run in this process over an in-memory network,
// optionally with a one-way latency per message.
func Lasso(ctx context.Context, args []string, stdout io.Writer) error {
	fs := cli.NewFlags("bench lasso", "[--rows N] [--features D] [--latency-ms L] [--condition C] [--json]", "measure the secure lasso fit on shares of synthetic data, three parties in this process")
	rows := fs.Int("rows", 100_000, "number of joined rows")
	features := fs.Int("features", 30, "number of features")
	latency := fs.Float64("latency-ms", 0, "one-way latency of every message, in milliseconds")
	alpha := fs.Float64("alpha", 0, "lasso penalty (default: 5% of the smallest penalty that zeroes every coefficient)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic data")
	condition := fs.Float64("condition", 0, "condition number of the standardised Gram matrix of the synthetic data (default: the mixed-unit count data of the tests)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	if *rows < 2 || *features < 1 || *latency < 0 || *alpha < 0 || (*condition != 0 && *condition < 1) {
		return cli.Usagef(fs, "bench lasso: need --rows ≥ 2, --features ≥ 1, non-negative --latency-ms and --alpha, and --condition ≥ 1")
	}
	const frac = 24
	var X [][]float64
	var y []float64
	if *condition > 0 {
		t := lassotest.Conditioned(*seed, *rows, *features, *condition, false)
		X, y = t.X, t.Y
	} else {
		X, y = lassotest.Synthetic(*seed, *rows, *features)
	}
	if *alpha == 0 {
		*alpha = 0.05 * lassotest.AlphaMax(X, y)
	}
	random, err := fastRandom()
	if err != nil {
		return err
	}
	data, err := lasso.Deal(random, X, y, frac)
	if err != nil {
		return err
	}

	net := memnet.New(memnet.WithLatency(time.Duration(*latency * float64(time.Millisecond))))
	defer net.Close()
	start := time.Now()
	type out struct {
		res       lasso.Result
		iterBytes int64 // sent during the iterations
		steps     int
	}
	res, err := mpc.RunLocal(ctx, net, rand.Reader, func(ctx context.Context, e *mpc.Engine, r protocol.Role) (out, error) {
		s, err := lasso.NewSolver(e, data[r], lasso.Options{Alpha: *alpha})
		if err != nil {
			return out{}, err
		}
		if err := s.Prepare(ctx); err != nil {
			return out{}, err
		}
		b0, steps := e.BytesSent(), 0
		for done := false; !done; steps++ {
			if done, err = s.Step(ctx); err != nil {
				return out{}, err
			}
		}
		iterBytes := e.BytesSent() - b0
		fit, err := s.Finish(ctx)
		return out{fit, iterBytes, steps}, err
	})
	wall := time.Since(start)
	if err != nil {
		return fmt.Errorf("bench lasso: %w", err)
	}
	var sent, perIter int64
	for i, r := range protocol.Roles() {
		sent = max(sent, net.BytesSent(r))
		perIter = max(perIter, res[i].iterBytes/int64(res[i].steps))
	}
	r := res[0].res
	_, ref, _ := lassotest.Reference(X, y, *alpha)
	var maxErr, scale float64 = 0, 1
	for i := range ref {
		maxErr = math.Max(maxErr, math.Abs(r.Coefficients[i]-ref[i]))
		scale = math.Max(scale, math.Abs(ref[i]))
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{
			"rows": *rows, "features": *features, "latency_ms": *latency, "alpha": *alpha, "condition": *condition,
			"stats_seconds": round3(r.StatsSeconds), "solve_seconds": round3(r.SolveSeconds),
			"total_seconds": round3(wall.Seconds()), "iterations": r.Iterations, "rounds": r.Rounds,
			"bytes_per_party": sent, "bytes_per_iteration": perIter, "converged": r.Converged, "gap": r.Gap,
			"relative_error": maxErr / scale,
		})
	}
	fmt.Fprintf(stdout, "lasso from shares: %d rows, %d features, alpha %.4g, one-way latency %g ms\n", *rows, *features, *alpha, *latency)
	if *condition > 0 {
		fmt.Fprintf(stdout, "  condition number of the standardised Gram matrix %.3g\n", *condition)
	}
	fmt.Fprintf(stdout, "  statistics  %8.3f s  (one pass over the rows, one round)\n", r.StatsSeconds)
	fmt.Fprintf(stdout, "  solve       %8.3f s  (%d iterations, %d rounds in all)\n", r.SolveSeconds, r.Iterations, r.Rounds)
	fmt.Fprintf(stdout, "  total       %8.3f s\n", wall.Seconds())
	fmt.Fprintf(stdout, "  sent        %8.1f MB by the busiest party, %.1f KB per iteration\n", float64(sent)/1e6, float64(perIter)/1e3)
	fmt.Fprintf(stdout, "  converged   %8v  (duality gap %.3g of ||y - ȳ||²/n)\n", r.Converged, r.Gap)
	fmt.Fprintf(stdout, "  max |β - β_ref| / max(1, |β_ref|∞) = %.1e (plaintext coordinate descent)\n", maxErr/scale)
	return nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// fastRandom returns a CSPRNG (AES-CTR) keyed from crypto/rand, quicker than
// crypto/rand itself for dealing a million rows of shares.
func fastRandom() (io.Reader, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	clear(key)
	if err != nil {
		return nil, err
	}
	return cipher.StreamReader{S: cipher.NewCTR(block, make([]byte, aes.BlockSize)), R: zeros{}}, nil
}

// zeros is an endless source of zero bytes, the plaintext of a key stream.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
