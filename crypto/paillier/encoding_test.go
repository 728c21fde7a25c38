package paillier

import (
	"bytes"
	"math/big"
	"strings"
	"testing"
)

func TestPublicKeyMarshalRoundTrip(t *testing.T) {
	pk := testKey(t, 0).Public()
	b, err := pk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	nLen, hsLen := len(pk.n.Bytes()), len(pk.hs.Bytes())
	if b[0] != 2 || len(b) != 1+2+nLen+2+hsLen {
		t.Fatalf("encoding starts with version %d and has %d bytes", b[0], len(b))
	}
	got, err := ParsePublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(pk) || got.Bits() != pk.Bits() || got.CiphertextSize() != pk.CiphertextSize() || got.hs.Cmp(pk.hs) != 0 {
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
	// The parsed key encrypts for the original private key.
	sk := testKey(t, 0)
	m := randBelow(t, pk.n)
	if d := decrypt(t, sk, encrypt(t, got, testPool(t, got, WithPoolSize(1), WithLimit(1)), m)); d.Cmp(m) != 0 {
		t.Fatalf("ciphertext under the parsed key decrypts to %v, want %v", d, m)
	}
	// A key with the same modulus and another generator is another key.
	hs2 := new(big.Int).Mul(pk.hs, pk.hs)
	if newPublicKey(pk.n, hs2.Mod(hs2, pk.nSquared)).Equal(pk) {
		t.Fatal("keys with different generators are equal")
	}
}

// encodeKey writes a version-2 key with the given fields, which need not be
// valid, canonically.
func encodeKey(n, hs *big.Int) []byte {
	b, _ := (&PublicKey{n: n, hs: hs}).MarshalBinary()
	return b
}

// field encodes raw bytes as a length-prefixed field.
func field(v []byte) []byte {
	return append([]byte{byte(len(v) >> 8), byte(len(v))}, v...)
}

func TestParsePublicKeyRejects(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	good, _ := pk.MarshalBinary()
	nb := pk.n.Bytes()
	hs := pk.hs
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	odd := func(bits int) *big.Int {
		x := new(big.Int).Lsh(one, uint(bits-1))
		return x.Add(x, one)
	}
	withHS := func(h *big.Int) []byte { return encodeKey(pk.n, h) }
	v2 := func(parts ...[]byte) []byte { return append([]byte{2}, bytes.Join(parts, nil)...) }
	cases := map[string][]byte{
		"empty":               nil,
		"version only":        {2},
		"no modulus":          {2, 0, 0},
		"version 0":           edit(func(b []byte) []byte { b[0] = 0; return b }),
		"version 3":           edit(func(b []byte) []byte { b[0] = 3; return b }),
		"version 1":           append([]byte{1}, field(nb)...),
		"version 1 with hs":   edit(func(b []byte) []byte { b[0] = 1; return b }),
		"no generator":        v2(field(nb)),
		"truncated":           good[:len(good)-1],
		"truncated length":    v2(field(nb), []byte{0}),
		"trailing byte":       append(bytes.Clone(good), 0),
		"modulus too long":    edit(func(b []byte) []byte { b[2]++; return b }),
		"modulus too short":   edit(func(b []byte) []byte { b[2]--; return b }),
		"modulus leading 0":   v2(field(append([]byte{0}, nb...)), field(hs.Bytes())),
		"generator leading 0": v2(field(nb), field(append([]byte{0}, hs.Bytes()...))),
		"empty generator":     v2(field(nb), field(nil)),
		"even modulus":        v2(field(new(big.Int).Sub(pk.n, one).Bytes()), field(hs.Bytes())),
		"1022-bit odd":        encodeKey(odd(1022), big.NewInt(2)),
		"8194-bit odd":        encodeKey(odd(MaxBits+2), big.NewInt(2)),
		"small modulus":       v2(field([]byte{15}), field([]byte{2})),
		"hs 0":                v2(field(nb), field([]byte{0})),
		"hs 1":                withHS(big.NewInt(1)),
		"hs n²":               withHS(pk.nSquared),
		"hs n²+1":             withHS(new(big.Int).Add(pk.nSquared, one)),
		"hs p":                withHS(sk.p),
		"hs q·hs":             withHS(new(big.Int).Mod(new(big.Int).Mul(sk.q, hs), pk.nSquared)),
		"hs n":                withHS(pk.n),
	}
	want := map[string]string{ // a fragment of each case's error
		"1022-bit odd":        "public key modulus of 1022 bits: want [1024, 8192]",
		"8194-bit odd":        "public key modulus of 8194 bits: want [1024, 8192]",
		"empty":               "empty public key",
		"empty generator":     "public key subgroup generator is not canonically encoded",
		"even modulus":        "public key modulus is even",
		"generator leading 0": "public key subgroup generator is not canonically encoded",
		"hs 0":                "public key subgroup generator is not canonically encoded",
		"hs 1":                "public key subgroup generator must lie in (1, n²)",
		"hs n":                "public key subgroup generator is not a unit mod n",
		"hs n²":               "public key subgroup generator must lie in (1, n²)",
		"hs n²+1":             "public key subgroup generator must lie in (1, n²)",
		"hs p":                "public key subgroup generator is not a unit mod n",
		"hs q·hs":             "public key subgroup generator is not a unit mod n",
		"modulus leading 0":   "public key modulus is not canonically encoded",
		"modulus too long":    "bytes after the public key",
		"modulus too short":   "public key announces",
		"no generator":        "public key ends before the length of its subgroup generator",
		"no modulus":          "public key modulus is not canonically encoded",
		"small modulus":       "public key modulus of 4 bits: want [1024, 8192]",
		"trailing byte":       "1 bytes after the public key",
		"truncated":           "public key announces",
		"truncated length":    "public key ends before the length of its subgroup generator",
		"version 0":           "unknown public key version 0",
		"version 1":           "public key version 1 has no subgroup generator: generate a new key",
		"version 1 with hs":   "public key version 1 has no subgroup generator: generate a new key",
		"version 3":           "unknown public key version 3",
		"version only":        "public key ends before the length of its modulus",
	}
	for name, b := range cases {
		if _, err := ParsePublicKey(b); err == nil || !strings.Contains(err.Error(), want[name]) || want[name] == "" {
			t.Errorf("%s: ParsePublicKey(%x) = %v, want an error containing %q", name, b, err, want[name])
		}
	}
	if _, err := ParsePublicKey(encodeKey(odd(MinBits), big.NewInt(2))); err != nil {
		t.Errorf("smallest accepted size rejected: %v", err)
	}
	if _, err := ParsePublicKey(withHS(new(big.Int).Sub(pk.nSquared, one))); err != nil {
		t.Errorf("hs = n²−1 rejected: %v", err)
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
