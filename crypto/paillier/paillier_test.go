package paillier

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"
)

func TestGenerateKeyShape(t *testing.T) {
	sk := testKey(t, 0)
	if got := sk.Bits(); got != testBits {
		t.Fatalf("Bits() = %d, want %d", got, testBits)
	}
	for name, p := range map[string]*big.Int{"p": sk.p, "q": sk.q} {
		if p.BitLen() != testBits/2 {
			t.Errorf("%s has %d bits, want %d", name, p.BitLen(), testBits/2)
		}
		if !p.ProbablyPrime(20) {
			t.Errorf("%s is not prime", name)
		}
	}
	if sk.p.Cmp(sk.q) == 0 {
		t.Error("p = q")
	}
	if new(big.Int).Mul(sk.p, sk.q).Cmp(sk.N()) != 0 {
		t.Error("n ≠ p·q")
	}
	other := testKey(t, 1)
	if sk.Public().Equal(other.Public()) {
		t.Error("two generated keys are equal")
	}
}

func TestGenerateKeyRejectsSizes(t *testing.T) {
	for _, bits := range []int{0, 512, 1022, 1025, 2047, MaxBits + 2} {
		if _, err := GenerateKey(rand.Reader, bits); err == nil {
			t.Errorf("GenerateKey(%d) succeeded", bits)
		}
	}
}

func TestGenerateKeyReaderFailure(t *testing.T) {
	if _, err := GenerateKey(failingReader{}, testBits); err == nil {
		t.Fatal("GenerateKey with a failing reader succeeded")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestRoundTrip(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk)
	for name, m := range edgeMessages(t, pk.n) {
		t.Run(name, func(t *testing.T) {
			pooled := encrypt(t, pk, pool, m)
			fresh, err := pk.EncryptReference(rand.Reader, m)
			if err != nil {
				t.Fatal(err)
			}
			for kind, c := range map[string]*Ciphertext{"pooled": pooled, "reference": fresh} {
				if got := decrypt(t, sk, c); got.Cmp(m) != 0 {
					t.Errorf("%s: Decrypt = %v, want %v", kind, got, m)
				}
				got, err := sk.DecryptReference(c)
				if err != nil {
					t.Fatal(err)
				}
				if got.Cmp(m) != 0 {
					t.Errorf("%s: DecryptReference = %v, want %v", kind, got, m)
				}
			}
		})
	}
}

// TestRoundTrip2048 runs the default key size end to end once.
func TestRoundTrip2048(t *testing.T) {
	sk, err := GenerateKey(rand.Reader, DefaultBits)
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Wipe()
	pk := sk.Public()
	if pk.Bits() != DefaultBits || sk.p.BitLen() != DefaultBits/2 || sk.q.BitLen() != DefaultBits/2 {
		t.Fatalf("key of %d bits with primes of %d and %d bits", pk.Bits(), sk.p.BitLen(), sk.q.BitLen())
	}
	if pk.CiphertextSize() != 2*DefaultBits/8 {
		t.Errorf("CiphertextSize = %d, want %d", pk.CiphertextSize(), 2*DefaultBits/8)
	}
	pool := testPool(t, pk, WithPoolSize(4), WithLimit(4))
	if pool.ell != 448 {
		t.Errorf("exponent of %d bits for a 2048-bit key, want 448", pool.ell)
	}
	a, b := randBelow(t, pk.n), randBelow(t, pk.n)
	ca, cb := encrypt(t, pk, pool, a), encrypt(t, pk, pool, b)
	sum := pk.Rerandomize(pk.Add(ca, cb), mustNext(t, pool))
	want := new(big.Int).Add(a, b)
	want.Mod(want, pk.n)
	if got := decrypt(t, sk, sum); got.Cmp(want) != 0 {
		t.Errorf("Decrypt(a+b) = %v, want %v", got, want)
	}
	if got, _ := sk.DecryptReference(sum); got.Cmp(want) != 0 {
		t.Errorf("DecryptReference(a+b) = %v, want %v", got, want)
	}
}

func mustNext(t testing.TB, r *Randomness) *big.Int {
	t.Helper()
	rn, err := r.Next(context.Background())
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return rn
}

// TestDecryptMatchesReference decrypts arbitrary units of Z*_{n²} (each one is
// the encryption of something) both ways.
func TestDecryptMatchesReference(t *testing.T) {
	sk := testKey(t, 0)
	for i := range 32 {
		x, err := randomUnit(rand.Reader, sk.nSquared)
		if err != nil {
			t.Fatal(err)
		}
		c := &Ciphertext{c: x}
		crt := decrypt(t, sk, c)
		ref, err := sk.DecryptReference(c)
		if err != nil {
			t.Fatal(err)
		}
		if crt.Cmp(ref) != 0 {
			t.Fatalf("case %d: CRT decryption %v ≠ reference %v", i, crt, ref)
		}
		if crt.Sign() < 0 || crt.Cmp(sk.n) >= 0 {
			t.Fatalf("case %d: plaintext %v outside [0, n)", i, crt)
		}
	}
}

func TestEncryptRejectsOutOfRange(t *testing.T) {
	pk := testKey(t, 0).Public()
	rn := mustNext(t, testPool(t, pk, WithPoolSize(1), WithLimit(1)))
	cases := []struct {
		name  string
		m, rn *big.Int
	}{
		{"negative message", big.NewInt(-1), rn},
		{"message n", pk.N(), rn},
		{"message n+1", new(big.Int).Add(pk.n, one), rn},
		{"nil message", nil, rn},
		{"zero factor", big.NewInt(1), big.NewInt(0)},
		{"factor n²", big.NewInt(1), new(big.Int).Set(pk.nSquared)},
		{"nil factor", big.NewInt(1), nil},
	}
	for _, tc := range cases {
		if _, err := pk.Encrypt(tc.m, tc.rn); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("%s: Encrypt error = %v, want ErrOutOfRange", tc.name, err)
		}
	}
	if _, err := pk.EncryptReference(rand.Reader, pk.N()); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("EncryptReference(n) error = %v, want ErrOutOfRange", err)
	}
}

