package paillier

import (
	"math/big"
	"math/bits"
	"testing"
)

// montWant returns x·y·R⁻¹ mod m for R = 2^(W·k), as math/big computes it.
func montWant(x, y, m *big.Int, k int) *big.Int {
	r := new(big.Int).Lsh(one, uint(bits.UintSize*k))
	rInv := new(big.Int).ModInverse(r, m)
	z := new(big.Int).Mul(x, y)
	z.Mul(z, rInv)
	return z.Mod(z, m)
}

// montCheck compares mul, toMont and fromMont modulo m with math/big for
// x and y in [0, m).
func montCheck(t *testing.T, mm *montgomery, m, x, y *big.Int) {
	t.Helper()
	k := len(mm.m)
	s := mm.newScratch()
	xw, yw, z := mm.words(x), mm.words(y), make([]big.Word, k)
	mm.mul(z, xw, yw, s)
	if got, want := toInt(z), montWant(x, y, m, k); got.Cmp(want) != 0 {
		t.Fatalf("mod %#x: %#x ⊗ %#x = %#x, want %#x", m, x, y, got, want)
	}
	// z may alias an operand.
	mm.mul(xw, xw, yw, s)
	if toInt(xw).Cmp(toInt(z)) != 0 {
		t.Fatalf("mod %#x: product into its own operand differs", m)
	}
	mm.toMont(z, yw, s)
	r := new(big.Int).Lsh(y, uint(bits.UintSize*k))
	if got, want := toInt(z), r.Mod(r, m); got.Cmp(want) != 0 {
		t.Fatalf("mod %#x: Montgomery form of %#x is %#x, want %#x", m, y, got, want)
	}
	mm.fromMont(z, z, s)
	if toInt(z).Cmp(y) != 0 {
		t.Fatalf("mod %#x: %#x does not survive the Montgomery form", m, y)
	}
}

// toInt returns the integer whose words are x.
func toInt(x []big.Word) *big.Int {
	return new(big.Int).SetBits(append([]big.Word(nil), x...))
}

func TestMontgomeryMul(t *testing.T) {
	sk := testKey(t, 0)
	allOnes := func(words int) *big.Int { // 2^(W·words) − 1: every limb all ones
		return new(big.Int).Sub(new(big.Int).Lsh(one, uint(bits.UintSize*words)), one)
	}
	randOdd := func(bitLen int) *big.Int {
		m := randBelow(t, new(big.Int).Lsh(one, uint(bitLen)))
		m.SetBit(m, bitLen-1, 1)
		return m.SetBit(m, 0, 1)
	}
	moduli := map[string]*big.Int{
		"n²": sk.nSquared, "p²": sk.pSquared, "q²": sk.qSquared,
		"3": big.NewInt(3), "one word": randOdd(bits.UintSize), "all ones, 1 limb": allOnes(1),
		"all ones, 2 limbs": allOnes(2), "all ones, 33 limbs": allOnes(33), "odd, 1000 bits": randOdd(1000),
		"2^(W·k−1)+1": new(big.Int).SetBit(big.NewInt(1), 4*bits.UintSize-1, 1),
	}
	for name, m := range moduli {
		t.Run(name, func(t *testing.T) {
			mm, err := newMontgomery(m)
			if err != nil {
				t.Fatal(err)
			}
			k := len(mm.m)
			mMinus := func(d int64) *big.Int { return new(big.Int).Sub(m, big.NewInt(d)) }
			edge := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), mMinus(1), mMinus(2), new(big.Int).Rsh(m, 1)}
			if k > 1 { // all limbs but the top one all ones
				edge = append(edge, allOnes(k-1))
			}
			for _, x := range edge {
				for _, y := range edge {
					montCheck(t, mm, m, x, y)
				}
			}
			for range 50 {
				x, y := randBelow(t, m), randBelow(t, m)
				montCheck(t, mm, m, x, y)
				montCheck(t, mm, m, x, mMinus(1))
			}
		})
	}
}

func TestNewMontgomeryRejects(t *testing.T) {
	for _, m := range []int64{0, 1, 2, 4096, -3} {
		if _, err := newMontgomery(big.NewInt(m)); err == nil {
			t.Errorf("modulus %d accepted", m)
		}
	}
}

func FuzzMontgomeryMul(f *testing.F) {
	sk := testKey(f, 0)
	n2 := sk.nSquared.Bytes()
	ff := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = 0xff
		}
		return b
	}
	f.Add(n2, []byte{}, []byte{1})
	f.Add(n2, new(big.Int).Sub(sk.nSquared, one).Bytes(), new(big.Int).Sub(sk.nSquared, one).Bytes())
	f.Add(n2, ff(len(n2)-1), ff(len(n2)-1))
	f.Add(ff(64), ff(64), ff(63))
	f.Add([]byte{3}, []byte{2}, []byte{2})
	f.Add(ff(8), ff(8), []byte{1})
	f.Fuzz(func(t *testing.T, mb, xb, yb []byte) {
		if len(mb) > 1024 {
			return
		}
		m := new(big.Int).SetBytes(mb)
		m.SetBit(m, 0, 1)
		if m.Cmp(one) == 0 {
			m.SetInt64(3)
		}
		mm, err := newMontgomery(m)
		if err != nil {
			t.Fatal(err)
		}
		x := new(big.Int).SetBytes(xb)
		y := new(big.Int).SetBytes(yb)
		montCheck(t, mm, m, x.Mod(x, m), y.Mod(y, m))
	})
}
