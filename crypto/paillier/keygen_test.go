package paillier

import (
	"crypto/rand"
	"io"
	"math/big"
	"testing"
)

func TestSmallPrimes(t *testing.T) {
	const bound = 5000
	s := newSmallPrimes(bound)
	var got []uint64
	for _, g := range s {
		prod := new(big.Int).SetInt64(1)
		for _, r := range g.primes {
			prod.Mul(prod, new(big.Int).SetUint64(r))
			got = append(got, r)
		}
		if prod.Cmp(g.product) != 0 || !prod.IsUint64() {
			t.Fatalf("group %v: product %v, want %v fitting in 64 bits", g.primes, g.product, prod)
		}
	}
	i := 0
	for r := uint64(3); r < bound; r += 2 {
		if !new(big.Int).SetUint64(r).ProbablyPrime(0) {
			continue
		}
		if i >= len(got) || got[i] != r {
			t.Fatalf("prime %d missing or out of order", r)
		}
		i++
	}
	if i != len(got) {
		t.Fatalf("%d values listed, %d odd primes below %d", len(got), i, bound)
	}
}

func TestInvMod(t *testing.T) {
	for _, m := range []uint64{3, 5, 7, 251, 65521} {
		for _, a := range []uint64{1, 2, m - 1, m / 2, m + 3} {
			if a%m == 0 {
				continue
			}
			if inv := invMod(a, m); inv >= m || a%m*inv%m != 1 {
				t.Errorf("invMod(%d, %d) = %d", a, m, inv)
			}
		}
	}
}

// TestSieve compares the sieve with trial division of every candidate.
func TestSieve(t *testing.T) {
	s := newSmallPrimes(2000)
	alpha, err := randomPrime(rand.Reader, 256)
	if err != nil {
		t.Fatal(err)
	}
	step := new(big.Int).Lsh(alpha, 1)
	p0 := randBelow(t, new(big.Int).Lsh(one, 512))
	p0.SetBit(p0, 0, 1)
	composite := make([]bool, 700)
	for i := range composite {
		composite[i] = i%2 == 0 // the sieve must clear stale marks
	}
	s.sieve(composite, p0, s.residues(step))
	x, r := new(big.Int), new(big.Int)
	marked := 0
	for k, c := range composite {
		x.Mul(step, big.NewInt(int64(k)))
		x.Add(x, p0)
		divisible := false
		for _, g := range s {
			for _, q := range g.primes {
				if r.Mod(x, r.SetUint64(q)).Sign() == 0 {
					divisible = true
				}
			}
		}
		if c != divisible {
			t.Fatalf("candidate %d: sieve says composite = %v, trial division %v", k, c, divisible)
		}
		if c {
			marked++
		}
	}
	// About 1 − ∏(1 − 1/r) ≈ 85% of the candidates have a factor below 2000.
	if marked < len(composite)/2 || marked == len(composite) {
		t.Fatalf("sieve marked %d of %d candidates", marked, len(composite))
	}
}

func TestSubgroupPrime(t *testing.T) {
	primes := newSmallPrimes(sieveBound)
	// At 270 bits with α of 256 the range of β is shorter than a sieve
	// window, which the search must clip.
	for _, bits := range []int{512, 270} {
		p, alpha, err := subgroupPrime(rand.Reader, bits, 256, primes)
		if err != nil {
			t.Fatal(err)
		}
		if p.BitLen() != bits || p.Bit(bits-2) != 1 || !p.ProbablyPrime(20) {
			t.Errorf("%d bits: p = %v is not a prime of %d bits with the top two set", bits, p, bits)
		}
		if alpha.BitLen() != 256 || !alpha.ProbablyPrime(20) {
			t.Errorf("%d bits: α = %v is not a prime of 256 bits", bits, alpha)
		}
		if new(big.Int).Mod(new(big.Int).Sub(p, one), new(big.Int).Lsh(alpha, 1)).Sign() != 0 {
			t.Errorf("%d bits: 2α ∤ p−1", bits)
		}
	}
}

// TestProgressionWiped checks that the prime search leaves none of its
// secrets (2α, the bounds on β, the residues of 2α, the candidates and the
// sieve's marks) once wiped, after a search that succeeds and after one
// whose source of randomness fails.
func TestProgressionWiped(t *testing.T) {
	primes := newSmallPrimes(sieveBound)
	for name, random := range map[string]io.Reader{"success": rand.Reader, "failure": io.LimitReader(rand.Reader, 0)} {
		t.Run(name, func(t *testing.T) {
			alpha, err := randomPrime(rand.Reader, 256)
			if err != nil {
				t.Fatal(err)
			}
			g := newProgression(alpha, 512, primes)
			p, err := g.search(random, primes)
			if (err == nil) != (name == "success") {
				t.Fatalf("search: %v", err)
			}
			if p != nil && new(big.Int).Mod(new(big.Int).Sub(p, one), g.step).Sign() != 0 {
				t.Fatal("2α ∤ p−1")
			}
			ints := []*big.Int{g.step, g.lo, g.hi, g.span, g.beta, g.p0, g.left, g.r}
			if name == "success" && (g.beta.Sign() == 0 || g.p0.Sign() == 0) {
				t.Fatal("search left no candidate to wipe")
			}
			g.wipe()
			for i, x := range ints {
				for _, w := range x.Bits()[:cap(x.Bits())] {
					if w != 0 {
						t.Fatalf("value %d of the search not wiped", i)
					}
				}
			}
			for _, r := range g.stepRes {
				if r != 0 {
					t.Fatal("residues of 2α not wiped")
				}
			}
			for _, c := range g.composite {
				if c {
					t.Fatal("sieve marks not wiped")
				}
			}
		})
	}
}

func TestSubgroupGenerator(t *testing.T) {
	sk := testKey(t, 0)
	hs, err := subgroupGenerator(rand.Reader, sk.p, sk.q, sk.alphaP, sk.alphaQ)
	if err != nil {
		t.Fatal(err)
	}
	if hs.Cmp(sk.hs) == 0 {
		t.Fatal("two draws gave the same generator")
	}
	// newPrivateKey checks the order of the generator it is given. It keeps
	// (or wipes) the secrets it is given: pass copies of the shared key's.
	with := func(hs *big.Int) error {
		c := func(x *big.Int) *big.Int { return new(big.Int).Set(x) }
		_, err := newPrivateKey(c(sk.p), c(sk.q), c(sk.alphaP), c(sk.alphaQ), hs)
		return err
	}
	if err := with(hs); err != nil {
		t.Fatalf("fresh generator rejected: %v", err)
	}
	if with(new(big.Int).Exp(hs, sk.alphaP, sk.nSquared)) == nil {
		t.Fatal("generator of order α_q only accepted")
	}
	if with(big.NewInt(2)) == nil {
		t.Fatal("generator 2 accepted")
	}
	if with(one) == nil {
		t.Fatal("generator 1 accepted")
	}
}
