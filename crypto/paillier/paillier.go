package paillier

import (
	"errors"
	"fmt"
	"io"
	"math/big"
)

const (
	// DefaultBits is the modulus size Triad uses unless told otherwise.
	DefaultBits = 2048
	// MinBits is the smallest modulus GenerateKey and ParsePublicKey accept.
	// 1024-bit keys are for tests: they give about 80 bits of security.
	MinBits = 1024
	// MaxBits is the largest modulus GenerateKey and ParsePublicKey accept.
	MaxBits = 8192
)

var (
	// ErrWiped is returned by a private key whose secrets have been erased.
	ErrWiped = errors.New("paillier: private key has been wiped")
	// ErrOutOfRange is wrapped by errors about a message or ciphertext that
	// lies outside the range the key can handle.
	ErrOutOfRange = errors.New("paillier: value out of range")
)

var one = big.NewInt(1)

// PublicKey is a Paillier public key: the modulus n and values derived from it.
// A PublicKey is immutable and safe for concurrent use.
type PublicKey struct {
	n        *big.Int // p·q
	nSquared *big.Int // n²
	ctSize   int      // bytes of n²
}

// newPublicKey derives the cached values of the public key with modulus n.
func newPublicKey(n *big.Int) *PublicKey {
	n = new(big.Int).Set(n)
	n2 := new(big.Int).Mul(n, n)
	return &PublicKey{n: n, nSquared: n2, ctSize: (n2.BitLen() + 7) / 8}
}

// Bits returns the size of the modulus n in bits.
func (pk *PublicKey) Bits() int { return pk.n.BitLen() }

// N returns a copy of the modulus n.
func (pk *PublicKey) N() *big.Int { return new(big.Int).Set(pk.n) }

// Equal reports whether pk and x are the same key.
func (pk *PublicKey) Equal(x *PublicKey) bool {
	return pk != nil && x != nil && pk.n.Cmp(x.n) == 0
}

// Ciphertext is a Paillier ciphertext, an element of Z*_{n²}. Ciphertexts are
// immutable: the homomorphic operations return new ones.
type Ciphertext struct {
	c *big.Int
}

// PrivateKey is a Paillier private key. Its secrets are erased by Wipe; a
// PrivateKey must not be used concurrently with Wipe.
type PrivateKey struct {
	PublicKey

	p, q       *big.Int
	pSquared   *big.Int
	qSquared   *big.Int
	pMinus1    *big.Int // exponent of the CRT half mod p²
	qMinus1    *big.Int // exponent of the CRT half mod q²
	hp, hq     *big.Int // L_p(g^(p−1) mod p²)⁻¹ mod p, and likewise for q
	qInvP      *big.Int // q⁻¹ mod p, to join the halves
	lambda, mu *big.Int // λ = lcm(p−1, q−1), μ = λ⁻¹ mod n, for the reference path

	wiped bool
}

// GenerateKey returns a fresh key whose modulus n = p·q has exactly bits bits,
// p and q being distinct random primes of bits/2 bits each. bits must be even
// and between MinBits and MaxBits; use DefaultBits (2048) or 3072. random must
// be a cryptographically secure source such as crypto/rand.Reader.
func GenerateKey(random io.Reader, bits int) (*PrivateKey, error) {
	if bits < MinBits || bits > MaxBits || bits%2 != 0 {
		return nil, fmt.Errorf("paillier: key size %d bits: want an even size in [%d, %d]", bits, MinBits, MaxBits)
	}
	half := bits / 2
	// p and q must differ in their top bits too, or Fermat's method factors n.
	minDistance := new(big.Int).Lsh(one, uint(half-100))
	for {
		p, err := randomPrime(random, half)
		if err != nil {
			return nil, fmt.Errorf("paillier: generating key: %w", err)
		}
		q, err := randomPrime(random, half)
		if err != nil {
			return nil, fmt.Errorf("paillier: generating key: %w", err)
		}
		d := new(big.Int).Sub(p, q)
		tooClose := d.Abs(d).Cmp(minDistance) <= 0
		wipeInt(d)
		if tooClose {
			wipeInt(p)
			wipeInt(q)
			continue
		}
		sk, err := newPrivateKey(p, q)
		if err != nil {
			// gcd(n, φ(n)) ≠ 1: impossible for distinct primes of equal size,
			// and handled all the same.
			wipeInt(p)
			wipeInt(q)
			continue
		}
		if sk.Bits() != bits {
			sk.Wipe()
			continue
		}
		return sk, nil
	}
}

