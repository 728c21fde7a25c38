package paillier

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
)

func TestGenerateKeyShape(t *testing.T) {
	sk := testKey(t, 0)
	checkKeyStructure(t, sk, testBits)
	other := testKey(t, 1)
	if sk.Public().Equal(other.Public()) || sk.hs.Cmp(other.hs) == 0 {
		t.Error("two generated keys are equal")
	}
	if sk.alphaP.Cmp(other.alphaP) == 0 || sk.alphaP.Cmp(other.alphaQ) == 0 {
		t.Error("two generated keys share a subgroup prime")
	}
}

// checkKeyStructure checks that sk is what GenerateKey promises: n = p·q of
// bits bits, p = 2·α_p·β_p + 1 and q = 2·α_q·β_q + 1 prime with α_p ≠ α_q
// primes of SubgroupBits(bits) bits, and hs of order exactly α = α_p·α_q, an
// n-th residue mod n².
func checkKeyStructure(t *testing.T, sk *PrivateKey, bits int) {
	t.Helper()
	if got := sk.Bits(); got != bits {
		t.Fatalf("Bits() = %d, want %d", got, bits)
	}
	if new(big.Int).Mul(sk.p, sk.q).Cmp(sk.N()) != 0 {
		t.Error("n ≠ p·q")
	}
	if sk.p.Cmp(sk.q) == 0 || sk.alphaP.Cmp(sk.alphaQ) == 0 {
		t.Error("p = q or α_p = α_q")
	}
	sub := SubgroupBits(bits)
	for _, h := range []struct {
		name                        string
		p, pSquared, alpha, otherSq *big.Int
	}{
		{"p", sk.p, sk.pSquared, sk.alphaP, sk.qSquared},
		{"q", sk.q, sk.qSquared, sk.alphaQ, sk.pSquared},
	} {
		if h.p.BitLen() != bits/2 || h.p.Bit(bits/2-2) != 1 {
			t.Errorf("%s has %d bits, want %d with the top two set", h.name, h.p.BitLen(), bits/2)
		}
		if !h.p.ProbablyPrime(20) {
			t.Errorf("%s is not prime", h.name)
		}
		if h.alpha.BitLen() != sub || !h.alpha.ProbablyPrime(20) {
			t.Errorf("α_%s is not a prime of %d bits", h.name, sub)
		}
		beta, rem := new(big.Int).QuoRem(new(big.Int).Sub(h.p, one), new(big.Int).Lsh(h.alpha, 1), new(big.Int))
		if rem.Sign() != 0 {
			t.Errorf("2·α_%s does not divide %s−1", h.name, h.name)
		}
		// β is random in a range of about bits/2 − sub − 1 bits.
		if least := bits/2 - sub - 3; beta.BitLen() < least {
			t.Errorf("β_%s has %d bits, want at least %d", h.name, beta.BitLen(), least)
		}
		if new(big.Int).Mod(sk.hs, h.p).Cmp(one) == 0 {
			t.Errorf("hs ≡ 1 mod %s", h.name)
		}
		if new(big.Int).Exp(sk.hs, h.alpha, h.pSquared).Cmp(one) != 0 {
			t.Errorf("hs^α_%s ≢ 1 mod %s²", h.name, h.name)
		}
		if new(big.Int).Exp(sk.hs, h.alpha, h.otherSq).Cmp(one) == 0 {
			t.Errorf("hs^α_%s ≡ 1 modulo the other prime squared", h.name)
		}
		// So the order of hs mod n² is not α_p alone, nor α_q alone.
		if new(big.Int).Exp(sk.hs, h.alpha, sk.nSquared).Cmp(one) == 0 {
			t.Errorf("hs^α_%s ≡ 1 mod n²", h.name)
		}
	}
	alpha := new(big.Int).Mul(sk.alphaP, sk.alphaQ)
	if new(big.Int).Exp(sk.hs, alpha, sk.nSquared).Cmp(one) != 0 {
		t.Error("hs^(α_p·α_q) ≢ 1 mod n²")
	}
	if new(big.Int).Exp(sk.hs, sk.lambda, sk.nSquared).Cmp(one) != 0 {
		t.Error("hs is not an n-th residue mod n²")
	}
}

func TestSubgroupBits(t *testing.T) {
	for _, tc := range []struct{ bits, want int }{{1024, 256}, {2048, 256}, {3072, 256}, {4096, 256}, {8192, 384}} {
		if got := SubgroupBits(tc.bits); got != tc.want {
			t.Errorf("SubgroupBits(%d) = %d, want %d", tc.bits, got, tc.want)
		}
		// Pollard's rho in a group of order α_p takes 2^(SubgroupBits/2)
		// steps: never below the security level.
		if SubgroupBits(tc.bits)/2 < SecurityBits(tc.bits) {
			t.Errorf("SubgroupBits(%d) below twice the security level", tc.bits)
		}
	}
}

func TestGenerateKeyRejectsSizes(t *testing.T) {
	for _, bits := range []int{0, 512, 1022, 1025, 2047, MaxBits + 2} {
		want := fmt.Sprintf("key size %d bits: want an even size in [%d, %d]", bits, MinBits, MaxBits)
		if _, err := GenerateKey(rand.Reader, bits); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("GenerateKey(%d): err = %v, want %q", bits, err, want)
		}
	}
}

