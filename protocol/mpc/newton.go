package mpc

import (
	"context"
	"fmt"
	"math"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Newton iterations on normalised inputs. Each iteration costs two rounds and squares
// the relative error (times 1.5 for the inverse square root), so the starting
// approximation, a public line, fixes the number of iterations for a precision. The
// secure normalisation (Normalize) brings any positive input into the range of the
// line.

// Minimax lines: 1/sqrt(m) ≈ a - b·m on [1/4, 1] within 8.6%; 1/m ≈ 48/17 - 32/17·m
// on [1/2, 1] within 1/17.
const (
	isqrtA, isqrtB, isqrtErr = 2.13277254, 1.21872717, 0.0860
	recipA, recipB, recipErr = 48.0 / 17, 32.0 / 17, 1.0 / 17
)

// iterations returns how many Newton steps bring a relative error e0 below 2^-(f+2)
// when each step maps e to c·e².
func iterations(e0, c float64, f int) int {
	n := 0
	for e := e0; e > math.Ldexp(1, -f-2); e = c * e * e {
		n++
	}
	return n
}

// startLine returns shares of round((a - b·m/2^f)·2^(2f)), the line a - b·m at scale
// 2^(2f), without truncation.
func startLine(m fr.Vector, f int, a, b float64) fr.Vector {
	aa := fromBig(floatInt(a, 2*f))
	bb := fromBig(floatInt(b, f))
	out := make(fr.Vector, len(m))
	out.ScalarMul(m, &bb)
	for i := range out {
		out[i].Sub(&aa, &out[i])
	}
	return out
}

// floatInt returns round(x·2^s).
func floatInt(x float64, s int) *big.Int {
	v := new(big.Float).SetMantExp(big.NewFloat(x), s)
	v.Add(v, big.NewFloat(0.5*math.Copysign(1, x)))
	i, _ := v.Int(nil)
	return i
}

func checkFrac(f int) error {
	if f < 4 || 4*f+4+Kappa+3 > FieldBits {
		return fmt.Errorf("mpc: %d fractional bits out of range for Newton iteration", f)
	}
	return nil
}

// InvSqrtNormal returns shares of about 2^f/sqrt(m/2^f), the inverse square root in
// fixed point with f fractional bits, for 2^(f-2) ≤ m_i < 2^f (values in [1/4, 1)).
// Results are within a few units of 2^-f.
func (e *Engine) InvSqrtNormal(ctx context.Context, m fr.Vector, f int) (fr.Vector, error) {
	if err := checkFrac(f); err != nil {
		return nil, err
	}
	y, sy := startLine(m, f, isqrtA, isqrtB), 2*f
	for range iterations(isqrtErr, 1.5, f) {
		// y ← y·(3 - m·y²)/2
		b := e.NewBatch()
		y2 := b.Trunc(LocalMul(y, y), 2*sy-f, 2*sy+4)
		my := b.Trunc(LocalMul(m, y), sy, f+sy+3)
		if err := b.Run(ctx); err != nil {
			return nil, err
		}
		three := pow2(2*f - sy) // 3·2^(2f-sy)·y is 3y at scale 2^(2f)
		three.Mul(&three, new(fr.Element).SetUint64(3))
		d := LocalMul(my.Value(), y2.Value()) // m·y³ at scale 2^(2f)
		t := scaled(y, &three)
		d.Sub(t, d)
		next, err := e.Trunc(ctx, d, f+1, 2*f+5)
		if err != nil {
			return nil, err
		}
		y, sy = next, f
	}
	return y, nil
}

// ReciprocalNormal returns shares of about 2^f/(m/2^f), the reciprocal in fixed point
// with f fractional bits, for 2^(f-1) ≤ m_i < 2^f (values in [1/2, 1)).
func (e *Engine) ReciprocalNormal(ctx context.Context, m fr.Vector, f int) (fr.Vector, error) {
	if err := checkFrac(f); err != nil {
		return nil, err
	}
	y, sy := startLine(m, f, recipA, recipB), 2*f
	for range iterations(recipErr, 1, f) {
		// y ← y·(2 - m·y) = 2y - y·(m·y)
		my, err := e.Trunc(ctx, LocalMul(m, y), sy, f+sy+3)
		if err != nil {
			return nil, err
		}
		d := LocalMul(y, my) // scale 2^(sy+f)
		two := pow2(f + 1)
		d.Sub(scaled(y, &two), d)
		next, err := e.Trunc(ctx, d, sy, sy+f+4)
		if err != nil {
			return nil, err
		}
		y, sy = next, f
	}
	return y, nil
}

// InvSqrt returns shares of about 2^f/sqrt(x/2^f) for integers 0 < x_i < 2^bits that
// encode fixed-point numbers with f fractional bits. It normalises x securely
// (Normalize), runs Newton's iteration on the mantissa and scales back by the secret
// power of two: about 2·log2(bits) + 2·iterations + 3 rounds.
func (e *Engine) InvSqrt(ctx context.Context, x fr.Vector, f, bits int) (fr.Vector, error) {
	if err := checkFrac(f); err != nil {
		return nil, err
	}
	k := bits + bits%2
	if k < 2 || k/2+(5*f)/2+3+Kappa+3 > FieldBits {
		return nil, fmt.Errorf("mpc: inverse square root of %d-bit values with %d fractional bits", bits, f)
	}
	nm, err := e.Normalize(ctx, x, k)
	if err != nil {
		return nil, err
	}
	// With t the top bit of x and h = floor((k-1-t)/2), x·4^h is in [2^(k-2), 2^k).
	h := func(t int) int { return (k - 1 - t) / 2 }
	pow4 := nm.Combine(func(t int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(2*h(t))) })
	m, err := e.mantissa(ctx, x, pow4, k, f)
	if err != nil {
		return nil, err
	}
	y, err := e.InvSqrtNormal(ctx, m, f)
	if err != nil {
		return nil, err
	}
	// 2^f/sqrt(x/2^f) = y·2^(f/2 + h - k/2): multiply by round(2^(h + 3f/2)), which
	// holds more than f bits (sqrt 2 when f is odd), and shift by k/2 + f.
	c := nm.Combine(func(t int) *big.Int {
		v := new(big.Float).SetPrec(256).SetMantExp(big.NewFloat(1), h(t)+(3*f)/2)
		if f%2 == 1 {
			v.Mul(v, new(big.Float).SetPrec(256).Sqrt(big.NewFloat(2)))
		}
		v.Add(v, big.NewFloat(0.5))
		i, _ := v.Int(nil)
		return i
	})
	return e.Trunc(ctx, LocalMul(y, c), k/2+f, k/2+(5*f)/2+3)
}

