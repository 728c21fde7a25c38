package paillier

import (
	"errors"
	"math/big"
	"math/bits"
	_ "unsafe" // for go:linkname
)

// montgomery is Montgomery arithmetic modulo an odd m of k words, with
// R = 2^(W·k) for the word size W: a value x is held as the k words of
// x·R mod m, and the product of two such values is reduced without division.
// The fixed-base tables keep their entries in this form. math/big uses
// Montgomery multiplication only inside Exp and reduces every other product
// by long division, which costs more than the multiplication itself.
//
// Like math/big, it is not constant-time: the final subtraction and
// math/big's multiplication depend on the operands.
type montgomery struct {
	m    []big.Word // the modulus, k words, least significant first
	mInv big.Word   // −m⁻¹ mod 2^W
	rr   []big.Word // R² mod m, to bring values into Montgomery form
}

// newMontgomery returns the arithmetic modulo m, which must be odd and
// greater than 1.
func newMontgomery(m *big.Int) (*montgomery, error) {
	if m.Sign() <= 0 || m.Bit(0) == 0 || m.Cmp(one) == 0 {
		return nil, errors.New("the modulus of Montgomery arithmetic must be odd and greater than 1")
	}
	k := len(m.Bits())
	mm := &montgomery{m: make([]big.Word, k)}
	copy(mm.m, m.Bits())
	// Newton's iteration for m⁻¹ mod 2^W: each step doubles the number of
	// correct low bits, from the 3 of m itself (m·m ≡ 1 mod 8 for odd m).
	m0 := uint(mm.m[0])
	inv := m0
	for range 5 {
		inv *= 2 - m0*inv
	}
	mm.mInv = big.Word(-inv)
	rr := new(big.Int).Lsh(one, uint(2*bits.UintSize*k))
	mm.rr = mm.words(rr.Mod(rr, m))
	wipeInt(rr) // R² mod p² would reveal p
	return mm, nil
}

// words returns x, which must lie in [0, m), as k words.
func (mm *montgomery) words(x *big.Int) []big.Word {
	z := make([]big.Word, len(mm.m))
	copy(z, x.Bits())
	return z
}

// montScratch is one goroutine's working space for montgomery.mul: the
// double-width product and views of the operands for math/big.
type montScratch struct {
	t, x, y big.Int
}

// newScratch returns working space for products modulo m.
func (mm *montgomery) newScratch() *montScratch {
	s := new(montScratch)
	s.t.SetBits(make([]big.Word, 0, 2*len(mm.m)+4))
	return s
}

// wipe overwrites the last product, which may be secret.
func (s *montScratch) wipe() {
	wipeInt(&s.t)
	s.x.SetInt64(0)
	s.y.SetInt64(0)
}

// mul sets z = x·y·R⁻¹ mod m, the Montgomery product; x, y and z have k
// words, x and y lie in [0, m), and z may alias either. math/big multiplies
// (Karatsuba's method at these sizes), and reduce divides by R.
func (mm *montgomery) mul(z, x, y []big.Word, s *montScratch) {
	s.t.Mul(s.x.SetBits(x), s.y.SetBits(y))
	mm.reduce(z, s.t.Bits())
}

// toMont sets z to the Montgomery form x·R mod m of x ∈ [0, m), given as k
// words.
func (mm *montgomery) toMont(z, x []big.Word, s *montScratch) { mm.mul(z, x, mm.rr, s) }

// fromMont sets z to x·R⁻¹ mod m, the value whose Montgomery form is x.
func (mm *montgomery) fromMont(z, x []big.Word, s *montScratch) {
	t := s.t.Bits()[:0]
	t = append(t, x...)
	mm.reduce(z, t)
}

// reduce sets z = t·R⁻¹ mod m for t < m·R, given as at most 2k words
// (Montgomery's REDC, word by word): for each word i from the lowest, it
// adds the multiple u·m·2^(W·i) that clears that word, so that the low k
// words end as zero and the high k words hold t·R⁻¹ mod m, or that plus m.
// t's backing array must have room for 2k words; reduce overwrites it.
func (mm *montgomery) reduce(z, t []big.Word) {
	m := mm.m
	k := len(m)
	n := len(t)
	t = t[:2*k]
	clear(t[n:])
	var carry uint // the carry into word i+k from the rows before
	for i := range k {
		u := t[i] * mm.mInv
		c := addMulVVW(t[i:i+k], m, u)
		s, c1 := bits.Add(uint(t[i+k]), uint(c), 0)
		s, c2 := bits.Add(s, carry, 0)
		t[i+k] = big.Word(s)
		carry = c1 + c2
	}
	// The result, carry·R + t[k:], is below 2m: subtract m once if it is
	// not below m.
	r := t[k:]
	if carry != 0 || !lessWords(r, m) {
		var b uint
		for j := range k {
			var d uint
			d, b = bits.Sub(uint(r[j]), uint(m[j]), b)
			z[j] = big.Word(d)
		}
		return
	}
	copy(z, r)
}

// lessWords reports whether x < y, for numbers of the same number of words.
func lessWords(x, y []big.Word) bool {
	for j := len(x) - 1; j >= 0; j-- {
		if x[j] != y[j] {
			return x[j] < y[j]
		}
	}
	return false
}

// addMulVVW sets z = z + x·y for len(z) = len(x) and returns the carry word.
// It is math/big's own inner loop, in assembly on the common platforms,
// which math/big keeps reachable by linkname and has promised not to change
// (go.dev/issue/67401). The same loop written in Go is about 1.3 times
// slower here, which would cost the tables most of what the reduction gains.
//
//go:linkname addMulVVW math/big.addMulVVW
//go:noescape
func addMulVVW(z, x []big.Word, y big.Word) (c big.Word)
