package fixedpoint

import "testing"

func BenchmarkEncodeDecode(b *testing.B) {
	p := Params{Frac: 24, Bits: 64}
	x := 1234.5678
	for b.Loop() {
		v, err := p.Encode(x)
		if err != nil {
			b.Fatal(err)
		}
		x = p.Decode(v)
	}
}
