package mpc

import (
	"context"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// BitDec returns shares of the bits of x, for integers 0 ≤ x_i < 2^bits: out[j][i] is
// bit j of x_i. The parties open x + r for a random r whose low bits are shared
// random bits and whose high part is a statistical mask, then subtract the low bits
// of r from the opened value with a binary circuit whose carries are computed by a
// parallel prefix (Kogge-Stone): 2 + ceil(log2(bits)) rounds.
func (e *Engine) BitDec(ctx context.Context, x fr.Vector, bits int) ([]fr.Vector, error) {
	if bits < 1 || bits+Kappa+3 > FieldBits {
		return nil, fmt.Errorf("mpc: cannot decompose %d-bit values", bits)
	}
	n := len(x)
	if err := e.ensure(ctx, n*bits); err != nil {
		return nil, err
	}
	rb := make([]fr.Vector, bits) // rb[j][i]: bit j of the mask of x_i
	for j := range rb {
		rb[j] = e.takeBits(n)
	}
	hi := e.randomBounded(n, Kappa)
	top := pow2(bits)
	masked := make(fr.Vector, n)
	masked.ScalarMul(hi, &top)
	masked.Add(masked, x)
	low := make(fr.Vector, n) // sum_j 2^j·b_j, by doubling
	for j := bits - 1; j >= 0; j-- {
		low.Add(low, low)
		low.Add(low, rb[j])
	}
	masked.Add(masked, low)
	clear(hi)
	clear(low)
	c, err := e.Open(ctx, masked)
	if err != nil {
		return nil, err
	}

	// x = (c - r'') mod 2^bits = c + (2^bits - 1 - r'') + 1 mod 2^bits: add the public
	// bits a_j of c to y_j = 1 - b_j with a carry into bit 0.
	one := fr.One()
	g := make([]fr.Vector, bits) // generate: a_j·y_j
	p := make([]fr.Vector, bits) // propagate: a_j ⊕ y_j
	for j := range bits {
		g[j], p[j] = make(fr.Vector, n), make(fr.Vector, n)
		for i := range n {
			var y fr.Element
			y.Sub(&one, &rb[j][i])
			limbs := c[i].Bits()
			if bit(&limbs, j) == 1 {
				g[j][i] = y
				p[j][i].Sub(&one, &y)
			} else {
				p[j][i] = y
			}
		}
		clear(rb[j])
	}
	prop := make([]fr.Vector, bits) // the propagate bits, kept for the sum
	for j := range p {
		prop[j] = append(fr.Vector(nil), p[j]...)
	}
	// Fold the carry-in into position 0: G_0 = g_0 + p_0·1, and nothing propagates
	// through position 0 any more.
	g[0].Add(g[0], p[0])
	clear(p[0])
	// After the prefix, g[j] is the carry out of bit j.
	for s := 1; s < bits; s *= 2 {
		b := e.NewBatch()
		var gp, pp []*Pending
		for j := s; j < bits; j++ {
			gp = append(gp, b.Mul(p[j], g[j-s]))
			if j >= 2*s {
				pp = append(pp, b.Mul(p[j], p[j-s]))
			}
		}
		if err := b.Run(ctx); err != nil {
			return nil, err
		}
		for j := bits - 1; j >= s; j-- {
			g[j].Add(g[j], gp[j-s].Value())
		}
		k := 0
		for j := 2 * s; j < bits; j++ {
			p[j] = pp[k].Value()
			k++
		}
	}
	// Sum bits: x_0 = p_0 ⊕ 1, x_j = p_j ⊕ carry_(j-1).
	out := make([]fr.Vector, bits)
	out[0] = make(fr.Vector, n)
	for i := range n {
		out[0][i].Sub(&one, &prop[0][i])
	}
	if bits > 1 {
		b := e.NewBatch()
		prods := make([]*Pending, bits)
		for j := 1; j < bits; j++ {
			prods[j] = b.Mul(prop[j], g[j-1])
		}
		if err := b.Run(ctx); err != nil {
			return nil, err
		}
		for j := 1; j < bits; j++ {
			out[j] = xor(prop[j], g[j-1], prods[j].Value())
		}
	}
	return out, nil
}

// Norm is the secure bit length of positive integers, as a one-hot encoding: OneHot[t]
// shares, for each integer, 1 if its most significant bit is bit t and 0 otherwise.
// Public functions of the bit length are then linear (Combine), which is how Newton
// iterations get their starting scale.
type Norm struct {
	Bits   int
	OneHot []fr.Vector
}

// Normalize returns the bit lengths of integers 0 < x_i < 2^bits: a bit
// decomposition followed by a prefix OR from the top (another ceil(log2(bits))
// rounds). For x_i = 0 every indicator is 0.
func (e *Engine) Normalize(ctx context.Context, x fr.Vector, bits int) (*Norm, error) {
	xb, err := e.BitDec(ctx, x, bits)
	if err != nil {
		return nil, err
	}
	// o[t] = OR of bits t..bits-1.
	o := xb
	for s := 1; s < bits; s *= 2 {
		b := e.NewBatch()
		prods := make([]*Pending, bits)
		for t := 0; t+s < bits; t++ {
			prods[t] = b.Mul(o[t], o[t+s])
		}
		if err := b.Run(ctx); err != nil {
			return nil, err
		}
		next := make([]fr.Vector, bits)
		for t := range bits {
			if t+s < bits {
				next[t] = Sub(Add(o[t], o[t+s]), prods[t].Value()) // a ∨ b = a + b - ab
			} else {
				next[t] = o[t]
			}
		}
		o = next
	}
	nm := &Norm{Bits: bits, OneHot: make([]fr.Vector, bits)}
	for t := range bits {
		if t+1 < bits {
			nm.OneHot[t] = Sub(o[t], o[t+1])
		} else {
			nm.OneHot[t] = o[t]
		}
	}
	return nm, nil
}

// Combine returns shares of c(t_i), where t_i is the position of the most significant
// bit of x_i and c is a public function. It is local: a linear combination of the
// one-hot indicators.
func (nm *Norm) Combine(c func(t int) *big.Int) fr.Vector {
	out := make(fr.Vector, len(nm.OneHot[0]))
	for t := range nm.Bits {
		k := fromBig(c(t))
		if k.IsZero() {
			continue
		}
		out.Add(out, scaled(nm.OneHot[t], &k))
	}
	return out
}
