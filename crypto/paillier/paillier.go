package paillier

import (
	"errors"
	"fmt"
	"math/big"
	"sync"
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
	// lies outside the range the key can handle, including a ciphertext
	// whose randomness is not in the subgroup Decrypt works in.
	ErrOutOfRange = errors.New("paillier: value out of range")
)

var one = big.NewInt(1)

// PublicKey is a Paillier public key: the modulus n, the generator hs of the
// subgroup that randomness factors come from, and values derived from them.
// A PublicKey is immutable and safe for concurrent use.
type PublicKey struct {
	n        *big.Int // p·q
	nSquared *big.Int // n²
	hs       *big.Int // h^n mod n², of secret order α = α_p·α_q
	ctSize   int      // bytes of n²
}

// newPublicKey derives the cached values of the public key (n, hs).
func newPublicKey(n, hs *big.Int) *PublicKey {
	n = new(big.Int).Set(n)
	n2 := new(big.Int).Mul(n, n)
	return &PublicKey{n: n, nSquared: n2, hs: new(big.Int).Set(hs), ctSize: (n2.BitLen() + 7) / 8}
}

// Bits returns the size of the modulus n in bits.
func (pk *PublicKey) Bits() int { return pk.n.BitLen() }

// N returns a copy of the modulus n.
func (pk *PublicKey) N() *big.Int { return new(big.Int).Set(pk.n) }

// Equal reports whether pk and x are the same key: the same modulus and the
// same subgroup generator.
func (pk *PublicKey) Equal(x *PublicKey) bool {
	return pk != nil && x != nil && pk.n.Cmp(x.n) == 0 && pk.hs.Cmp(x.hs) == 0
}

// Ciphertext is a Paillier ciphertext, an element of Z*_{n²}. Ciphertexts are
// immutable: the homomorphic operations return new ones.
type Ciphertext struct {
	c *big.Int
}

// PrivateKey is a Paillier private key. Its secrets are erased by Wipe; a
// PrivateKey must not be used concurrently with Wipe, except by the pools
// made WithPrivateKey, which Wipe closes.
type PrivateKey struct {
	PublicKey

	p, q           *big.Int
	pSquared       *big.Int
	qSquared       *big.Int
	alphaP, alphaQ *big.Int // orders of hs mod p² and q²: the CRT exponents
	hp, hq         *big.Int // (α_p·q)⁻¹ mod p and (α_q·p)⁻¹ mod q
	qInvP          *big.Int // q⁻¹ mod p, to join the halves
	lambda, mu     *big.Int // λ = lcm(p−1, q−1), μ = λ⁻¹ mod n, for the reference path

	poolsMu sync.Mutex               // guards pools and wiped against NewRandomness
	pools   map[*Randomness]struct{} // open pools made WithPrivateKey(sk)
	wiped   bool
}

// newPrivateKey derives every value decryption needs from the primes p and q,
// the primes α_p | p−1 and α_q | q−1, and the public generator hs. It checks
// that hs has order α_p·α_q, on which Decrypt depends. The key keeps p, q,
// α_p and α_q; on failure, newPrivateKey wipes them.
func newPrivateKey(p, q, alphaP, alphaQ, hs *big.Int) (*PrivateKey, error) {
	n := new(big.Int).Mul(p, q)
	pm1 := new(big.Int).Sub(p, one)
	qm1 := new(big.Int).Sub(q, one)
	phi := new(big.Int).Mul(pm1, qm1)
	defer wipeInts(pm1, qm1, phi)
	if new(big.Int).GCD(nil, nil, n, phi).Cmp(one) != 0 {
		wipeInts(p, q, alphaP, alphaQ)
		return nil, errors.New("paillier: gcd(n, φ(n)) ≠ 1")
	}
	if new(big.Int).Mod(pm1, alphaP).Sign() != 0 || new(big.Int).Mod(qm1, alphaQ).Sign() != 0 {
		wipeInts(p, q, alphaP, alphaQ)
		return nil, errors.New("paillier: α_p and α_q do not divide p−1 and q−1")
	}
	sk := &PrivateKey{PublicKey: *newPublicKey(n, hs), p: p, q: q, alphaP: alphaP, alphaQ: alphaQ}
	sk.pSquared = new(big.Int).Mul(p, p)
	sk.qSquared = new(big.Int).Mul(q, q)
	if !hasPrimeOrder(hs, p, sk.pSquared, alphaP) || !hasPrimeOrder(hs, q, sk.qSquared, alphaQ) {
		sk.Wipe()
		return nil, errors.New("paillier: hs does not have order α_p·α_q")
	}

	// With g = n+1, g^α_p mod p² = 1 + α_p·n mod p², so no exponentiation is
	// needed to find hp (and it equals (α_p·q)⁻¹ mod p).
	sk.hp = crtH(p, sk.pSquared, alphaP, n)
	sk.hq = crtH(q, sk.qSquared, alphaQ, n)
	sk.qInvP = new(big.Int).ModInverse(q, p)

	gcd := new(big.Int).GCD(nil, nil, pm1, qm1)
	sk.lambda = new(big.Int).Div(phi, gcd)
	sk.mu = new(big.Int).ModInverse(sk.lambda, n) // L(g^λ mod n²) = λ mod n
	wipeInt(gcd)
	if sk.hp == nil || sk.hq == nil || sk.qInvP == nil || sk.mu == nil {
		sk.Wipe()
		return nil, errors.New("paillier: degenerate primes")
	}
	return sk, nil
}