// Reciprocal returns shares of about 2^f/(x/2^f) for integers 0 < x_i < 2^bits that
// encode fixed-point numbers with f fractional bits, by normalisation and Newton's
// iteration like InvSqrt.
func (e *Engine) Reciprocal(ctx context.Context, x fr.Vector, f, bits int) (fr.Vector, error) {
	if err := checkFrac(f); err != nil {
		return nil, err
	}
	if bits < 1 || bits+f+2+Kappa+3 > FieldBits {
		return nil, fmt.Errorf("mpc: reciprocal of %d-bit values with %d fractional bits", bits, f)
	}
	nm, err := e.Normalize(ctx, x, bits)
	if err != nil {
		return nil, err
	}
	// With g = bits-1-t, x·2^g is in [2^(bits-1), 2^bits).
	pow := nm.Combine(func(t int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(bits-1-t)) })
	m, err := e.mantissa(ctx, x, pow, bits, f)
	if err != nil {
		return nil, err
	}
	y, err := e.ReciprocalNormal(ctx, m, f)
	if err != nil {
		return nil, err
	}
	// 2^f/(x/2^f) = y·2^(f + g - bits).
	if bits <= f {
		r, err := e.Reduce(ctx, LocalMul(y, pow))
		if err != nil {
			return nil, err
		}
		k := pow2(f - bits)
		return scaled(r, &k), nil
	}
	return e.Trunc(ctx, LocalMul(y, pow), bits-f, bits+f+2)
}

// mantissa returns x·pow/2^(k-f), for x·pow in [2^(k-2), 2^k): the normalised value
// in fixed point with f fractional bits.
func (e *Engine) mantissa(ctx context.Context, x, pow fr.Vector, k, f int) (fr.Vector, error) {
	if k > f {
		return e.Trunc(ctx, LocalMul(x, pow), k-f, k+1)
	}
	r, err := e.Reduce(ctx, LocalMul(x, pow))
	if err != nil {
		return nil, err
	}
	c := pow2(f - k)
	return scaled(r, &c), nil
}
