package mpc

import (
	"context"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// A Comparison is a group of values to compare with zero in Compare.
type Comparison struct {
	X       fr.Vector // shares; degree 2 is allowed unless WithMin is set
	Bits    int       // bound: |X[i]| < 2^(Bits-1)
	WithMin bool      // also compute Min

	Neg fr.Vector // result: shares of 1 where X[i] < 0, else 0
	Min fr.Vector // result when WithMin: shares of min(X[i], 0)
}

// LTZ returns shares of [x_i < 0] for |x_i| < 2^(bits-1) (three rounds; see Compare).
func (e *Engine) LTZ(ctx context.Context, x fr.Vector, bits int) (fr.Vector, error) {
	c := &Comparison{X: x, Bits: bits}
	if err := e.Compare(ctx, c); err != nil {
		return nil, err
	}
	return c.Neg, nil
}

// MinZero returns shares of [x_i < 0] and of min(x_i, 0) for |x_i| < 2^(bits-1), in
// the rounds of one comparison. max(x, 0) is x - min(x, 0).
func (e *Engine) MinZero(ctx context.Context, x fr.Vector, bits int) (neg, min fr.Vector, err error) {
	c := &Comparison{X: x, Bits: bits, WithMin: true}
	if err := e.Compare(ctx, c); err != nil {
		return nil, nil, err
	}
	return c.Neg, c.Min, nil
}

// Compare computes the sign of every value of every group, all in the same three
// rounds (plus preprocessing when its pool runs low): x < 0 exactly when bit m = Bits-1
// of x + 2^m is 0, which Floor's protocol computes (see Floor). min(x, 0) = [x < 0]·x
// costs two more products, made in the second round.
func (e *Engine) Compare(ctx context.Context, cs ...*Comparison) error {
	gs := make([]*floorGroup, len(cs))
	for k, c := range cs {
		gs[k] = &floorGroup{x: c.X, bits: c.Bits, m: c.Bits - 1, withMin: c.WithMin}
	}
	if err := e.floor(ctx, gs); err != nil {
		return err
	}
	one := fr.One()
	for k, c := range cs {
		g := gs[k]
		// [x < 0] = 1 - floor((x + 2^m)/2^m).
		c.Neg = make(fr.Vector, len(c.X))
		for i := range c.Neg {
			c.Neg[i].Sub(&one, &g.q[i])
		}
		c.Min = g.min
	}
	return nil
}

// Floor returns shares of floor(d_i/2^shift), exactly, for shares d of degree 1 or 2
// with |d_i| < 2^(bits-1), in three rounds (plus preprocessing). Unlike Trunc it is
// deterministic: floor((d + 2^(shift-1))/2^shift) rounds to the nearest integer and
// maps 0 to 0.
//
// The protocol follows Catrina and de Hoogh (2010), with m = shift:
//
//  1. open c = d + 2^(bits-1) + 2^m·r' + r”, where r” = sum_i 2^i·b_i for shared
//     random bits b_i and r' is a PRSS mask with Kappa more bits: c is statistically
//     hidden;
//  2. compare c mod 2^m with r” bit by bit: the most significant differing bit
//     decides, and prefix products of 1 + (c_i ⊕ b_i) locate it; the products are
//     computed by opening them multiplied by random non-zero values (PreMulC), which
//     reveals uniform values;
//  3. extract the parity that holds the answer by opening it under a mask (a random
//     bit plus a statistical mask).
//
// Then floor((d + 2^(bits-1))/2^m) = floor(c/2^m) - r' - [c mod 2^m < r”].
func (e *Engine) Floor(ctx context.Context, d fr.Vector, shift, bits int) (fr.Vector, error) {
	if shift < 1 || shift >= bits {
		return nil, fmt.Errorf("mpc: cannot floor %d-bit values by %d bits", bits, shift)
	}
	g := &floorGroup{x: d, bits: bits, m: shift}
	if err := e.floor(ctx, []*floorGroup{g}); err != nil {
		return nil, err
	}
	off := pow2(bits - 1 - shift)
	out := make(fr.Vector, len(d))
	for i := range out {
		out[i].Sub(&g.q[i], &off)
	}
	return out, nil
}

// floorGroup is one group of values for floor: inputs, and the results q, shares of
// floor((x + 2^(bits-1))/2^m), and min, shares of [x < 0]·x when m = bits-1.
type floorGroup struct {
	x       fr.Vector
	bits, m int
	withMin bool

	q, min fr.Vector

	rb      []fr.Vector // per element: m mask bits
	r0      fr.Vector   // parity mask bits
	hi, hi2 fr.Vector   // r' and the parity's statistical mask
	c       fr.Vector   // opened c
	cbits   [][]byte
	w, z    []fr.Vector // per element: chain of length m
	mw      *Pending
	rx, r0x *Pending
	c2      *Pending
}

func (e *Engine) floor(ctx context.Context, gs []*floorGroup) error {
	nb, nc := 0, 0
	for _, g := range gs {
		if g.bits < 2 || g.bits+Kappa+3 > FieldBits || g.m < 1 || g.m >= g.bits {
			return fmt.Errorf("mpc: cannot compare or floor %d-bit values", g.bits)
		}
		if g.withMin && g.m != g.bits-1 {
			return fmt.Errorf("mpc: min needs a full comparison")
		}
		nb += len(g.x) * (g.m + 1) // m bits and one more for the parity mask
		nc += len(g.x) * g.m
	}
	if err := e.ensure(ctx, nb, nc); err != nil {
		return err
	}

	// Round 1: open the masked values.
	b := e.NewBatch()
	opened := make([]*Pending, len(gs))
	for k, g := range gs {
		n := len(g.x)
		g.rb = make([]fr.Vector, n)
		g.hi = e.randomBounded(n, g.bits+Kappa-g.m)
		masked := make(fr.Vector, n)
		twoM, top := pow2(g.m), pow2(g.bits-1)
		for i := range n {
			g.rb[i] = e.takeBits(g.m)
			var low fr.Element
			for j := g.m - 1; j >= 0; j-- { // Horner: sum 2^j b_j
				low.Double(&low)
				low.Add(&low, &g.rb[i][j])
			}
			masked[i].Mul(&g.hi[i], &twoM)
			masked[i].Add(&masked[i], &low)
			masked[i].Add(&masked[i], &g.x[i])
			masked[i].Add(&masked[i], &top)
		}
		g.r0 = e.takeBits(n)
		opened[k] = b.Open(masked)
	}
	if err := b.Run(ctx); err != nil {
		return err
	}

	// Round 2: prefix products of x_t = 1 + (c_j ⊕ b_j), from the top bit down, each
	// multiplied by its chain multiplier and opened; products for min.
	b = e.NewBatch()
	one := fr.One()
	for k, g := range gs {
		g.c = opened[k].Value()
		n := len(g.x)
		g.cbits = make([][]byte, n)
		g.w, g.z = make([]fr.Vector, n), make([]fr.Vector, n)
		prods := make(fr.Vector, n*g.m)
		for i := range n {
			limbs := g.c[i].Bits()
			cb := make([]byte, g.m)
			for j := range cb {
				cb[j] = bit(&limbs, j)
			}
			g.cbits[i] = cb
			w, z := e.takeRun(g.m)
			g.w[i], g.z[i] = w, z
			for t := range g.m {
				j := g.m - 1 - t
				x := xorPublic(&g.rb[i][j], cb[j])
				x.Add(&x, &one)
				prods[i*g.m+t].Mul(&w[t], &x)
			}
		}
		g.mw = b.Open(prods)
		if g.withMin {
			g.rx = b.Mul(g.hi, g.x)
			g.r0x = b.Mul(g.r0, g.x)
		}
	}
	if err := b.Run(ctx); err != nil {
		return err
	}

	// Round 3: s = sum_j (1 - c_j)·(p_j - p_(j+1)) has the answer in its parity; open
	// s + 2·r + r0.
	b = e.NewBatch()
	for _, g := range gs {
		mv := g.mw.Value()
		n := len(g.x)
		s := make(fr.Vector, n)
		for i := range n {
			acc := fr.One()  // running product of opened values
			prev := fr.One() // p_(j+1), the prefix product above bit j
			for t := range g.m {
				j := g.m - 1 - t
				acc.Mul(&acc, &mv[i*g.m+t])
				var p fr.Element // p_j = prod_(j' ≥ j) x_j'
				p.Mul(&acc, &g.z[i][t])
				if g.cbits[i][j] == 0 {
					var d fr.Element
					d.Sub(&p, &prev)
					s[i].Add(&s[i], &d)
				}
				prev = p
			}
			clear(g.w[i])
			clear(g.z[i])
		}
		g.hi2 = e.randomBounded(n, g.m+Kappa)
		masked := make(fr.Vector, n)
		for i := range n {
			masked[i].Double(&g.hi2[i])
			masked[i].Add(&masked[i], &s[i])
			masked[i].Add(&masked[i], &g.r0[i])
		}
		g.c2 = b.Open(masked)
	}
	if err := b.Run(ctx); err != nil {
		return err
	}

	for _, g := range gs {
		o2 := g.c2.Value()
		n := len(g.x)
		g.q = make(fr.Vector, n)
		if g.withMin {
			g.min = make(fr.Vector, n)
		}
		var rx, r0x fr.Vector
		if g.withMin {
			rx, r0x = g.rx.Value(), g.r0x.Value()
		}
		for i := range n {
			// u = [c mod 2^m < r''] = c0 ⊕ r0, with c0 the parity of the opened value;
			// q = floor(c/2^m) - r' - u, and u = c0 + (1 - 2c0)·r0.
			c0 := o2[i].Bits()[0] & 1
			pub := shiftRight(&g.c[i], g.m) // floor(c/2^m) - c0
			if c0 == 1 {
				pub.Sub(&pub, &one)
			}
			q := &g.q[i]
			q.Sub(&pub, &g.hi[i])
			if c0 == 1 {
				q.Add(q, &g.r0[i])
			} else {
				q.Sub(q, &g.r0[i])
			}
			if g.withMin {
				// [x < 0]·x = (1 - q)·x = (1 - pub)·x + r'·x ± r0·x.
				var lt fr.Element
				lt.Sub(&one, &pub)
				mn := &g.min[i]
				mn.Mul(&lt, &g.x[i])
				mn.Add(mn, &rx[i])
				if c0 == 1 {
					mn.Sub(mn, &r0x[i])
				} else {
					mn.Add(mn, &r0x[i])
				}
			}
		}
		clear(g.hi)
		clear(g.hi2)
		clear(g.r0)
		for i := range g.rb {
			clear(g.rb[i])
		}
	}
	return nil
}

// xorPublic returns shares of b ⊕ c for a shared bit b and a public bit c.
func xorPublic(b *fr.Element, c byte) fr.Element {
	if c == 0 {
		return *b
	}
	var out fr.Element
	one := fr.One()
	out.Sub(&one, b)
	return out
}
