package shamir

import (
	"crypto/rand"
	"io"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

func randomSecrets(t *testing.T, n int) fr.Vector {
	t.Helper()
	v, err := RandomVector(rand.Reader, n)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestReconstructFromEveryPair(t *testing.T) {
	secrets := randomSecrets(t, 64)
	secrets[0].SetZero()
	secrets[1] = FromInt64(-1)
	secrets[2] = FromInt64(1)
	shares, err := Share(rand.Reader, secrets)
	if err != nil {
		t.Fatal(err)
	}
	for i := range Parties {
		for j := range Parties {
			if i == j {
				continue
			}
			got, err := Reconstruct(i, j, shares[i], shares[j])
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(secrets) {
				t.Errorf("parties %d and %d reconstruct the wrong secrets", i, j)
			}
		}
	}
	got, err := ReconstructDegree2(shares)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(secrets) {
		t.Error("a degree-1 sharing does not reconstruct as degree 2")
	}
}

func TestReconstructRejectsBadParties(t *testing.T) {
	s := make(fr.Vector, 1)
	for _, c := range [][2]int{{0, 0}, {-1, 1}, {0, 3}} {
		if _, err := Reconstruct(c[0], c[1], s, s); err == nil {
			t.Errorf("Reconstruct(%d, %d) accepted", c[0], c[1])
		}
	}
	if _, err := Reconstruct(0, 1, s, make(fr.Vector, 2)); err == nil {
		t.Error("Reconstruct accepted shares of different lengths")
	}
}

func TestLinearity(t *testing.T) {
	x, y := randomSecrets(t, 16), randomSecrets(t, 16)
	sx, _ := Share(rand.Reader, x)
	sy, _ := Share(rand.Reader, y)
	c := FromInt64(-7)
	var sum [3]fr.Vector
	for i := range sum {
		sum[i] = make(fr.Vector, 16)
		t2 := make(fr.Vector, 16)
		t2.ScalarMul(sy[i], &c)
		sum[i].Add(sx[i], t2)
	}
	want := make(fr.Vector, 16)
	t2 := make(fr.Vector, 16)
	t2.ScalarMul(y, &c)
	want.Add(x, t2)
	got, _ := Reconstruct(2, 0, sum[2], sum[0])
	if !got.Equal(want) {
		t.Error("x - 7y does not reconstruct from the same combination of shares")
	}
}

func TestDegree2Reduction(t *testing.T) {
	l := Degree2Lagrange()
	for i, want := range []int64{3, -3, 1} {
		if w := FromInt64(want); !l[i].Equal(&w) {
			t.Errorf("Degree2Lagrange()[%d] = %s, want %d", i, Signed(&l[i]), want)
		}
	}
	x, y := randomSecrets(t, 32), randomSecrets(t, 32)
	sx, _ := Share(rand.Reader, x)
	sy, _ := Share(rand.Reader, y)
	var prod [3]fr.Vector
	for i := range prod {
		prod[i] = make(fr.Vector, 32)
		prod[i].Mul(sx[i], sy[i])
	}
	want := make(fr.Vector, 32)
	want.Mul(x, y)
	got, err := ReconstructDegree2(prod)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Error("local products of shares do not interpolate to the product")
	}
	// Two of the three product shares do not suffice: the degree-1 formula gives
	// something else (with overwhelming probability).
	wrong, _ := Reconstruct(0, 1, prod[0], prod[1])
	if wrong.Equal(want) {
		t.Error("degree-2 shares reconstructed from two parties")
	}
}

// chiSquare returns Pearson's statistic of counts against a uniform distribution.
func chiSquare(counts []int, n int) float64 {
	exp := float64(n) / float64(len(counts))
	var x float64
	for _, c := range counts {
		d := float64(c) - exp
		x += d * d / exp
	}
	return x
}

// lowByteCounts shares secret n times and counts the lowest byte of party i's share.
func lowByteCounts(t *testing.T, party, n int, secret fr.Element, slope func() fr.Vector) []int {
	t.Helper()
	counts := make([]int, 256)
	secrets := make(fr.Vector, n)
	for k := range secrets {
		secrets[k] = secret
	}
	var share fr.Vector
	if slope == nil {
		shares, err := Share(rand.Reader, secrets)
		if err != nil {
			t.Fatal(err)
		}
		share = shares[party]
	} else {
		share = ShareWithSlopes(party, secrets, slope())
	}
	for k := range share {
		b := share[k].Bytes()
		counts[b[fr.Bytes-1]]++
	}
	return counts
}

// With 255 degrees of freedom, P(chi² > 400) is below 1e-8: a correct sharing fails
// this test essentially never, and a biased one fails it always.
const chiLimit = 400

func TestOneShareIsUniform(t *testing.T) {
	const n = 40000
	secrets := []fr.Element{FromInt64(0), FromInt64(1), FromInt64(-123456789)}
	for _, s := range secrets {
		for party := range Parties {
			counts := lowByteCounts(t, party, n, s, nil)
			if x := chiSquare(counts, n); x > chiLimit {
				t.Errorf("party %d's share of %s: chi² = %.1f over 255 degrees of freedom", party, Signed(&s), x)
			}
		}
	}
	// Shares of two different secrets are indistinguishable by the same statistic:
	// a chi-square test of homogeneity between the two histograms.
	a := lowByteCounts(t, 1, n, secrets[0], nil)
	b := lowByteCounts(t, 1, n, secrets[2], nil)
	var x float64
	for k := range a {
		if s := a[k] + b[k]; s > 0 {
			d := float64(a[k] - b[k])
			x += d * d / float64(s)
		}
	}
	if x > chiLimit {
		t.Errorf("shares of 0 and of -123456789 differ: homogeneity chi² = %.1f", x)
	}
	// The statistic does detect a sharing that leaks: with zero slopes the share is
	// the secret itself.
	zero := func() fr.Vector { return make(fr.Vector, n) }
	if x := chiSquare(lowByteCounts(t, 0, n, secrets[1], zero), n); x <= chiLimit {
		t.Errorf("a constant share passed the uniformity test (chi² = %.1f)", x)
	}
}

func TestSignedRoundTrip(t *testing.T) {
	half := new(big.Int).Rsh(fr.Modulus(), 1)
	negHalf := new(big.Int).Neg(half)
	negHalf.Add(negHalf, big.NewInt(1))
	big64 := new(big.Int).Lsh(big.NewInt(1), 200)
	cases := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(-1),
		big.NewInt(1 << 62), big.NewInt(-1 << 62),
		new(big.Int).Set(big64), new(big.Int).Neg(big64),
		half, negHalf, // the two ends of (-p/2, p/2]
	}
	for _, x := range cases {
		e := FromBig(x)
		if got := Signed(&e); got.Cmp(x) != 0 {
			t.Errorf("Signed(FromBig(%s)) = %s", x, got)
		}
	}
	// Values outside the range wrap to the representative.
	p := fr.Modulus()
	over := new(big.Int).Add(half, big.NewInt(1)) // just above p/2: maps to over - p
	e := FromBig(over)
	want := new(big.Int).Sub(over, p)
	if got := Signed(&e); got.Cmp(want) != 0 {
		t.Errorf("Signed(FromBig(p/2+1)) = %s, want %s", got, want)
	}
	e = FromBig(new(big.Int).Add(p, big.NewInt(5)))
	if got := Signed(&e); got.Int64() != 5 {
		t.Errorf("Signed(FromBig(p+5)) = %s", got)
	}
	for _, v := range []int64{0, 1, -1, 1<<63 - 1, -1 << 63} {
		e := FromInt64(v)
		if got := Signed(&e); !got.IsInt64() || got.Int64() != v {
			t.Errorf("Signed(FromInt64(%d)) = %s", v, got)
		}
	}
}

func TestFillRandomErrors(t *testing.T) {
	if _, err := RandomVector(nil, 1); err == nil {
		t.Error("RandomVector accepted a nil reader")
	}
	if _, err := Share(emptyReader{}, make(fr.Vector, 1)); err == nil {
		t.Error("Share succeeded without randomness")
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, io.EOF }
