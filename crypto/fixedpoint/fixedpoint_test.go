package fixedpoint

import (
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		p  Params
		ok bool
	}{
		{Params{24, 64}, true},
		{Params{0, 2}, true},
		{Params{62, 64}, true},
		{Params{63, 64}, false},
		{Params{24, 65}, false},
		{Params{0, 1}, false},
		{Params{-1, 32}, false},
	} {
		if err := c.p.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v.Validate() = %v", c.p, err)
		}
	}
}

func TestEncodeRounding(t *testing.T) {
	p := Params{Frac: 2, Bits: 16} // resolution 1/4
	for _, c := range []struct {
		x    float64
		want int64
	}{
		{0, 0},
		{1, 4},
		{-1, -4},
		{0.25, 1},
		{0.3, 1},     // 1.2 rounds down
		{0.2, 1},     // 0.8 rounds up
		{-0.3, -1},   // symmetric
		{0.125, 0},   // tie 0.5 -> even 0
		{0.375, 2},   // tie 1.5 -> even 2
		{0.625, 2},   // tie 2.5 -> even 2
		{-0.375, -2}, // tie -1.5 -> even -2
		{-0.625, -2}, // tie -2.5 -> even -2
		{1e-300, 0},  // underflow is zero
		{-1e-300, 0}, // and so is its negative
		{8191.75, 32767},
		{-8191.75, -32767},
	} {
		got, err := p.Encode(c.x)
		if err != nil {
			t.Errorf("Encode(%v): %v", c.x, err)
			continue
		}
		if got != c.want {
			t.Errorf("Encode(%v) = %d, want %d", c.x, got, c.want)
		}
		if back := p.Decode(got); math.Abs(back-c.x) > 0.125 {
			t.Errorf("Decode(Encode(%v)) = %v, more than half a step away", c.x, back)
		}
	}
}

func TestEncodeLimits(t *testing.T) {
	p := Params{Frac: 2, Bits: 16} // |e| < 32768: |x| < 8192
	for _, x := range []float64{8192, -8192, 8191.9, -8191.9, 1e300, math.Inf(1), math.Inf(-1), math.NaN()} {
		_, err := p.Encode(x)
		if err == nil {
			t.Errorf("Encode(%v) succeeded", x)
			continue
		}
		if !math.IsNaN(x) && !math.IsInf(x, 0) && !strings.Contains(err.Error(), "8192") {
			t.Errorf("Encode(%v): error %q does not name the limit", x, err)
		}
	}
	if got := p.Max(); got != 8192 {
		t.Errorf("Max() = %v", got)
	}
}

func TestSixtyFourBits(t *testing.T) {
	p := Params{Frac: 24, Bits: 64}
	max := math.Nextafter(p.Max(), 0) // largest float64 below 2^39
	for _, x := range []float64{max, -max, 123456.789, -0.5e-7} {
		e, err := p.Encode(x)
		if err != nil {
			t.Fatalf("Encode(%v): %v", x, err)
		}
		if got := p.Decode(e); math.Abs(got-x) > math.Ldexp(1, -25)*(1+math.Abs(x)*1e-15) {
			t.Errorf("Decode(Encode(%v)) = %v", x, got)
		}
		u, err := p.Unsigned(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := p.FromUnsigned(u)
		if err != nil || back != e {
			t.Errorf("FromUnsigned(Unsigned(%d)) = %d, %v", e, back, err)
		}
	}
	if _, err := p.Encode(p.Max()); err == nil {
		t.Error("Encode(Max()) succeeded")
	}
	if p.Offset() != 1<<63 || p.OffsetBig().Cmp(new(big.Int).Lsh(big.NewInt(1), 63)) != 0 {
		t.Error("wrong offset for 64 bits")
	}
	if _, err := p.Unsigned(math.MinInt64); err == nil {
		t.Error("Unsigned accepted -2^63")
	}
}

func TestUnsignedRange(t *testing.T) {
	p := Params{Frac: 4, Bits: 12}
	for _, e := range []int64{-2047, -1, 0, 1, 2047} {
		u, err := p.Unsigned(e)
		if err != nil {
			t.Fatal(err)
		}
		if u >= 1<<12 {
			t.Errorf("Unsigned(%d) = %d, not below 2^12", e, u)
		}
		if back, _ := p.FromUnsigned(u); back != e {
			t.Errorf("FromUnsigned(Unsigned(%d)) = %d", e, back)
		}
	}
	for _, e := range []int64{2048, -2048} {
		if _, err := p.Unsigned(e); err == nil {
			t.Errorf("Unsigned(%d) accepted", e)
		}
	}
	if _, err := p.FromUnsigned(1 << 12); err == nil {
		t.Error("FromUnsigned(2^12) accepted")
	}
}

func TestDecodeBig(t *testing.T) {
	p := Params{Frac: 24, Bits: 64}
	// A product of two encodings has scale 2^48: decode at Frac 48.
	a, _ := p.Encode(-3.5)
	b, _ := p.Encode(1234.25)
	prod := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	if got := (Params{Frac: 48, Bits: 64}).DecodeBig(prod); got != -3.5*1234.25 {
		t.Errorf("DecodeBig(product) = %v", got)
	}
	huge := new(big.Int).Lsh(big.NewInt(-3), 200)
	if got := p.DecodeBig(huge); got != -3*math.Ldexp(1, 176) {
		t.Errorf("DecodeBig(-3·2^200) = %v", got)
	}
}
