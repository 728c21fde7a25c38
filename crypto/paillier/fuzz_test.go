package paillier

import (
	"bytes"
	"errors"
	"math/big"
	"testing"
)

func FuzzParsePublicKey(f *testing.F) {
	sk := testKey(f, 0)
	pk := sk.Public()
	good, err := pk.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	nb := pk.n.Bytes()
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(append(bytes.Clone(good), 0))
	f.Add(append([]byte{1}, field(nb)...)) // version 1
	f.Add(append([]byte{2}, field(nb)...)) // no generator
	f.Add(encodeKey(pk.n, big.NewInt(1)))
	f.Add(encodeKey(pk.n, sk.p))
	f.Add(encodeKey(pk.n, pk.nSquared))
	f.Add(encodeKey(pk.n, new(big.Int).Sub(pk.nSquared, one)))
	f.Add([]byte{2, 0, 0})
	f.Add([]byte{2, 0, 1, 3, 0, 1, 2})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := ParsePublicKey(b)
		if err != nil {
			return
		}
		if pk.Bits() < MinBits || pk.Bits() > MaxBits || pk.n.Bit(0) != 1 {
			t.Fatalf("accepted a %d-bit modulus with low bit %d", pk.Bits(), pk.n.Bit(0))
		}
		if pk.hs.Cmp(one) <= 0 || pk.hs.Cmp(pk.nSquared) >= 0 || new(big.Int).GCD(nil, nil, pk.hs, pk.n).Cmp(one) != 0 {
			t.Fatalf("accepted a generator %v that is not a unit other than 1", pk.hs)
		}
		again, err := pk.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("ParsePublicKey accepted a non-canonical encoding %x", b)
		}
	})
}

func FuzzParseCiphertext(f *testing.F) {
	sk := testKey(f, 0)
	pk := sk.Public()
	size := pk.CiphertextSize()
	f.Add(pk.AppendCiphertext(nil, &Ciphertext{c: big.NewInt(1)}))
	f.Add(pk.AppendCiphertext(nil, subgroupCiphertext(f, pk, big.NewInt(7))))
	f.Add(pk.hs.FillBytes(make([]byte, size)))
	f.Add(new(big.Int).Sub(pk.nSquared, one).FillBytes(make([]byte, size)))
	f.Add(pk.nSquared.FillBytes(make([]byte, size)))
	f.Add(make([]byte, size))
	f.Add(bytes.Repeat([]byte{0xff}, size))
	f.Add(make([]byte, size-1))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := pk.ParseCiphertext(b)
		if err != nil {
			return
		}
		if !bytes.Equal(pk.AppendCiphertext(nil, c), b) {
			t.Fatal("ParseCiphertext and AppendCiphertext disagree")
		}
		// Decrypt either refuses a ciphertext outside the subgroup or agrees
		// with DecryptReference.
		m, err := sk.Decrypt(c)
		if err != nil {
			if !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("Decrypt of an accepted ciphertext: %v", err)
			}
			return
		}
		if m.Sign() < 0 || m.Cmp(pk.n) >= 0 {
			t.Fatalf("plaintext %v outside [0, n)", m)
		}
		if ref, err := sk.DecryptReference(c); err != nil || ref.Cmp(m) != 0 {
			t.Fatalf("Decrypt gives %v, DecryptReference %v (%v)", m, ref, err)
		}
	})
}

// FuzzUnpack checks that Unpack either rejects a plaintext or returns slots
// that pack back into it.
func FuzzUnpack(f *testing.F) {
	f.Add(16, 8, []byte{1, 2, 3})
	f.Add(1, 0, bytes.Repeat([]byte{0xff}, 127))
	f.Add(64, 40, bytes.Repeat([]byte{0xff}, 128))
	f.Fuzz(func(t *testing.T, valueBits, kappa int, b []byte) {
		if len(b) > 256 {
			return // twice the width of a 1024-bit plaintext is enough
		}
		l, err := NewLayout(valueBits%200, kappa%64, testBits)
		if err != nil {
			return
		}
		p := new(big.Int).SetBytes(b)
		slots, err := l.Unpack(p, l.Slots())
		if err != nil {
			if p.BitLen() <= l.Slots()*l.SlotBits() {
				t.Fatalf("Unpack rejected a %d-bit plaintext: %v", p.BitLen(), err)
			}
			return
		}
		if l.pack(slots).Cmp(p) != 0 {
			t.Fatal("slots do not pack back into the plaintext")
		}
	})
}
