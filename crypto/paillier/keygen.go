package paillier

import (
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
)

// SubgroupBits returns the size in bits of each of the secret primes α_p and
// α_q whose product is the order of a key's randomness subgroup: twice the
// security level of the modulus and never less than 256, so 256 bits for
// 2048- and 3072-bit keys. The best known attacks on that subgroup, Pollard's
// rho in the order-α_p part and the attack of Coron et al. that factors n from
// hs, take about 2^(SubgroupBits/2) steps.
func SubgroupBits(modulusBits int) int {
	return max(256, 2*SecurityBits(modulusBits))
}

const (
	// sieveBound is the bound below which small prime factors are sieved out
	// of prime candidates before Miller–Rabin sees them: it leaves about one
	// candidate in ten.
	sieveBound = 1 << 16
	// sieveWindow is the number of consecutive candidates of the progression
	// 2·α·β + 1 sieved at once; at 1024 bits one in about 355 of them is
	// prime.
	sieveWindow = 1 << 13
)

// GenerateKey returns a fresh key whose modulus n = p·q has exactly bits bits.
// p = 2·α_p·β_p + 1 and q = 2·α_q·β_q + 1 are distinct random primes of bits/2
// bits each, α_p and α_q distinct random primes of SubgroupBits(bits) bits,
// and β_p and β_q random. The public key carries hs = h^n mod n² for a random
// h ∈ Z*_n of order α_p·α_q; randomness factors are powers of hs. bits must
// be even and between MinBits and MaxBits; use DefaultBits (2048) or 3072.
// random must be a cryptographically secure source such as crypto/rand.Reader.
func GenerateKey(random io.Reader, bits int) (*PrivateKey, error) {
	if bits < MinBits || bits > MaxBits || bits%2 != 0 {
		return nil, fmt.Errorf("paillier: key size %d bits: want an even size in [%d, %d]", bits, MinBits, MaxBits)
	}
	half := bits / 2
	sub := SubgroupBits(bits)
	primes := newSmallPrimes(sieveBound)
	// p and q must differ in their top bits too, or Fermat's method factors n.
	minDistance := new(big.Int).Lsh(one, uint(half-100))
	for {
		p, alphaP, err := subgroupPrime(random, half, sub, primes)
		if err != nil {
			return nil, fmt.Errorf("paillier: generating key: %w", err)
		}
		q, alphaQ, err := subgroupPrime(random, half, sub, primes)
		if err != nil {
			wipeInts(p, alphaP)
			return nil, fmt.Errorf("paillier: generating key: %w", err)
		}
		d := new(big.Int).Sub(p, q)
		tooClose := d.Abs(d).Cmp(minDistance) <= 0
		wipeInt(d)
		if tooClose || alphaP.Cmp(alphaQ) == 0 {
			wipeInts(p, q, alphaP, alphaQ)
			continue
		}
		hs, err := subgroupGenerator(random, p, q, alphaP, alphaQ)
		if err != nil {
			wipeInts(p, q, alphaP, alphaQ)
			return nil, fmt.Errorf("paillier: generating key: %w", err)
		}
		// newPrivateKey cannot fail for primes of this form: p ∤ q−1 and
		// q ∤ p−1 for distinct primes of equal size with their top two bits
		// set, and hs has order α_p·α_q by construction.
		sk, err := newPrivateKey(p, q, alphaP, alphaQ, hs)
		if err != nil {
			return nil, fmt.Errorf("paillier: generating key: %w", err)
		}
		if sk.Bits() != bits {
			sk.Wipe()
			continue
		}
		return sk, nil
	}
}

// subgroupPrime returns a prime p = 2·α·β + 1 of exactly bits bits whose top
// two bits are set, so that the product of two such primes has exactly 2·bits
// bits, together with α, a random prime of subBits bits. It draws β uniformly
// from the range that gives p that size and takes the first prime of the
// progression 2·α·(β+k) + 1, k = 0, 1, ..., sieving out candidates with a
// factor below sieveBound before testing the rest with Miller–Rabin. This is
// the usual incremental search: it favours primes that follow long gaps in
// the progression slightly, a bias no known attack uses.
func subgroupPrime(random io.Reader, bits, subBits int, primes smallPrimes) (p, alpha *big.Int, err error) {
	alpha, err = randomPrime(random, subBits)
	if err != nil {
		return nil, nil, err
	}
	g := newProgression(alpha, bits, primes)
	defer g.wipe()
	if p, err = g.search(random, primes); err != nil {
		wipeInt(alpha)
		return nil, nil, err
	}
	return p, alpha, nil
}

