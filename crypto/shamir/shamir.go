// Package shamir implements degree-1 Shamir secret sharing among three parties over
// the scalar field of BN254 (a 254-bit prime field, from gnark-crypto).
//
// Party i (0, 1 or 2, the order of protocol.Roles()) holds the evaluation at x = i+1 of
// a line f(x) = s + a·x whose constant term s is the secret and whose slope a is drawn
// uniformly at random for every secret. Any two shares determine the line and so the
// secret. One share alone, f(i+1) = s + a·(i+1), is uniformly distributed whatever s
// is, because a is uniform and i+1 is invertible: a single party learns nothing, which
// is the guarantee of Triad's honest-majority model (no two parties collude).
//
// Shares are linear: parties add shares, and multiply them by public constants,
// without talking. The product of two shares is a share of a degree-2 polynomial,
// which needs all three parties to interpolate (Degree2Lagrange); the MPC engine turns
// it back into a degree-1 sharing.
//
// Fixed-point numbers are embedded as signed integers: FromBig and FromInt64 map a
// negative integer v to p+v, and Signed maps back to the representative in
// (-p/2, p/2].
//
// The package draws randomness only from the io.Reader it is given, which must be a
// cryptographically secure source (crypto/rand.Reader or a CSPRNG seeded from it).
package shamir