// randomPrime returns a prime of exactly bits bits whose top two bits are set,
// so that the product of two such primes has exactly 2·bits bits.
func randomPrime(random io.Reader, bits int) (*big.Int, error) {
	buf := make([]byte, (bits+7)/8)
	defer clear(buf)
	top := uint(bits % 8)
	if top == 0 {
		top = 8
	}
	p := new(big.Int)
	for {
		if _, err := io.ReadFull(random, buf); err != nil {
			return nil, fmt.Errorf("reading random prime candidate: %w", err)
		}
		buf[0] &= byte(1<<top - 1)
		if top >= 2 {
			buf[0] |= 3 << (top - 2)
		} else {
			buf[0] |= 1
			buf[1] |= 0x80
		}
		buf[len(buf)-1] |= 1
		p.SetBytes(buf)
		// ProbablyPrime(20) runs Baillie–PSW and 20 Miller–Rabin rounds with
		// pseudorandom bases: no composite is known to pass Baillie–PSW alone.
		if p.ProbablyPrime(20) {
			return p, nil
		}
	}
}

// newPrivateKey derives every value decryption needs from the primes p and q.
func newPrivateKey(p, q *big.Int) (*PrivateKey, error) {
	n := new(big.Int).Mul(p, q)
	pm1 := new(big.Int).Sub(p, one)
	qm1 := new(big.Int).Sub(q, one)
	phi := new(big.Int).Mul(pm1, qm1)
	if new(big.Int).GCD(nil, nil, n, phi).Cmp(one) != 0 {
		return nil, errors.New("paillier: gcd(n, φ(n)) ≠ 1")
	}
	sk := &PrivateKey{PublicKey: *newPublicKey(n), p: p, q: q}
	sk.pSquared = new(big.Int).Mul(p, p)
	sk.qSquared = new(big.Int).Mul(q, q)
	sk.pMinus1 = pm1
	sk.qMinus1 = qm1

	// With g = n+1, g^(p−1) mod p² = 1 + (p−1)·n mod p², so no exponentiation
	// is needed to find hp (and it equals (−q)⁻¹ mod p).
	sk.hp = crtH(p, sk.pSquared, pm1, n)
	sk.hq = crtH(q, sk.qSquared, qm1, n)
	sk.qInvP = new(big.Int).ModInverse(q, p)

	gcd := new(big.Int).GCD(nil, nil, pm1, qm1)
	sk.lambda = new(big.Int).Div(phi, gcd)
	sk.mu = new(big.Int).ModInverse(sk.lambda, n) // L(g^λ mod n²) = λ mod n
	wipeInt(phi)
	wipeInt(gcd)
	if sk.hp == nil || sk.hq == nil || sk.qInvP == nil || sk.mu == nil {
		sk.Wipe()
		return nil, errors.New("paillier: degenerate primes")
	}
	return sk, nil
}

// crtH returns L_p(g^(p−1) mod p²)⁻¹ mod p for g = n+1, or nil if it does not
// exist.
func crtH(p, pSquared, pm1, n *big.Int) *big.Int {
	x := new(big.Int).Mul(pm1, n)
	x.Add(x, one)
	x.Mod(x, pSquared)
	lp := lFunc(x, p)
	h := new(big.Int).ModInverse(lp, p)
	wipeInt(x)
	wipeInt(lp)
	return h
}

// lFunc returns L(x) = (x−1)/d.
func lFunc(x, d *big.Int) *big.Int {
	l := new(big.Int).Sub(x, one)
	return l.Quo(l, d)
}

// Public returns the public half of sk. It stays usable after sk.Wipe.
func (sk *PrivateKey) Public() *PublicKey {
	return &sk.PublicKey
}

// Wipe overwrites p, q, λ, μ and every value derived from them, after which
// Decrypt and DecryptBatch fail with ErrWiped. Copies that math/big made while
// computing are beyond its reach: Go offers no guaranteed erasure.
func (sk *PrivateKey) Wipe() {
	for _, x := range []*big.Int{sk.p, sk.q, sk.pSquared, sk.qSquared, sk.pMinus1, sk.qMinus1, sk.hp, sk.hq, sk.qInvP, sk.lambda, sk.mu} {
		wipeInt(x)
	}
	sk.p, sk.q, sk.pSquared, sk.qSquared, sk.pMinus1, sk.qMinus1 = nil, nil, nil, nil, nil, nil
	sk.hp, sk.hq, sk.qInvP, sk.lambda, sk.mu = nil, nil, nil, nil, nil
	sk.wiped = true
}

// wipeInt overwrites the words of x, including spare capacity, and sets x to 0.
func wipeInt(x *big.Int) {
	if x == nil {
		return
	}
	w := x.Bits()
	clear(w[:cap(w)])
	x.SetInt64(0)
}

