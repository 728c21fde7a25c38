package main

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/crypto/fixedpoint"
	"github.com/triad-mpc/triad/crypto/shamir"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/lasso"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// benchLasso measures the secure lasso fit from shares: synthetic data is dealt as
// Shamir shares and the three parties run in this process over an in-memory network,
// optionally with a one-way latency per message.
func benchLasso(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench lasso", flag.ContinueOnError)
	rows := fs.Int("rows", 100_000, "number of joined rows")
	features := fs.Int("features", 30, "number of features")
	latency := fs.Float64("latency-ms", 0, "one-way latency of every message, in milliseconds")
	alpha := fs.Float64("alpha", 0, "lasso penalty (default: 5% of the smallest penalty that zeroes every coefficient)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic data")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rows < 2 || *features < 1 || *latency < 0 || *alpha < 0 {
		return errors.New("bench lasso: need --rows ≥ 2, --features ≥ 1 and non-negative --latency-ms and --alpha")
	}
	const frac = 24
	X, y := lassoSynthetic(*seed, *rows, *features)
	if *alpha == 0 {
		*alpha = 0.05 * lassoAlphaMax(X, y)
	}
	data, err := lassoDeal(X, y, frac)
	if err != nil {
		return err
	}

	net := protocol.NewMemNetwork(protocol.WithLatency(time.Duration(*latency * float64(time.Millisecond))))
	defer net.Close()
	start := time.Now()
	res, err := mpc.RunLocal(ctx, net, rand.Reader, func(ctx context.Context, e *mpc.Engine, r protocol.Role) (lasso.Result, error) {
		return lasso.Fit(ctx, e, data[r], lasso.Options{Alpha: *alpha})
	})
	wall := time.Since(start)
	if err != nil {
		return fmt.Errorf("bench lasso: %w", err)
	}
	var sent int64
	for _, r := range protocol.Roles {
		sent = max(sent, net.BytesSent(r))
	}
	r := res[0]
	_, ref, _ := lasso.Reference(X, y, *alpha)
	var maxErr, scale float64 = 0, 1
	for i := range ref {
		maxErr = math.Max(maxErr, math.Abs(r.Coefficients[i]-ref[i]))
		scale = math.Max(scale, math.Abs(ref[i]))
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{
			"rows": *rows, "features": *features, "latency_ms": *latency, "alpha": *alpha,
			"stats_seconds": round3(r.StatsSeconds), "solve_seconds": round3(r.SolveSeconds),
			"total_seconds": round3(wall.Seconds()), "iterations": r.Iterations, "rounds": r.Rounds,
			"bytes_per_party": sent, "relative_error": maxErr / scale,
		})
	}
	fmt.Fprintf(stdout, "lasso from shares: %d rows, %d features, alpha %.4g, one-way latency %g ms\n", *rows, *features, *alpha, *latency)
	fmt.Fprintf(stdout, "  statistics  %8.3f s  (one pass over the rows, one round)\n", r.StatsSeconds)
	fmt.Fprintf(stdout, "  solve       %8.3f s  (%d iterations, %d rounds in all)\n", r.SolveSeconds, r.Iterations, r.Rounds)
	fmt.Fprintf(stdout, "  total       %8.3f s\n", wall.Seconds())
	fmt.Fprintf(stdout, "  sent        %8.1f MB by the busiest party\n", float64(sent)/1e6)
	fmt.Fprintf(stdout, "  max |β - β_ref| / max(1, |β_ref|∞) = %.1e (plaintext coordinate descent)\n", maxErr/scale)
	return nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// lassoSynthetic returns n rows of d correlated features in mixed units (two binary
// flags, scales from 0.05 to 50, offsets) and a count outcome that depends on a third
// of them. The generator is not cryptographic: the seed makes runs repeatable.
func lassoSynthetic(seed uint64, n, d int) ([][]float64, []float64) {
	rng := mrand.New(mrand.NewPCG(seed, 0x6c6173736f))
	mix := make([][]float64, d)
	for i := range mix {
		mix[i] = make([]float64, d)
		for j := range mix[i] {
			mix[i][j] = 0.3 * rng.NormFloat64()
		}
		mix[i][i]++
	}
	scale, offset := make([]float64, d), make([]float64, d)
	for j := range d {
		scale[j] = math.Exp(math.Log(0.05) + rng.Float64()*math.Log(1000))
		offset[j] = -20 + 100*rng.Float64()
	}
	beta := make([]float64, d)
	for j := range max(2, d/3) {
		beta[j] = rng.NormFloat64() / scale[j]
	}
	X := make([][]float64, n)
	y := make([]float64, n)
	z := make([]float64, d)
	for k := range X {
		for j := range z {
			z[j] = rng.NormFloat64()
		}
		row := make([]float64, d)
		var lin float64
		for j := range d {
			var v float64
			for i := range d {
				v += z[i] * mix[i][j]
			}
			row[j] = math.Round((v*scale[j]+offset[j])*1000) / 1000
			if j < 2 {
				row[j] = 0
				if v > 0 {
					row[j] = 1
				}
			}
			lin += row[j] * beta[j]
		}
		X[k] = row
		y[k] = math.Round(math.Exp(1+0.3*math.Tanh(lin/10)) * (1 + 2*rng.Float64()))
	}
	return X, y
}

// lassoAlphaMax returns max_j |Cov(x_j, y)|, the penalty from which every coefficient
// is zero.
func lassoAlphaMax(X [][]float64, y []float64) float64 {
	n, d := float64(len(X)), len(X[0])
	xm := make([]float64, d)
	var ym float64
	for k, row := range X {
		for j, v := range row {
			xm[j] += v / n
		}
		ym += y[k] / n
	}
	c := make([]float64, d)
	for k, row := range X {
		for j, v := range row {
			c[j] += (v - xm[j]) * (y[k] - ym) / n
		}
	}
	var m float64
	for _, v := range c {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// lassoDeal encodes the columns at scale 2^frac and deals them as Shamir shares, with
// a CSPRNG (AES-CTR) seeded from crypto/rand.
func lassoDeal(X [][]float64, y []float64, frac int) ([3]lasso.Data, error) {
	var out [3]lasso.Data
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return out, err
	}
	block, err := aes.NewCipher(key)
	clear(key)
	if err != nil {
		return out, err
	}
	random := cipher.StreamReader{S: cipher.NewCTR(block, make([]byte, aes.BlockSize)), R: zeros{}}
	p := fixedpoint.Params{Frac: frac, Bits: 64}
	n, d := len(X), len(X[0])
	for i := range out {
		out[i] = lasso.Data{X: make([]fr.Vector, d), Frac: frac}
	}
	col := make(fr.Vector, n)
	for j := 0; j <= d; j++ {
		for k := range n {
			v := y[k]
			if j < d {
				v = X[k][j]
			}
			e, err := p.Encode(v)
			if err != nil {
				return out, fmt.Errorf("row %d, column %d: %w", k, j, err)
			}
			col[k] = shamir.FromInt64(e)
		}
		s, err := shamir.Share(random, col)
		if err != nil {
			return out, err
		}
		for i := range out {
			if j < d {
				out[i].X[j] = s[i]
			} else {
				out[i].Y = s[i]
			}
		}
	}
	shamir.Wipe(col)
	return out, nil
}

// zeros is an endless source of zero bytes, the plaintext of a key stream.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
