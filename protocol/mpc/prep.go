package mpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// pool holds preprocessed randomness for comparisons and bit decompositions, made in
// batches ahead of use so that it costs few rounds.
//
// bits are shares of uniform random bits. The chain is for prefix products of
// non-zero values in one round (Bar-Ilan and Beaver 1989; PreMulC in Catrina and de
// Hoogh 2010): for random non-zero r_i, first[i] shares r_i, w[i] shares
// r_i·r_(i-1)^-1 and z[i] shares r_i^-1. A run of consecutive entries i..j, starting
// with first[i], multiplies out to r_j, so opening w·a and multiplying by z gives
// prefix products of a.
type pool struct {
	bits     fr.Vector
	first    fr.Vector
	w        fr.Vector
	z        fr.Vector
	lastBits int
	lastRun  int
	// The last r's partner s and the inverse of the opened r·s, to continue the chain
	// into the next batch.
	tailS    fr.Element
	tailUInv fr.Element
	hasTail  bool
}

// ensure makes sure the pool holds at least nb bits and nc chain entries.
func (e *Engine) ensure(ctx context.Context, nb, nc int) error {
	p := &e.pool
	db, dc := nb-len(p.bits), nc-len(p.first)
	if db <= 0 && dc <= 0 {
		return nil
	}
	mb, mc := 0, 0
	if db > 0 {
		mb = max(db, min(e.maxBatch, 2*p.lastBits))
		p.lastBits = mb
	}
	if dc > 0 {
		mc = max(dc, min(e.maxBatch, 2*p.lastRun))
		p.lastRun = mc
	}
	if err := e.preprocess(ctx, mb, mc); err != nil {
		return fmt.Errorf("mpc: preprocessing: %w", err)
	}
	return nil
}

// preprocess appends nb random bits and nc chain entries to the pool, in two rounds
// (one if nb is zero).
func (e *Engine) preprocess(ctx context.Context, nb, nc int) error {
	p := &e.pool
	b := e.NewBatch()
	// Bits: b0 ⊕ b1 ⊕ b2 for PRSS bits b_t unknown to party t; first b0·b1.
	pb := e.pairBits(nb)
	prod01 := b.Mul(pb[0], pb[1])
	// Chain: open u_i = r_i·s_i, and reduce v_i = r_(i+1)·s_i.
	r, s := e.Random(nc), e.Random(nc)
	u := b.Open(LocalMul(r, s))
	var v *Pending
	if nc > 0 {
		left, right := r[1:], s[:nc-1]
		if p.hasTail {
			// v for the link from the previous batch: r_0·s_tail.
			left, right = r, append(fr.Vector{p.tailS}, s[:nc-1]...)
		}
		v = b.Reduce(LocalMul(left, right))
	}
	if err := b.Run(ctx); err != nil {
		return err
	}
	if nc > 0 {
		uv := u.Value()
		for i := range uv {
			if uv[i].IsZero() {
				return errors.New("random value was zero") // probability 2^-252
			}
		}
		uInv := fr.BatchInvert(uv)
		z := make(fr.Vector, nc)
		z.Mul(s, uInv)
		w := make(fr.Vector, nc)
		vv := v.Value()
		start := 0
		if !p.hasTail {
			w[0] = r[0] // never used: a run starts with first
			start = 1
		}
		for i := start; i < nc; i++ {
			var inv fr.Element
			if i == 0 {
				inv = p.tailUInv
			} else {
				inv = uInv[i-1]
			}
			w[i].Mul(&vv[i-start], &inv)
		}
		p.tailS, p.tailUInv, p.hasTail = s[nc-1], uInv[nc-1], true
		p.first = append(p.first, r...)
		p.w = append(p.w, w...)
		p.z = append(p.z, z...)
		clear(s)
	}
	if nb > 0 {
		x := xor(pb[0], pb[1], prod01.Value())
		b := e.NewBatch()
		prod := b.Mul(x, pb[2])
		if err := b.Run(ctx); err != nil {
			return err
		}
		p.bits = append(p.bits, xor(x, pb[2], prod.Value())...)
	}
	return nil
}

// xor returns shares of a ⊕ b = a + b - 2ab for bits a and b, given shares of ab.
func xor(a, b, ab fr.Vector) fr.Vector {
	out := make(fr.Vector, len(a))
	out.Add(a, b)
	out.Sub(out, ab)
	out.Sub(out, ab)
	return out
}

func (e *Engine) takeBits(n int) fr.Vector {
	out := append(fr.Vector(nil), e.pool.bits[:n]...)
	clear(e.pool.bits[:n])
	e.pool.bits = e.pool.bits[n:]
	return out
}

// takeRun returns the multipliers and inverses of a run of n chain entries.
func (e *Engine) takeRun(n int) (w, z fr.Vector) {
	p := &e.pool
	w = append(fr.Vector(nil), p.w[:n]...)
	w[0] = p.first[0]
	z = append(fr.Vector(nil), p.z[:n]...)
	clear(p.first[:n])
	clear(p.w[:n])
	clear(p.z[:n])
	p.first, p.w, p.z = p.first[n:], p.w[n:], p.z[n:]
	return w, z
}