// checkMessage reports whether m is a valid plaintext, in [0, n).
func (pk *PublicKey) checkMessage(m *big.Int) error {
	if m == nil || m.Sign() < 0 || m.Cmp(pk.n) >= 0 {
		return fmt.Errorf("%w: message must lie in [0, n)", ErrOutOfRange)
	}
	return nil
}

// checkUnit reports whether x lies in (0, n²), as ciphertexts and
// randomness factors must.
func (pk *PublicKey) checkUnit(x *big.Int, what string) error {
	if x == nil || x.Sign() <= 0 || x.Cmp(pk.nSquared) >= 0 {
		return fmt.Errorf("%w: %s must lie in (0, n²)", ErrOutOfRange, what)
	}
	return nil
}

// Encrypt returns (1 + m·n)·rn mod n², the encryption of m ∈ [0, n) with the
// randomness factor rn = r^n mod n², which should come from Randomness.Next.
// It costs one modular multiplication. Each factor must be used once only:
// two ciphertexts sharing a factor reveal the difference of their messages.
func (pk *PublicKey) Encrypt(m *big.Int, rn *big.Int) (*Ciphertext, error) {
	if err := pk.checkMessage(m); err != nil {
		return nil, err
	}
	if err := pk.checkUnit(rn, "randomness factor"); err != nil {
		return nil, err
	}
	c := pk.gm(m)
	c.Mul(c, rn)
	c.Mod(c, pk.nSquared)
	return &Ciphertext{c: c}, nil
}

// gm returns g^m = 1 + m·n mod n² for m ∈ [0, n); the result is below n².
func (pk *PublicKey) gm(m *big.Int) *big.Int {
	x := new(big.Int).Mul(m, pk.n)
	return x.Add(x, one)
}

// Add returns a ciphertext of the sum of the plaintexts of a and b, mod n.
func (pk *PublicKey) Add(a, b *Ciphertext) *Ciphertext {
	c := new(big.Int).Mul(a.c, b.c)
	return &Ciphertext{c: c.Mod(c, pk.nSquared)}
}

// AddPlain returns a ciphertext of the plaintext of c plus m, mod n. m may be
// any integer, negative ones included; it is reduced mod n. The result carries
// the same randomness as c: rerandomize it before it leaves the party that
// knows m if c's holder must not learn m.
func (pk *PublicKey) AddPlain(c *Ciphertext, m *big.Int) *Ciphertext {
	mm := new(big.Int).Mod(m, pk.n)
	x := pk.gm(mm)
	x.Mul(x, c.c)
	return &Ciphertext{c: x.Mod(x, pk.nSquared)}
}

// MulConst returns a ciphertext of the plaintext of c times k, mod n. k may be
// any integer, negative ones included; it is reduced mod n.
func (pk *PublicKey) MulConst(c *Ciphertext, k *big.Int) *Ciphertext {
	e := new(big.Int).Mod(k, pk.n)
	return &Ciphertext{c: new(big.Int).Exp(c.c, e, pk.nSquared)}
}

// Rerandomize returns c·rn mod n², a fresh-looking ciphertext of the same
// plaintext; rn is a randomness factor from Randomness.Next, used once.
func (pk *PublicKey) Rerandomize(c *Ciphertext, rn *big.Int) *Ciphertext {
	x := new(big.Int).Mul(c.c, rn)
	return &Ciphertext{c: x.Mod(x, pk.nSquared)}
}

// Decrypt returns the plaintext of c, in [0, n). It works modulo p² and q²
// and joins the two halves with the Chinese remainder theorem.
func (sk *PrivateKey) Decrypt(c *Ciphertext) (*big.Int, error) {
	if sk.wiped {
		return nil, ErrWiped
	}
	if c == nil {
		return nil, fmt.Errorf("%w: nil ciphertext", ErrOutOfRange)
	}
	if err := sk.checkUnit(c.c, "ciphertext"); err != nil {
		return nil, err
	}
	mp := decryptHalf(c.c, sk.p, sk.pSquared, sk.pMinus1, sk.hp)
	mq := decryptHalf(c.c, sk.q, sk.qSquared, sk.qMinus1, sk.hq)

	// m = mq + q·((mp − mq)·q⁻¹ mod p)
	m := mp.Sub(mp, mq)
	m.Mul(m, sk.qInvP)
	m.Mod(m, sk.p)
	m.Mul(m, sk.q)
	m.Add(m, mq)
	wipeInt(mq)
	return m, nil
}

// decryptHalf returns L_p(c^(p−1) mod p²)·hp mod p, the plaintext mod p.
func decryptHalf(c, p, pSquared, pMinus1, hp *big.Int) *big.Int {
	x := new(big.Int).Mod(c, pSquared)
	x.Exp(x, pMinus1, pSquared)
	l := lFunc(x, p)
	wipeInt(x)
	l.Mul(l, hp)
	return l.Mod(l, p)
}
