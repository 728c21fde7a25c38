package mpc

import (
	"context"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// one runs a Batch holding a single operation.
func (e *Engine) one(ctx context.Context, op func(*Batch) *Pending) (fr.Vector, error) {
	b := e.NewBatch()
	p := op(b)
	if err := b.Run(ctx); err != nil {
		return nil, err
	}
	return p.Value(), nil
}

// Open reveals the values shared by x (one round; see Batch.Open).
func (e *Engine) Open(ctx context.Context, x fr.Vector) (fr.Vector, error) {
	return e.one(ctx, func(b *Batch) *Pending { return b.Open(x) })
}

// Mul returns shares of the elementwise product of x and y (one round).
func (e *Engine) Mul(ctx context.Context, x, y fr.Vector) (fr.Vector, error) {
	return e.one(ctx, func(b *Batch) *Pending { return b.Mul(x, y) })
}

// Dots returns shares of the inner products of xs[k] and ys[k] (one round, whatever
// their lengths).
func (e *Engine) Dots(ctx context.Context, xs, ys []fr.Vector) (fr.Vector, error) {
	return e.one(ctx, func(b *Batch) *Pending { return b.Dots(xs, ys) })
}

// MatVec returns shares of rows·v (one round).
func (e *Engine) MatVec(ctx context.Context, rows []fr.Vector, v fr.Vector) (fr.Vector, error) {
	return e.one(ctx, func(b *Batch) *Pending { return b.Reduce(LocalMatVec(rows, v)) })
}

// Reduce turns degree-2 shares into degree-1 shares (one round; see Batch.Reduce).
func (e *Engine) Reduce(ctx context.Context, d fr.Vector) (fr.Vector, error) {
	return e.one(ctx, func(b *Batch) *Pending { return b.Reduce(d) })
}

// Trunc returns shares of about d/2^shift for |d| < 2^(bits-1) (one round; see
// Batch.Trunc).
func (e *Engine) Trunc(ctx context.Context, d fr.Vector, shift, bits int) (fr.Vector, error) {
	return e.one(ctx, func(b *Batch) *Pending { return b.Trunc(d, shift, bits) })
}

// MulTrunc returns shares of about x·y/2^shift for |x·y| < 2^(bits-1) (one round).
func (e *Engine) MulTrunc(ctx context.Context, x, y fr.Vector, shift, bits int) (fr.Vector, error) {
	return e.one(ctx, func(b *Batch) *Pending { return b.MulTrunc(x, y, shift, bits) })
}

// RandomBits returns shares of n uniform random bits (0 or 1 in the field), made
// without a dealer: each bit is the exclusive or of three PRSS bits, each unknown to
// one party, computed with two multiplications (two rounds when the preprocessing
// pool is empty, none otherwise).
func (e *Engine) RandomBits(ctx context.Context, n int) (fr.Vector, error) {
	if err := e.ensure(ctx, n); err != nil {
		return nil, err
	}
	return e.takeBits(n), nil
}
