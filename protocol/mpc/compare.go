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
// rounds (plus preprocessing when its pool runs low), after Catrina and de Hoogh
// (2010): with m = Bits-1,
//
//  1. open c = x + 2^m + 2^m·r' + r”, where r” = sum_i 2^i·b_i for shared random bits
//     b_i and r' is a PRSS mask with Kappa more bits: c is statistically hidden;
//  2. compare c mod 2^m with r” bit by bit: the most significant differing bit decides,
//     and prefix products of (1 + (c_i ⊕ b_i)) locate it; opening these products
//     multiplied by random non-zero values reveals uniform values;
//  3. extract the parity that holds the answer by opening it under a mask (a random
//     bit plus a statistical mask).
//
// Then x < 0 exactly when the bit m of x + 2^m is 0, which is linear in what precedes.
// min(x, 0) = [x < 0]·x costs two more products, made in round 2.
func (e *Engine) Compare(ctx context.Context, cs ...*Comparison) error {
	nb, nc := 0, 0
	for _, c := range cs {
		if c.Bits < 2 || c.Bits+Kappa+3 > FieldBits {
			return fmt.Errorf("mpc: cannot compare %d-bit values", c.Bits)
		}
		nb += len(c.X) * c.Bits // m bits and one more for the parity mask
		nc += len(c.X) * (c.Bits - 1)
	}
	if err := e.ensure(ctx, nb, nc); err != nil {
		return err
	}
	type state struct {
		m       int
		rb      []fr.Vector // per element: m mask bits
		r0      fr.Vector   // parity mask bits
		hi      fr.Vector   // r'
		open    fr.Vector   // opened c (after round 1)
		cbits   [][]byte
		w, z    []fr.Vector // per element: chain of length m
		mw      *Pending
		rx, r0x *Pending
		s       fr.Vector
		hi2     fr.Vector
		opened2 *Pending
	}
	st := make([]*state, len(cs))

	// Round 1: open the masked values.
	b := e.NewBatch()
	opened := make([]*Pending, len(cs))
	for k, c := range cs {
		m, n := c.Bits-1, len(c.X)
		s := &state{m: m, rb: make([]fr.Vector, n)}
		s.hi = e.randomBounded(n, c.Bits+Kappa-m)
		masked := make(fr.Vector, n)
		twoM := pow2(m)
		for i := range n {
			s.rb[i] = e.takeBits(m)
			var low fr.Element
			for j := m - 1; j >= 0; j-- { // Horner: sum 2^j b_j
				low.Double(&low)
				low.Add(&low, &s.rb[i][j])
			}
			masked[i].Mul(&s.hi[i], &twoM)
			masked[i].Add(&masked[i], &low)
			masked[i].Add(&masked[i], &c.X[i])
			masked[i].Add(&masked[i], &twoM)
		}
		s.r0 = e.takeBits(n)
		opened[k] = b.Open(masked)
		st[k] = s
	}
	if err := b.Run(ctx); err != nil {
		return err
	}

	// Round 2: prefix products of x_t = 1 + (c_i ⊕ b_i), from the top bit down, each
	// multiplied by its chain multiplier and opened; products for min.
	b = e.NewBatch()
	for k, c := range cs {
		s := st[k]
		s.open = opened[k].Value()
		n := len(c.X)
		s.cbits = make([][]byte, n)
		s.w, s.z = make([]fr.Vector, n), make([]fr.Vector, n)
		prods := make(fr.Vector, 0, n*s.m)
		for i := range n {
			limbs := s.open[i].Bits()
			cb := make([]byte, s.m)
			for j := range cb {
				cb[j] = bit(&limbs, j)
			}
			s.cbits[i] = cb
			w, z := e.takeRun(s.m)
			s.w[i], s.z[i] = w, z
			for t := range s.m {
				j := s.m - 1 - t
				x := xorPublic(&s.rb[i][j], cb[j])
				one := fr.One()
				x.Add(&x, &one)
				var pr fr.Element
				pr.Mul(&w[t], &x)
				prods = append(prods, pr)
			}
		}
		s.mw = b.Open(prods)
		if c.WithMin {
			s.rx = b.Mul(s.hi, c.X)
			s.r0x = b.Mul(s.r0, c.X)
		}
	}
	if err := b.Run(ctx); err != nil {
		return err
	}

	// Round 3: s = sum_i (1 - c_i)·(p_i - p_(i+1)) has the answer in its parity; open
	// s + 2·r + r0.
	b = e.NewBatch()
	for k, c := range cs {
		s := st[k]
		mv := s.mw.Value()
		n := len(c.X)
		s.s = make(fr.Vector, n)
		for i := range n {
			var acc fr.Element = fr.One() // running product of opened values
			prev := fr.One()              // p_(j+1), the prefix product above bit j
			for t := range s.m {
				j := s.m - 1 - t
				acc.Mul(&acc, &mv[i*s.m+t])
				var p fr.Element // p_j = prod_{j' >= j} x_j'
				p.Mul(&acc, &s.z[i][t])
				if s.cbits[i][j] == 0 {
					var d fr.Element
					d.Sub(&p, &prev)
					s.s[i].Add(&s.s[i], &d)
				}
				prev = p
			}
			clear(s.w[i])
			clear(s.z[i])
		}
		s.hi2 = e.randomBounded(n, s.m+Kappa)
		masked := make(fr.Vector, n)
		for i := range n {
			masked[i].Double(&s.hi2[i])
			masked[i].Add(&masked[i], &s.s[i])
			masked[i].Add(&masked[i], &s.r0[i])
		}
		s.opened2 = b.Open(masked)
	}
	if err := b.Run(ctx); err != nil {
		return err
	}

	for k, c := range cs {
		s := st[k]
		o2 := s.opened2.Value()
		n := len(c.X)
		c.Neg = make(fr.Vector, n)
		if c.WithMin {
			c.Min = make(fr.Vector, n)
		}
		var rx, r0x fr.Vector
		if c.WithMin {
			rx, r0x = s.rx.Value(), s.r0x.Value()
		}
		one := fr.One()
		for i := range n {
			// u = [c mod 2^m < r''] = c0 ⊕ r0, with c0 the parity of the opened value.
			c0 := o2[i].Bits()[0] & 1
			top := shiftRight(&s.open[i], s.m) // floor(c/2^m) = bit m of x+2^m, + r' + u
			// neg = 1 - floor(c/2^m) + r' + u, u = c0 + (1 - 2c0)·r0
			var pub fr.Element // 1 - floor(c/2^m) + c0
			pub.Sub(&one, &top)
			if c0 == 1 {
				pub.Add(&pub, &one)
			}
			neg := &c.Neg[i]
			neg.Add(&pub, &s.hi[i])
			if c0 == 1 {
				neg.Sub(neg, &s.r0[i])
			} else {
				neg.Add(neg, &s.r0[i])
			}
			if c.WithMin {
				mn := &c.Min[i]
				mn.Mul(&pub, &c.X[i])
				mn.Add(mn, &rx[i])
				if c0 == 1 {
					mn.Sub(mn, &r0x[i])
				} else {
					mn.Add(mn, &r0x[i])
				}
			}
		}
		clear(s.hi)
		clear(s.hi2)
		clear(s.r0)
		for i := range s.rb {
			clear(s.rb[i])
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
