package mpc

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/protocol"
)

// bench3 runs setup once and then body b.N times for the three parties, timing the
// body only.
func bench3(b *testing.B, setup func(party int) fr.Vector, body func(ctx context.Context, e *Engine, x fr.Vector) error) {
	ctx := context.Background()
	net := protocol.NewMemNetwork()
	defer net.Close()
	var engines [3]*Engine
	var inputs [3]fr.Vector
	var wg sync.WaitGroup
	for i, r := range protocol.Roles() {
		wg.Go(func() {
			e, err := New(ctx, net.Transport(r), rand.Reader)
			if err != nil {
				b.Error(err)
				return
			}
			engines[i] = e
			inputs[i] = setup(i)
		})
	}
	wg.Wait()
	b.ResetTimer()
	for i := range engines {
		wg.Go(func() {
			for range b.N {
				if err := body(ctx, engines[i], inputs[i]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(engines[0].Rounds())/float64(b.N), "rounds/op")
	b.ReportMetric(float64(engines[0].BytesSent())/float64(b.N), "bytes/op")
}

// BenchmarkIterationCompare is the comparison batch of one lasso iteration with 30
// features: 60 values of 50 bits, with min; preprocessing included.
func BenchmarkIterationCompare(b *testing.B) {
	bench3(b, func(int) fr.Vector { return make(fr.Vector, 60) }, func(ctx context.Context, e *Engine, x fr.Vector) error {
		_, _, err := e.MinZero(ctx, x, 50)
		return err
	})
}

// BenchmarkLassoIteration30 is the round structure of one lasso iteration with 30
// features at 32 fractional bits: a local 30×30 matrix-vector product whose 60
// degree-2 results (z ± τ at scale 2^96, 123 bits) are rescaled by 2^64 and compared
// with min in three rounds, and every fifth iteration the convergence test (171
// bits) and the opening of its bit. Preprocessing is included.
func BenchmarkLassoIteration30(b *testing.B) {
	const d, f = 30, 32
	bench3(b, func(int) fr.Vector { return make(fr.Vector, d*d+d) }, func(ctx context.Context, e *Engine, in fr.Vector) error {
		rows := make([]fr.Vector, d)
		for i := range rows {
			rows[i] = in[i*d : (i+1)*d]
		}
		v := in[d*d:]
		zl := LocalMatVec(rows, v)
		a := append(append(fr.Vector(nil), zl...), zl...)
		cmps := []*Comparison{{X: a, Bits: 3*f + 16 + 5 + 6, Shift: 2 * f, WithMin: true}}
		batch := e.NewBatch()
		if e.Rounds()%5 == 0 {
			cmps = append(cmps, &Comparison{X: LocalDots([]fr.Vector{v}, []fr.Vector{v}), Bits: 4*f + 2*16 + 6 + 5})
			batch.Open(v[:1])
		}
		batch.Compare(cmps...)
		return batch.Run(ctx)
	})
}

func BenchmarkMulTrunc1000(b *testing.B) {
	bench3(b, func(int) fr.Vector { return make(fr.Vector, 1000) }, func(ctx context.Context, e *Engine, x fr.Vector) error {
		_, err := e.MulTrunc(ctx, x, x, 32, 100)
		return err
	})
}

func BenchmarkPreprocess(b *testing.B) {
	for _, n := range []int{2000, 8000, 32000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			bench3(b, func(int) fr.Vector { return nil }, func(ctx context.Context, e *Engine, _ fr.Vector) error {
				e.pool = pool{}
				return e.preprocess(ctx, n)
			})
		})
	}
}
