package paillier

import (
	"context"
	"crypto/rand"
	"math/big"
	"sync"
	"testing"
)

// testBits is the key size of most tests: fast to generate, same code paths.
const testBits = 1024

var (
	keysOnce sync.Once
	keys     [2]*PrivateKey
	keysErr  error
)

// testKey returns one of two shared 1024-bit keys. Tests that wipe a key
// generate their own.
func testKey(t testing.TB, i int) *PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for j := range keys {
			if keys[j], keysErr = GenerateKey(rand.Reader, testBits); keysErr != nil {
				return
			}
		}
	})
	if keysErr != nil {
		t.Fatalf("GenerateKey: %v", keysErr)
	}
	return keys[i]
}

// testPool returns a randomness pool for pk that is closed when the test ends.
func testPool(t testing.TB, pk *PublicKey, opts ...RandomnessOption) *Randomness {
	t.Helper()
	r, err := NewRandomness(context.Background(), pk, rand.Reader, opts...)
	if err != nil {
		t.Fatalf("NewRandomness: %v", err)
	}
	t.Cleanup(r.Close)
	return r
}

// randBelow returns a uniform integer in [0, max).
func randBelow(t testing.TB, max *big.Int) *big.Int {
	t.Helper()
	x, err := rand.Int(rand.Reader, max)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// encrypt encrypts m under pk with a factor from r, failing the test on error.
func encrypt(t testing.TB, pk *PublicKey, r *Randomness, m *big.Int) *Ciphertext {
	t.Helper()
	rn, err := r.Next(context.Background())
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	c, err := pk.Encrypt(m, rn)
	if err != nil {
		t.Fatalf("Encrypt(%v): %v", m, err)
	}
	return c
}

// decrypt decrypts c with sk, failing the test on error or if Decrypt and
// DecryptReference disagree.
func decrypt(t testing.TB, sk *PrivateKey, c *Ciphertext) *big.Int {
	t.Helper()
	m, err := sk.Decrypt(c)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	ref, err := sk.DecryptReference(c)
	if err != nil {
		t.Fatalf("DecryptReference: %v", err)
	}
	if m.Cmp(ref) != 0 {
		t.Fatalf("Decrypt gives %v, DecryptReference %v", m, ref)
	}
	return m
}

// subgroupCiphertext returns (1+n)^m·hs^e mod n² for an exponent e drawn
// uniformly from [0, 2^(2·SubgroupBits+64)), that is uniform in the subgroup
// of hs up to a statistical distance of 2^-64: a ciphertext of m with far
// more varied randomness than a pool's short exponents give.
func subgroupCiphertext(t testing.TB, pk *PublicKey, m *big.Int) *Ciphertext {
	t.Helper()
	e := randBelow(t, new(big.Int).Lsh(one, uint(2*SubgroupBits(pk.Bits())+64)))
	c := new(big.Int).Exp(pk.hs, e, pk.nSquared)
	c.Mul(c, pk.gm(m))
	return &Ciphertext{c: c.Mod(c, pk.nSquared)}
}

// edgeMessages returns messages at the edges of [0, n) and a few random ones.
func edgeMessages(t testing.TB, n *big.Int) map[string]*big.Int {
	t.Helper()
	sub := func(k int64) *big.Int { return new(big.Int).Sub(n, big.NewInt(k)) }
	ms := map[string]*big.Int{
		"zero":        big.NewInt(0),
		"one":         big.NewInt(1),
		"two":         big.NewInt(2),
		"n-1":         sub(1),
		"n-2":         sub(2),
		"2^(bits-2)":  new(big.Int).Lsh(one, uint(n.BitLen()-2)),
		"all-ones":    new(big.Int).Sub(new(big.Int).Lsh(one, uint(n.BitLen()-1)), one),
		"n/2":         new(big.Int).Rsh(n, 1),
		"large-slots": new(big.Int).Sub(new(big.Int).Lsh(one, uint(n.BitLen()-1)), big.NewInt(12345)),
	}
	// Every slot of a row of 64-bit values with κ = 40 at its largest.
	l, err := NewLayout(64, 40, n.BitLen())
	if err != nil {
		t.Fatal(err)
	}
	ms["max-slots"] = new(big.Int).Sub(new(big.Int).Lsh(one, uint(l.Slots()*l.SlotBits())), one)
	for i := range 8 {
		ms["random-"+string(rune('a'+i))] = randBelow(t, n)
	}
	return ms
}