// hasPrimeOrder reports whether hs mod p² has the prime order alpha:
// hs^alpha ≡ 1 mod p² and hs ≢ 1 mod p.
func hasPrimeOrder(hs, p, pSquared, alpha *big.Int) bool {
	x := new(big.Int).Mod(hs, p)
	defer wipeInt(x)
	if x.Cmp(one) == 0 {
		return false
	}
	x.Mod(hs, pSquared)
	x.Exp(x, alpha, pSquared)
	return x.Cmp(one) == 0
}

// crtH returns L_p(g^e mod p²)⁻¹ mod p for g = n+1, or nil if it does not
// exist.
func crtH(p, pSquared, e, n *big.Int) *big.Int {
	x := new(big.Int).Mul(e, n)
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

// Wipe overwrites p, q, α_p, α_q, λ, μ and every value derived from them,
// after which Decrypt and DecryptBatch fail with ErrWiped. It first closes
// every open pool made WithPrivateKey(sk), which wipes the pool's copies of
// those secrets and its tables modulo p² and q². Copies that math/big made
// while computing are beyond its reach: Go offers no guaranteed erasure.
// Wipe is idempotent.
func (sk *PrivateKey) Wipe() {
	sk.poolsMu.Lock()
	sk.wiped = true
	pools := sk.pools
	sk.pools = nil
	sk.poolsMu.Unlock()
	for r := range pools {
		r.Close()
	}
	for _, x := range sk.secrets() {
		wipeInt(x)
	}
	sk.p, sk.q, sk.pSquared, sk.qSquared, sk.alphaP, sk.alphaQ = nil, nil, nil, nil, nil, nil
	sk.hp, sk.hq, sk.qInvP, sk.lambda, sk.mu = nil, nil, nil, nil, nil
}

// addPool records r as an open pool of the owner's; it fails once sk has
// been wiped.
func (sk *PrivateKey) addPool(r *Randomness) error {
	sk.poolsMu.Lock()
	defer sk.poolsMu.Unlock()
	if sk.wiped {
		return ErrWiped
	}
	if sk.pools == nil {
		sk.pools = make(map[*Randomness]struct{})
	}
	sk.pools[r] = struct{}{}
	return nil
}

// removePool forgets r, which has been closed.
func (sk *PrivateKey) removePool(r *Randomness) {
	sk.poolsMu.Lock()
	delete(sk.pools, r)
	sk.poolsMu.Unlock()
}

// secrets returns every secret value of sk.
func (sk *PrivateKey) secrets() []*big.Int {
	return []*big.Int{sk.p, sk.q, sk.pSquared, sk.qSquared, sk.alphaP, sk.alphaQ, sk.hp, sk.hq, sk.qInvP, sk.lambda, sk.mu}
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
// randomness factor rn, which should come from Randomness.Next: a power of the
// key's generator hs, as Decrypt requires. It costs one modular
// multiplication. Each factor must be used once only: two ciphertexts sharing
// a factor reveal the difference of their messages.
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

// checkCiphertext refuses decryption with a wiped key and of anything but a unit
// modulo n².
func (sk *PrivateKey) checkCiphertext(c *Ciphertext) error {
	if sk.wiped {
		return ErrWiped
	}
	if c == nil {
		return fmt.Errorf("%w: nil ciphertext", ErrOutOfRange)
	}
	return sk.checkUnit(c.c, "ciphertext")
}

// Decrypt returns the plaintext of c, in [0, n). It raises c to the orders
// α_p and α_q of hs modulo p² and q² (SubgroupBits long: 256 bits for 2048-
// and 3072-bit keys), which removes the randomness, and joins the two halves
// with the Chinese remainder theorem.
//
// Decrypt handles only ciphertexts whose randomness lies in the subgroup
// generated by the key's hs: everything Encrypt, the batch functions and the
// homomorphic operations make from factors of a Randomness for this key, which
// is every ciphertext Triad makes. It returns an error wrapping ErrOutOfRange
// for any other ciphertext, such as one from EncryptReference; DecryptReference
// decrypts those.
func (sk *PrivateKey) Decrypt(c *Ciphertext) (*big.Int, error) {
	if err := sk.checkCiphertext(c); err != nil {
		return nil, err
	}
	mp, okp := decryptHalf(c.c, sk.p, sk.pSquared, sk.alphaP, sk.hp)
	mq, okq := decryptHalf(c.c, sk.q, sk.qSquared, sk.alphaQ, sk.hq)
	if !okp || !okq {
		wipeInt(mp)
		wipeInt(mq)
		return nil, fmt.Errorf("%w: ciphertext randomness is not a power of the key's hs", ErrOutOfRange)
	}

	// m = mq + q·((mp − mq)·q⁻¹ mod p)
	m := mp.Sub(mp, mq)
	m.Mul(m, sk.qInvP)
	m.Mod(m, sk.p)
	m.Mul(m, sk.q)
	m.Add(m, mq)
	wipeInt(mq)
	return m, nil
}

// decryptHalf returns the plaintext mod p, L_p(c^α_p mod p²)·hp mod p, for
// c = (1+n)^m·hs^a: hs^α_p ≡ 1 mod p², so c^α_p ≡ 1 + m·α_p·n mod p² and
// L_p of it is m·α_p·q mod p. It reports false if c^α_p ≢ 1 mod p, which
// holds exactly when c is not of the form (1+n)^m·hs^a modulo p².
func decryptHalf(c, p, pSquared, alpha, hp *big.Int) (*big.Int, bool) {
	x := new(big.Int).Mod(c, pSquared)
	x.Exp(x, alpha, pSquared)
	x.Sub(x, one)
	l, r := new(big.Int).QuoRem(x, p, new(big.Int))
	ok := r.Sign() == 0
	wipeInt(x)
	wipeInt(r)
	l.Mul(l, hp)
	return l.Mod(l, p), ok
}