import (
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Parties is the number of parties that hold shares.
const Parties = 3

// Threshold is the largest number of shares that reveal nothing about a secret.
const Threshold = 1

var (
	modulus     = fr.Modulus()
	halfModulus = new(big.Int).Rsh(fr.Modulus(), 1)
)

// point returns the evaluation point x = i+1 of party i.
func point(i int) fr.Element {
	var x fr.Element
	x.SetUint64(uint64(i + 1))
	return x
}

func checkParty(i int) error {
	if i < 0 || i >= Parties {
		return fmt.Errorf("shamir: party %d out of range 0..%d", i, Parties-1)
	}
	return nil
}

// Share splits each element of secrets into three shares, drawing a fresh random slope
// for every element. shares[i] is what party i receives.
func Share(random io.Reader, secrets fr.Vector) ([3]fr.Vector, error) {
	var shares [3]fr.Vector
	slopes, err := RandomVector(random, len(secrets))
	if err != nil {
		return shares, err
	}
	defer Wipe(slopes)
	for i := range shares {
		shares[i] = ShareWithSlopes(i, secrets, slopes)
	}
	return shares, nil
}

// ShareWithSlopes returns party i's shares of secrets on the lines with the given
// slopes: secrets[k] + slopes[k]·(i+1). The slopes must be uniformly random and
// secret; Share draws them. It is exported for protocols that derive the slopes from
// randomness shared with some of the parties.
func ShareWithSlopes(i int, secrets, slopes fr.Vector) fr.Vector {
	if len(slopes) != len(secrets) {
		panic("shamir: secrets and slopes differ in length")
	}
	x := point(i)
	out := make(fr.Vector, len(secrets))
	out.ScalarMul(slopes, &x)
	out.Add(out, secrets)
	return out
}

// Lagrange returns the constants li, lj such that li·f(i+1) + lj·f(j+1) = f(0) for
// every line f: the weights that reconstruct a secret from the shares of parties i
// and j. It panics if i or j is out of range or i == j.
func Lagrange(i, j int) (li, lj fr.Element) {
	if checkParty(i) != nil || checkParty(j) != nil || i == j {
		panic(fmt.Sprintf("shamir: no Lagrange constants for parties %d and %d", i, j))
	}
	xi, xj := point(i), point(j)
	var d fr.Element
	d.Sub(&xj, &xi) // xj - xi
	d.Inverse(&d)   // 1/(xj - xi)
	li.Mul(&xj, &d) // xj/(xj - xi)
	lj.Neg(&xi)     // -xi
	lj.Mul(&lj, &d) // xi/(xi - xj)
	return li, lj
}

// Degree2Lagrange returns the constants l such that l[0]·g(1) + l[1]·g(2) + l[2]·g(3)
// = g(0) for every polynomial g of degree at most 2. Three parties holding shares of
// degree-1 sharings x and y hold, after multiplying locally, shares of the degree-2
// product polynomial; these weights interpolate it (they are 3, -3 and 1).
func Degree2Lagrange() [3]fr.Element {
	var l [3]fr.Element
	for i := range l {
		xi := point(i)
		num, den := fr.One(), fr.One()
		for j := range l {
			if j == i {
				continue
			}
			xj := point(j)
			var t fr.Element
			num.Mul(&num, t.Neg(&xj))      // (0 - xj)
			den.Mul(&den, t.Sub(&xi, &xj)) // (xi - xj)
		}
		l[i].Div(&num, &den)
	}
	return l
}

// Reconstruct recovers the secrets from the shares si of party i and sj of party j.
func Reconstruct(i, j int, si, sj fr.Vector) (fr.Vector, error) {
	if err := checkParty(i); err != nil {
		return nil, err
	}
	if err := checkParty(j); err != nil {
		return nil, err
	}
	if i == j {
		return nil, fmt.Errorf("shamir: reconstruction needs two different parties, got %d twice", i)
	}
	if len(si) != len(sj) {
		return nil, fmt.Errorf("shamir: party %d holds %d shares and party %d holds %d", i, len(si), j, len(sj))
	}
	li, lj := Lagrange(i, j)
	out := make(fr.Vector, len(si))
	t := make(fr.Vector, len(si))
	out.ScalarMul(si, &li)
	t.ScalarMul(sj, &lj)
	out.Add(out, t)
	return out, nil
}

// ReconstructDegree2 recovers the secrets of a sharing of degree at most 2 from the
// shares of all three parties, in party order.
func ReconstructDegree2(shares [3]fr.Vector) (fr.Vector, error) {
	n := len(shares[0])
	if len(shares[1]) != n || len(shares[2]) != n {
		return nil, fmt.Errorf("shamir: parties hold %d, %d and %d shares", len(shares[0]), len(shares[1]), len(shares[2]))
	}
	// 3·s0 - 3·s1 + s2, by additions.
	out := make(fr.Vector, n)
	out.Sub(shares[0], shares[1])
	t := make(fr.Vector, n)
	t.Add(out, out)
	out.Add(out, t)
	out.Add(out, shares[2])
	return out, nil
}

// FromBig embeds the integer x, negative or not, in the field (x mod p).
func FromBig(x *big.Int) fr.Element {
	var e fr.Element
	e.SetBigInt(x) // reduces modulo p, negative values included
	return e
}

// FromInt64 embeds x in the field (x mod p).
func FromInt64(x int64) fr.Element {
	var e fr.Element
	e.SetInt64(x)
	return e
}

// Signed returns the representative of e in (-p/2, p/2]: the integer that FromBig
// embedded, as long as its magnitude was below p/2.
func Signed(e *fr.Element) *big.Int {
	v := e.BigInt(new(big.Int))
	if v.Cmp(halfModulus) > 0 {
		v.Sub(v, modulus)
	}
	return v
}

// RandomVector returns n field elements drawn uniformly from random, by rejection
// sampling of 254-bit strings (no modular bias).
func RandomVector(random io.Reader, n int) (fr.Vector, error) {
	out := make(fr.Vector, n)
	if err := FillRandom(random, out); err != nil {
		return nil, err
	}
	return out, nil
}

// FillRandom sets every element of v to a uniform field element read from random.
func FillRandom(random io.Reader, v fr.Vector) error {
	if random == nil {
		return errors.New("shamir: no source of randomness")
	}
	// About 76% of 254-bit strings are below p; read a little more than needed at a
	// time and fill what the batch allows.
	var buf []byte
	for filled := 0; filled < len(v); {
		want := len(v) - filled
		batch := want + want/3 + 2
		if cap(buf) < batch*fr.Bytes {
			buf = make([]byte, batch*fr.Bytes)
		}
		buf = buf[:batch*fr.Bytes]
		if _, err := io.ReadFull(random, buf); err != nil {
			return fmt.Errorf("shamir: read randomness: %w", err)
		}
		for k := 0; k < batch && filled < len(v); k++ {
			b := (*[fr.Bytes]byte)(buf[k*fr.Bytes : (k+1)*fr.Bytes])
			b[0] &= 0x3f // 254 bits
			e, err := fr.BigEndian.Element(b)
			if err != nil {
				continue // not below p: reject
			}
			v[filled] = e
			filled++
		}
		clear(buf)
	}
	return nil
}

// Wipe overwrites v with zeros, for shares and secrets that are no longer needed.
func Wipe(v fr.Vector) {
	clear(v)
}
