// Package fixedpoint converts between float64 values and the signed integers that
// Triad computes on: a value v is represented by round(v·2^Frac), which must fit in a
// signed integer of Bits bits.
//
// Conversions never wrap silently. A value that does not fit, NaN and the infinities
// are errors, so that a mistake in the input or the scale shows up where it happens
// rather than as a wrong coefficient at the end of a secure computation.
package fixedpoint

import (
	"fmt"
	"math"
	"math/big"
)

// Params fixes a fixed-point encoding: v is encoded as round(v·2^Frac), rounding to
// the nearest integer with ties to even, and the encoding e must satisfy
// |e| < 2^(Bits-1).
type Params struct {
	Frac int // fractional bits: the resolution is 2^-Frac
	Bits int // width of the signed encoding, at most 64
}

// Validate reports whether p describes a usable encoding.
func (p Params) Validate() error {
	if p.Bits < 2 || p.Bits > 64 {
		return fmt.Errorf("fixedpoint: %d bits: want 2 to 64", p.Bits)
	}
	if p.Frac < 0 || p.Frac >= p.Bits-1 {
		return fmt.Errorf("fixedpoint: %d fractional bits: want 0 to %d with %d bits", p.Frac, p.Bits-2, p.Bits)
	}
	return nil
}

// limit returns 2^(Bits-1), the bound on the magnitude of an encoding, as a float64
// (exact: a power of two).
func (p Params) limit() float64 { return math.Ldexp(1, p.Bits-1) }

// Max returns the largest magnitude that encodes: values strictly between -Max and
// Max fit once rounded.
func (p Params) Max() float64 { return math.Ldexp(1, p.Bits-1-p.Frac) }

// Encode returns round(x·2^Frac). It fails if x is NaN or infinite, or if the
// rounded value does not satisfy |e| < 2^(Bits-1).
func (p Params) Encode(x float64) (int64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("fixedpoint: cannot encode %v", x)
	}
	r := math.RoundToEven(math.Ldexp(x, p.Frac)) // scaling by 2^Frac is exact
	if lim := p.limit(); r >= lim || r <= -lim {
		return 0, fmt.Errorf("fixedpoint: %g does not fit in %d bits at scale 2^%d: its magnitude must be below %g", x, p.Bits, p.Frac, p.Max())
	}
	return int64(r), nil
}

// Decode returns v·2^-Frac, the value that v encodes (rounded to float64 when v has
// more than 53 significant bits).
func (p Params) Decode(v int64) float64 { return math.Ldexp(float64(v), -p.Frac) }

// DecodeBig returns v·2^-Frac for an integer of any width, such as a sum or product
// of encodings, rounded to the nearest float64.
func (p Params) DecodeBig(v *big.Int) float64 {
	f := new(big.Float).SetInt(v)
	f.SetMantExp(f, -p.Frac)
	x, _ := f.Float64()
	return x
}

// Offset returns 2^(Bits-1). Adding it to an encoding gives an integer in
// [0, 2^Bits), which is how values travel where only non-negative integers can (a
// Paillier plaintext slot, for instance).
func (p Params) Offset() uint64 { return 1 << (p.Bits - 1) }

// OffsetBig returns 2^(Bits-1) as a big.Int.
func (p Params) OffsetBig() *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(p.Bits-1)) }

// Unsigned returns e + 2^(Bits-1), in [0, 2^Bits) for every valid encoding e. It
// fails if e is out of range.
func (p Params) Unsigned(e int64) (uint64, error) {
	if err := p.check(e); err != nil {
		return 0, err
	}
	return uint64(e) + p.Offset(), nil
}

// FromUnsigned inverts Unsigned.
func (p Params) FromUnsigned(u uint64) (int64, error) {
	if p.Bits < 64 && u >= 1<<p.Bits {
		return 0, fmt.Errorf("fixedpoint: %d is not below 2^%d", u, p.Bits)
	}
	return int64(u - p.Offset()), nil
}

func (p Params) check(e int64) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if p.Bits < 64 {
		if lim := int64(1) << (p.Bits - 1); e >= lim || e <= -lim {
			return fmt.Errorf("fixedpoint: encoding %d does not fit in %d bits", e, p.Bits)
		}
	} else if e == math.MinInt64 {
		return fmt.Errorf("fixedpoint: encoding %d does not fit in %d bits", e, p.Bits)
	}
	return nil
}
