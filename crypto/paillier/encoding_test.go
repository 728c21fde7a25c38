package paillier

import (
	"bytes"
	"math/big"
	"testing"
)

func TestPublicKeyMarshalRoundTrip(t *testing.T) {
	pk := testKey(t, 0).Public()
	b, err := pk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != publicKeyVersion || len(b) != 3+testBits/8 {
		t.Fatalf("encoding starts with version %d and has %d bytes", b[0], len(b))
	}
	got, err := ParsePublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(pk) || got.Bits() != pk.Bits() || got.CiphertextSize() != pk.CiphertextSize() {
		t.Fatal("parsed key differs from the original")
	}
	again, _ := got.MarshalBinary()
	if !bytes.Equal(again, b) {
		t.Fatal("re-encoding differs")
	}
	// N returns a copy: changing it must not change the key.
	pk.N().SetInt64(3)
	if !got.Equal(pk) {
		t.Fatal("N() exposes the key's modulus")
	}
}

func TestParsePublicKeyRejects(t *testing.T) {
	pk := testKey(t, 0).Public()
	good, _ := pk.MarshalBinary()
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	encode := func(n *big.Int) []byte { b, _ := newPublicKey(n).MarshalBinary(); return b }
	odd := func(bits int) *big.Int {
		x := new(big.Int).Lsh(one, uint(bits-1))
		return x.Add(x, one)
	}
	cases := map[string][]byte{
		"empty":            nil,
		"version only":     {publicKeyVersion},
		"no modulus":       {publicKeyVersion, 0, 0},
		"version 0":        edit(func(b []byte) []byte { b[0] = 0; return b }),
		"version 2":        edit(func(b []byte) []byte { b[0] = 2; return b }),
		"truncated":        good[:len(good)-1],
		"trailing byte":    append(bytes.Clone(good), 0),
		"length too large": edit(func(b []byte) []byte { b[2]++; return b }),
		"leading zero": func() []byte {
			nb := append([]byte{0}, pk.n.Bytes()...)
			return append([]byte{publicKeyVersion, byte(len(nb) >> 8), byte(len(nb))}, nb...)
		}(),
		"even modulus":  edit(func(b []byte) []byte { b[len(b)-1] &^= 1; return b }),
		"1022-bit odd":  encode(odd(1022)),
		"8194-bit odd":  encode(odd(MaxBits + 2)),
		"small modulus": {publicKeyVersion, 0, 1, 15},
	}
	for name, b := range cases {
		if _, err := ParsePublicKey(b); err == nil {
			t.Errorf("%s: ParsePublicKey accepted %x", name, b)
		}
	}
	if _, err := ParsePublicKey(encode(odd(MinBits))); err != nil {
		t.Errorf("smallest accepted size rejected: %v", err)
	}
}

func TestCiphertextRoundTrip(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk)
	prefix := []byte("header")
	for name, m := range edgeMessages(t, pk.n) {
		c := encrypt(t, pk, pool, m)
		b := pk.AppendCiphertext(bytes.Clone(prefix), c)
		if !bytes.HasPrefix(b, prefix) || len(b) != len(prefix)+pk.CiphertextSize() {
			t.Fatalf("%s: AppendCiphertext gave %d bytes", name, len(b))
		}
		got, err := pk.ParseCiphertext(b[len(prefix):])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.c.Cmp(c.c) != 0 {
			t.Fatalf("%s: parsed ciphertext differs", name)
		}
		if d := decrypt(t, sk, got); d.Cmp(m) != 0 {
			t.Fatalf("%s: parsed ciphertext decrypts to %v, want %v", name, d, m)
		}
	}
	// Fixed width: a small ciphertext keeps its leading zeros.
	small := pk.AppendCiphertext(nil, &Ciphertext{c: big.NewInt(1)})
	if len(small) != pk.CiphertextSize() || small[len(small)-1] != 1 {
		t.Fatalf("ciphertext 1 encodes as %x", small)
	}
}

func TestParseCiphertextRejects(t *testing.T) {
	pk := testKey(t, 0).Public()
	size := pk.CiphertextSize()
	ff := bytes.Repeat([]byte{0xff}, size)
	cases := map[string][]byte{
		"empty":     nil,
		"short":     make([]byte, size-1),
		"long":      append(pk.AppendCiphertext(nil, &Ciphertext{c: big.NewInt(5)}), 0),
		"zero":      make([]byte, size),
		"n²":        pk.nSquared.FillBytes(make([]byte, size)),
		"all 0xff":  ff,
		"n² plus 1": new(big.Int).Add(pk.nSquared, one).FillBytes(make([]byte, size)),
	}
	for name, b := range cases {
		if _, err := pk.ParseCiphertext(b); err == nil {
			t.Errorf("%s: ParseCiphertext accepted it", name)
		}
	}
	nm1 := new(big.Int).Sub(pk.nSquared, one).FillBytes(make([]byte, size))
	if _, err := pk.ParseCiphertext(nm1); err != nil {
		t.Errorf("n²−1 rejected: %v", err)
	}
}