func TestDecryptRejectsOutOfRange(t *testing.T) {
	sk := testKey(t, 0)
	for name, c := range map[string]*Ciphertext{
		"nil":  nil,
		"zero": {c: big.NewInt(0)},
		"n²":   {c: new(big.Int).Set(sk.nSquared)},
	} {
		if _, err := sk.Decrypt(c); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("%s: Decrypt error = %v, want ErrOutOfRange", name, err)
		}
		if _, err := sk.DecryptReference(c); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("%s: DecryptReference error = %v, want ErrOutOfRange", name, err)
		}
	}
}

func TestHomomorphism(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk)
	n := pk.n
	mod := func(x *big.Int) *big.Int { return x.Mod(x, n) }
	nMinus1 := new(big.Int).Sub(n, one)
	pairs := [][2]*big.Int{
		{big.NewInt(0), big.NewInt(0)},
		{nMinus1, big.NewInt(1)}, // wraps to 0
		{nMinus1, nMinus1},
		{randBelow(t, n), randBelow(t, n)},
		{randBelow(t, n), randBelow(t, n)},
	}
	consts := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(-1), big.NewInt(-7), nMinus1, new(big.Int).Add(n, big.NewInt(3)), randBelow(t, n)}
	for i, pr := range pairs {
		a, b := pr[0], pr[1]
		ca, cb := encrypt(t, pk, pool, a), encrypt(t, pk, pool, b)
		if got, want := decrypt(t, sk, pk.Add(ca, cb)), mod(new(big.Int).Add(a, b)); got.Cmp(want) != 0 {
			t.Errorf("pair %d: Add decrypts to %v, want %v", i, got, want)
		}
		for _, k := range consts {
			if got, want := decrypt(t, sk, pk.AddPlain(ca, k)), mod(new(big.Int).Add(a, k)); got.Cmp(want) != 0 {
				t.Errorf("pair %d: AddPlain(%v) decrypts to %v, want %v", i, k, got, want)
			}
			if got, want := decrypt(t, sk, pk.MulConst(ca, k)), mod(new(big.Int).Mul(a, k)); got.Cmp(want) != 0 {
				t.Errorf("pair %d: MulConst(%v) decrypts to %v, want %v", i, k, got, want)
			}
		}
		// Subtraction, as the protocol's blind step uses it: a + (−1)·b.
		diff := pk.Add(ca, pk.MulConst(cb, big.NewInt(-1)))
		if got, want := decrypt(t, sk, diff), mod(new(big.Int).Sub(a, b)); got.Cmp(want) != 0 {
			t.Errorf("pair %d: a−b decrypts to %v, want %v", i, got, want)
		}
	}
}

func TestRerandomize(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk)
	for name, m := range edgeMessages(t, pk.n) {
		c := encrypt(t, pk, pool, m)
		r := pk.Rerandomize(c, mustNext(t, pool))
		if r.c.Cmp(c.c) == 0 {
			t.Errorf("%s: rerandomised ciphertext equals the original", name)
		}
		if got := decrypt(t, sk, r); got.Cmp(m) != 0 {
			t.Errorf("%s: rerandomised ciphertext decrypts to %v, want %v", name, got, m)
		}
	}
}

func TestWrongKeyDoesNotDecrypt(t *testing.T) {
	owner, other := testKey(t, 0), testKey(t, 1)
	pk := owner.Public()
	pool := testPool(t, pk)
	for i := range 8 {
		m := randBelow(t, pk.n)
		c := encrypt(t, pk, pool, m)
		got, err := other.Decrypt(c)
		if err == nil && got.Cmp(m) == 0 {
			t.Fatalf("case %d: another key decrypted the message", i)
		}
	}
}

func TestWipe(t *testing.T) {
	sk, err := GenerateKey(rand.Reader, testBits)
	if err != nil {
		t.Fatal(err)
	}
	pk := sk.Public()
	pool := testPool(t, pk, WithPoolSize(2), WithLimit(2))
	c := encrypt(t, pk, pool, big.NewInt(42))
	secrets := []*big.Int{sk.p, sk.q, sk.pSquared, sk.qSquared, sk.pMinus1, sk.qMinus1, sk.hp, sk.hq, sk.qInvP, sk.lambda, sk.mu}

	sk.Wipe()

	for i, x := range secrets {
		if x.Sign() != 0 {
			t.Errorf("secret %d not zeroed", i)
		}
		for _, w := range x.Bits()[:cap(x.Bits())] {
			if w != 0 {
				t.Errorf("secret %d still has a non-zero word", i)
			}
		}
	}
	if _, err := sk.Decrypt(c); !errors.Is(err, ErrWiped) {
		t.Errorf("Decrypt after Wipe: %v, want ErrWiped", err)
	}
	if _, err := sk.DecryptReference(c); !errors.Is(err, ErrWiped) {
		t.Errorf("DecryptReference after Wipe: %v, want ErrWiped", err)
	}
	if _, err := sk.DecryptBatch(context.Background(), []*Ciphertext{c}); !errors.Is(err, ErrWiped) {
		t.Errorf("DecryptBatch after Wipe: %v, want ErrWiped", err)
	}
	// The public half stays usable.
	if _, err := pk.Encrypt(big.NewInt(1), mustNext(t, pool)); err != nil {
		t.Errorf("Encrypt after Wipe: %v", err)
	}
	sk.Wipe() // idempotent
}
