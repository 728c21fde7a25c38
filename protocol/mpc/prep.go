package mpc

import (
	"context"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// pool holds shared random bits made ahead of use, for bit decompositions.
type pool struct {
	bits fr.Vector
}

// ensure makes sure the pool holds at least nb bits, in two dedicated rounds when it
// does not.
func (e *Engine) ensure(ctx context.Context, nb int) error {
	p := &e.pool
	db := nb - len(p.bits)
	if db <= 0 {
		return nil
	}
	if err := e.preprocess(ctx, max(db, e.minBatch)); err != nil {
		return fmt.Errorf("mpc: preprocessing: %w", err)
	}
	return nil
}

// preprocess appends nb random bits to the pool, in two rounds.
func (e *Engine) preprocess(ctx context.Context, nb int) error {
	r := e.newRefill(nb)
	b := e.NewBatch()
	r.first(b)
	if err := b.Run(ctx); err != nil {
		return err
	}
	b = e.NewBatch()
	r.second(b)
	if err := b.Run(ctx); err != nil {
		return err
	}
	e.addRefill(r)
	return nil
}

// A refill makes random bits in two multiplications, which may share the rounds of
// other operations: first in one Batch, second in a later one, then shares. Each bit
// is b_0 ⊕ b_1 ⊕ b_2 for PRSS bits b_t known to the two parties other than t (see
// pairBits); a party knows two components of each, which comparisons use to blind
// the bit they open (see Batch.Compare).
type refill struct {
	pb      [3]fr.Vector
	comps   []byte
	p01, p2 *Pending
	x       fr.Vector
}

// newRefill draws the PRSS bits of n random bits.
func (e *Engine) newRefill(n int) *refill {
	pb, comps := e.pairBits(n)
	return &refill{pb: pb, comps: comps}
}

// first adds b_0·b_1 to b.
func (r *refill) first(b *Batch) { r.p01 = b.Mul(r.pb[0], r.pb[1]) }

// second adds (b_0 ⊕ b_1)·b_2 to b, once the Batch of first has run.
func (r *refill) second(b *Batch) {
	r.x = xor(r.pb[0], r.pb[1], r.p01.Value())
	r.p2 = b.Mul(r.x, r.pb[2])
}

// shares returns the shares of the bits of r, whose second Batch has run.
func (r *refill) shares() fr.Vector { return xor(r.x, r.pb[2], r.p2.Value()) }

// wipe clears what r holds.
func (r *refill) wipe() {
	clear(r.x)
	clear(r.comps)
	for t := range r.pb {
		clear(r.pb[t])
	}
}

// addRefill appends the bits of r, whose second Batch has run, to the pool.
func (e *Engine) addRefill(r *refill) {
	e.pool.bits = append(e.pool.bits, r.shares()...)
	r.wipe()
}

// xor returns shares of a ⊕ b = a + b - 2ab for bits a and b, given shares of ab.
func xor(a, b, ab fr.Vector) fr.Vector {
	out := make(fr.Vector, len(a))
	out.Add(a, b)
	out.Sub(out, ab)
	out.Sub(out, ab)
	return out
}

// takeBits removes n bits from the pool and returns their shares.
func (e *Engine) takeBits(n int) fr.Vector {
	p := &e.pool
	out := append(fr.Vector(nil), p.bits[:n]...)
	clear(p.bits[:n])
	p.bits = p.bits[n:]
	return out
}