func TestGenerateKeyReaderFailure(t *testing.T) {
	if _, err := GenerateKey(failingReader{}, testBits); !errors.Is(err, errNoEntropy) {
		t.Fatalf("GenerateKey with a failing reader: err = %v, want the reader's error", err)
	}
}

var errNoEntropy = errors.New("no entropy")

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errNoEntropy }

func TestRoundTrip(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk)
	for name, m := range edgeMessages(t, pk.n) {
		t.Run(name, func(t *testing.T) {
			if got := decrypt(t, sk, encrypt(t, pk, pool, m)); got.Cmp(m) != 0 {
				t.Errorf("pooled: Decrypt = %v, want %v", got, m)
			}
			if got := decrypt(t, sk, subgroupCiphertext(t, pk, m)); got.Cmp(m) != 0 {
				t.Errorf("full subgroup exponent: Decrypt = %v, want %v", got, m)
			}
		})
	}
}

// TestEncryptReferenceNeedsDecryptReference documents the limit of Decrypt:
// a textbook ciphertext, whose randomness is a uniform n-th residue outside
// the subgroup of hs, is refused rather than decrypted to a wrong value, and
// DecryptReference decrypts it.
func TestEncryptReferenceNeedsDecryptReference(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk, WithPoolSize(4))
	for name, m := range edgeMessages(t, pk.n) {
		c, err := pk.EncryptReference(rand.Reader, m)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := sk.DecryptReference(c); err != nil || got.Cmp(m) != 0 {
			t.Errorf("%s: DecryptReference = %v, %v; want %v", name, got, err, m)
		}
		if got, err := sk.Decrypt(c); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("%s: Decrypt of a reference ciphertext = %v, %v; want ErrOutOfRange", name, got, err)
		}
		// Adding subgroup randomness does not bring it into the subgroup.
		if _, err := sk.Decrypt(pk.Rerandomize(c, mustNext(t, pool))); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("%s: Decrypt of a rerandomised reference ciphertext: %v, want ErrOutOfRange", name, err)
		}
	}
	// −1 has order 2, outside the subgroup of odd order α.
	c := encrypt(t, pk, pool, big.NewInt(5))
	minus1 := new(big.Int).Sub(pk.nSquared, one)
	if _, err := sk.Decrypt(pk.Rerandomize(c, minus1)); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("Decrypt of a ciphertext times −1: %v, want ErrOutOfRange", err)
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
	checkKeyStructure(t, sk, DefaultBits)
	if sk.alphaP.BitLen() != 256 {
		t.Errorf("α_p of %d bits for a 2048-bit key, want 256", sk.alphaP.BitLen())
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
	ref, err := pk.EncryptReference(rand.Reader, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sk.Decrypt(ref); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("Decrypt of a reference ciphertext: %v, want ErrOutOfRange", err)
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

// TestDecryptMatchesReference decrypts arbitrary elements (1+n)^m·hs^e of the
// subgroup both ways, and checks that Decrypt refuses arbitrary units of
// Z*_{n²}, which DecryptReference decrypts.
func TestDecryptMatchesReference(t *testing.T) {
	sk := testKey(t, 0)
	for i := range 32 {
		m := randBelow(t, sk.n)
		if got := decrypt(t, sk, subgroupCiphertext(t, sk.Public(), m)); got.Cmp(m) != 0 {
			t.Fatalf("case %d: Decrypt = %v, want %v", i, got, m)
		}
		x, err := randomUnit(rand.Reader, sk.nSquared)
		if err != nil {
			t.Fatal(err)
		}
		c := &Ciphertext{c: x}
		if _, err := sk.Decrypt(c); !errors.Is(err, ErrOutOfRange) {
			t.Fatalf("case %d: Decrypt of a random unit: %v, want ErrOutOfRange", i, err)
		}
		ref, err := sk.DecryptReference(c)
		if err != nil {
			t.Fatal(err)
		}
		if ref.Sign() < 0 || ref.Cmp(sk.n) >= 0 {
			t.Fatalf("case %d: plaintext %v outside [0, n)", i, ref)
		}
	}
	// Non-units: a multiple of p is no ciphertext at all.
	for _, x := range []*big.Int{sk.p, new(big.Int).Mul(sk.q, big.NewInt(3)), sk.n} {
		if _, err := sk.Decrypt(&Ciphertext{c: x}); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Decrypt of a non-unit: %v, want ErrOutOfRange", err)
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
	secrets := []*big.Int{sk.p, sk.q, sk.pSquared, sk.qSquared, sk.alphaP, sk.alphaQ, sk.hp, sk.hq, sk.qInvP, sk.lambda, sk.mu}
	for i, x := range secrets {
		if x.Sign() == 0 {
			t.Fatalf("secret %d is zero before Wipe", i)
		}
	}
	// Two open pools of the owner's, one of them busy: Wipe closes both and
	// wipes their copies of the secrets and their tables.
	owners := []*Randomness{testPool(t, pk, WithPrivateKey(sk), WithPoolSize(1)), testPool(t, pk, WithPrivateKey(sk), WithLimit(3))}
	var ownerSecrets [][]big.Word
	for _, r := range owners {
		mustNext(t, r)
		ownerSecrets = append(ownerSecrets, ownerWords(r)...)
	}

	sk.Wipe()

	if !allZero(ownerSecrets) {
		t.Error("Wipe left words of an owner's pool")
	}
	for i, r := range owners {
		if _, err := r.Next(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("owner's pool %d after Wipe: Next gives %v, want ErrClosed", i, err)
		}
	}

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