// progression is the search of subgroupPrime for a prime 2·α·β + 1 with β in
// [lo, hi], with its working space. Every field is secret: step = 2α, and α
// factors n (it is the order of hs mod p²); the bounds, the residues of step
// and the sieve's marks are computed from it, and beta and p0 are the
// candidates. wipe overwrites them all.
type progression struct {
	step, lo, hi, span *big.Int
	stepRes            []uint64 // step mod each prime of the sieve
	beta, p0, left, r  *big.Int
	composite          []bool
}

// newProgression sets up the search for primes of bits bits, the top two
// set, in the progression 2·α·β + 1.
func newProgression(alpha *big.Int, bits int, primes smallPrimes) *progression {
	g := &progression{
		step: new(big.Int).Lsh(alpha, 1),
		beta: new(big.Int), p0: new(big.Int), left: new(big.Int), r: new(big.Int),
		composite: make([]bool, sieveWindow),
	}
	// p ∈ [3·2^(bits−2), 2^bits − 1] ⇔ β ∈ [lo, hi].
	g.lo = new(big.Int).Lsh(big.NewInt(3), uint(bits-2))
	g.lo.Sub(g.lo, one)
	g.lo.Add(g.lo, g.step)
	g.lo.Sub(g.lo, one)
	g.lo.Quo(g.lo, g.step) // ⌈(3·2^(bits−2) − 1) / 2α⌉
	g.hi = new(big.Int).Lsh(one, uint(bits))
	g.hi.Sub(g.hi, big.NewInt(2))
	g.hi.Quo(g.hi, g.step) // ⌊(2^bits − 2) / 2α⌋
	g.span = new(big.Int).Sub(g.hi, g.lo)
	g.span.Add(g.span, one)
	g.stepRes = primes.residues(g.step)
	return g
}

// search draws β uniformly from [lo, hi] and returns the first prime of
// 2·α·(β+k) + 1, k = 0, 1, ..., sieving out candidates with a factor below
// sieveBound before testing the rest with Miller–Rabin.
func (g *progression) search(random io.Reader, primes smallPrimes) (*big.Int, error) {
	for {
		r, err := rand.Int(random, g.span)
		if err != nil {
			return nil, fmt.Errorf("reading random prime candidate: %w", err)
		}
		g.r.Set(r)
		wipeInt(r)
		g.beta.Add(g.r, g.lo)
		g.p0.Mul(g.step, g.beta)
		g.p0.Add(g.p0, one)
		window := sieveWindow
		if g.left.Sub(g.hi, g.beta); g.left.IsInt64() && g.left.Int64() < int64(window) {
			window = int(g.left.Int64()) + 1
		}
		primes.sieve(g.composite[:window], g.p0, g.stepRes)
		for k, c := range g.composite[:window] {
			if c {
				continue
			}
			p := new(big.Int).SetInt64(int64(k))
			p.Mul(p, g.step)
			p.Add(p, g.p0)
			// ProbablyPrime(20) runs Baillie–PSW and 20 Miller–Rabin rounds
			// with pseudorandom bases; a composite almost always fails the
			// first round, with base 2.
			if p.ProbablyPrime(20) {
				return p, nil
			}
			wipeInt(p)
		}
	}
}

// wipe overwrites every value of the search.
func (g *progression) wipe() {
	wipeInts(g.step, g.lo, g.hi, g.span, g.beta, g.p0, g.left, g.r)
	clear(g.stepRes)
	clear(g.composite)
}

// smallPrimes holds the odd primes below a bound in groups whose product fits
// in a machine word, so that a big number's residues modulo all of them cost
// one big division per group.
type smallPrimes []primeGroup

type primeGroup struct {
	product *big.Int
	primes  []uint64
}

// newSmallPrimes returns the odd primes below bound, found with the sieve of
// Eratosthenes.
func newSmallPrimes(bound int) smallPrimes {
	composite := make([]bool, bound)
	var groups smallPrimes
	var g primeGroup
	prod := uint64(1)
	for r := 3; r < bound; r += 2 {
		if composite[r] {
			continue
		}
		for m := r * r; m < bound; m += 2 * r {
			composite[m] = true
		}
		if prod > (1<<64-1)/uint64(r) { // prod·r would overflow
			g.product = new(big.Int).SetUint64(prod)
			groups = append(groups, g)
			g, prod = primeGroup{}, 1
		}
		prod *= uint64(r)
		g.primes = append(g.primes, uint64(r))
	}
	if len(g.primes) > 0 {
		g.product = new(big.Int).SetUint64(prod)
		groups = append(groups, g)
	}
	return groups
}

// residues returns x mod r for every prime r of s, in order.
func (s smallPrimes) residues(x *big.Int) []uint64 {
	var out []uint64
	t := new(big.Int)
	for _, g := range s {
		m := t.Mod(x, g.product).Uint64()
		for _, r := range g.primes {
			out = append(out, m%r)
		}
	}
	wipeInt(t)
	return out
}

// sieve sets composite[k] for every k such that p0 + k·step has a prime
// factor in s, given step's residues modulo the primes of s, and clears the
// others. step must be prime to every prime of s, and p0 larger than all of
// them.
func (s smallPrimes) sieve(composite []bool, p0 *big.Int, stepRes []uint64) {
	clear(composite)
	p0Res := s.residues(p0)
	i := 0
	for _, g := range s {
		for _, r := range g.primes {
			// p0 + k·step ≡ 0 mod r ⇔ k ≡ −p0·step⁻¹ mod r.
			k := (r - p0Res[i]) % r * invMod(stepRes[i], r) % r
			for ; k < uint64(len(composite)); k += r {
				composite[k] = true
			}
			i++
		}
	}
	clear(p0Res)
}

// invMod returns a⁻¹ mod m for a prime to m, m < 2^32.
func invMod(a, m uint64) uint64 {
	// Extended Euclid on (a, m), tracking the coefficient of a.
	r0, r1 := int64(m), int64(a%m)
	t0, t1 := int64(0), int64(1)
	for r1 != 0 {
		q := r0 / r1
		r0, r1 = r1, r0-q*r1
		t0, t1 = t1, t0-q*t1
	}
	if t0 < 0 {
		t0 += int64(m)
	}
	return uint64(t0)
}

// randomPrime returns a prime of exactly bits bits whose top two bits are set.
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
			wipeInt(p) // the last candidate
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
		if p.ProbablyPrime(20) {
			return p, nil
		}
	}
}

// subgroupGenerator returns hs = h^n mod n² for a random h ∈ Z*_n of order
// α_p·α_q: h mod p is x_p^((p−1)/α_p) ≠ 1 for a random x_p, of order α_p
// since α_p is prime, and likewise mod q. Then hs^α_p ≡ 1 mod p², because
// h^α_p = 1 + k·p mod p² and (1 + k·p)^n ≡ 1 mod p² as p | n.
func subgroupGenerator(random io.Reader, p, q, alphaP, alphaQ *big.Int) (*big.Int, error) {
	hp, err := elementOfOrder(random, p, alphaP)
	if err != nil {
		return nil, err
	}
	hq, err := elementOfOrder(random, q, alphaQ)
	if err != nil {
		wipeInt(hp)
		return nil, err
	}
	qInvP := new(big.Int).ModInverse(q, p)
	// h = hq + q·((hp − hq)·q⁻¹ mod p)
	h := new(big.Int).Sub(hp, hq)
	h.Mul(h, qInvP)
	h.Mod(h, p)
	h.Mul(h, q)
	h.Add(h, hq)
	n := new(big.Int).Mul(p, q)
	hs := new(big.Int).Exp(h, n, new(big.Int).Mul(n, n))
	wipeInts(hp, hq, qInvP, h)
	return hs, nil
}

// elementOfOrder returns x^((p−1)/α) mod p for a random x ∈ [2, p−1), drawn
// again until the result is not 1: an element of order α, a prime dividing
// p−1.
func elementOfOrder(random io.Reader, p, alpha *big.Int) (*big.Int, error) {
	e := new(big.Int).Sub(p, one)
	e.Quo(e, alpha)
	defer wipeInt(e)
	bound := new(big.Int).Sub(p, big.NewInt(3))
	defer wipeInt(bound)
	for {
		x, err := rand.Int(random, bound)
		if err != nil {
			return nil, fmt.Errorf("drawing subgroup generator: %w", err)
		}
		x.Add(x, big.NewInt(2))
		y := new(big.Int).Exp(x, e, p)
		wipeInt(x)
		if y.Cmp(one) != 0 {
			return y, nil
		}
	}
}

// wipeInts calls wipeInt on each of xs.
func wipeInts(xs ...*big.Int) {
	for _, x := range xs {
		wipeInt(x)
	}
}
