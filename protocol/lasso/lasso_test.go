package lasso

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/crypto/fixedpoint"
	"github.com/triad-mpc/triad/crypto/shamir"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/mpc"
)

const testFrac = 24

// share encodes the rows X and outcomes y at scale 2^frac and deals them as Shamir
// shares, one Data per party.
func share(t testing.TB, X [][]float64, y []float64, frac int) [3]Data {
	t.Helper()
	p := fixedpoint.Params{Frac: frac, Bits: 64}
	n, d := len(X), len(X[0])
	col := func(get func(k int) float64) [3]fr.Vector {
		v := make(fr.Vector, n)
		for k := range n {
			e, err := p.Encode(get(k))
			if err != nil {
				t.Fatal(err)
			}
			v[k] = shamir.FromInt64(e)
		}
		s, err := shamir.Share(rand.Reader, v)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	var out [3]Data
	for i := range out {
		out[i] = Data{X: make([]fr.Vector, d), Frac: frac}
	}
	for j := range d {
		s := col(func(k int) float64 { return X[k][j] })
		for i := range out {
			out[i].X[j] = s[i]
		}
	}
	s := col(func(k int) float64 { return y[k] })
	for i := range out {
		out[i].Y = s[i]
	}
	return out
}

// fit3 runs the three parties' fits over an in-memory network.
func fit3(t testing.TB, data [3]Data, opts Options) [3]Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	net := protocol.NewMemNetwork()
	defer net.Close()
	res, err := mpc.RunLocal(ctx, net, rand.Reader, func(ctx context.Context, e *mpc.Engine, r protocol.Role) (Result, error) {
		return Fit(ctx, e, data[r], opts)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 3; i++ {
		if res[i].Iterations != res[0].Iterations || res[i].R2 != res[0].R2 || res[i].Intercept != res[0].Intercept {
			t.Fatalf("parties disagree: %+v and %+v", res[0], res[i])
		}
	}
	return res
}

// checkFit compares a secure fit with the reference values.
func checkFit(t *testing.T, name string, got Result, b0 float64, coef []float64, r2 float64) {
	t.Helper()
	scale := 1.0
	for _, c := range coef {
		scale = math.Max(scale, math.Abs(c))
	}
	var worst float64
	for i := range coef {
		worst = math.Max(worst, math.Abs(got.Coefficients[i]-coef[i]))
	}
	t.Logf("%s: %d iterations, %d rounds; max |β - β_ref| = %.2e (limit %.1e), |R² - R²_ref| = %.1e, intercept %.6g vs %.6g",
		name, got.Iterations, got.Rounds, worst, 1e-4*scale, math.Abs(got.R2-r2), got.Intercept, b0)
	if worst > 1e-4*scale {
		t.Errorf("%s: coefficients off by %.3g (limit %.3g):\n got %v\nwant %v", name, worst, 1e-4*scale, got.Coefficients, coef)
	}
	if math.Abs(got.R2-r2) > 1e-5 {
		t.Errorf("%s: R² = %.8f, want %.8f", name, got.R2, r2)
	}
	if math.Abs(got.Intercept-b0) > 1e-4*math.Max(scale, math.Abs(b0)) {
		t.Errorf("%s: intercept = %.8g, want %.8g", name, got.Intercept, b0)
	}
}

// synthetic returns correlated features in mixed units (binary flags, small and
// large scales, negative offsets) and a skewed count outcome that depends on a third
// of them: lasso sets many coefficients to zero. Test data only.
func synthetic(seed uint64, n, d int) ([][]float64, []float64) {
	rng := mrand.New(mrand.NewPCG(seed, 99))
	mix := make([][]float64, d)
	for i := range mix {
		mix[i] = make([]float64, d)
		for j := range mix[i] {
			mix[i][j] = 0.3 * rng.NormFloat64()
		}
		mix[i][i] += 1
	}
	scale, offset := make([]float64, d), make([]float64, d)
	for j := range d {
		scale[j] = math.Exp(math.Log(0.05) + rng.Float64()*(math.Log(50)-math.Log(0.05)))
		offset[j] = -20 + 100*rng.Float64()
	}
	X := make([][]float64, n)
	for k := range X {
		z := make([]float64, d)
		for j := range z {
			z[j] = rng.NormFloat64()
		}
		X[k] = make([]float64, d)
		for j := range d {
			var v float64
			for i := range d {
				v += z[i] * mix[i][j]
			}
			X[k][j] = v*scale[j] + offset[j]
			if j < 2 { // binary flags
				X[k][j] = 0
				if v > 0 {
					X[k][j] = 1
				}
			}
		}
	}
	beta := make([]float64, d)
	for j := range max(2, d/3) {
		beta[j] = rng.NormFloat64() / scale[j]
	}
	y := make([]float64, n)
	for k := range y {
		var lin float64
		for j := range d {
			lin += X[k][j] * beta[j]
		}
		y[k] = math.Round(math.Exp(1+0.3*math.Tanh(lin/10))*(1+rng.Float64())) - 3 // may be negative
	}
	return X, y
}

func TestSyntheticAgainstReference(t *testing.T) {
	for _, c := range []struct {
		seed      uint64
		n, d      int
		alphaFrac float64 // α as a fraction of the smallest α that zeroes every coefficient
	}{
		{1, 400, 6, 0.05},
		{2, 600, 12, 0.2},
		{3, 300, 5, 0.001},
	} {
		X, y := synthetic(c.seed, c.n, c.d)
		alpha := c.alphaFrac * alphaMax(X, y)
		b0, coef, r2 := Reference(X, y, alpha)
		if c.alphaFrac >= 0.05 && !hasZero(coef) {
			t.Fatalf("seed %d: the reference sets no coefficient to zero; the case tests less than it should", c.seed)
		}
		res := fit3(t, share(t, X, y, testFrac), Options{Alpha: alpha})
		checkFit(t, fmt.Sprintf("synthetic seed %d, n=%d, d=%d, α=%.3g", c.seed, c.n, c.d, alpha), res[0], b0, coef, r2)
		for i := range coef {
			if coef[i] == 0 && math.Abs(res[0].Coefficients[i]) > 1e-6 {
				t.Errorf("coefficient %d is %g where lasso sets it to zero", i, res[0].Coefficients[i])
			}
		}
	}
}

func hasZero(v []float64) bool {
	for _, x := range v {
		if x == 0 {
			return true
		}
	}
	return false
}

// TestExtremeScales fits features whose units differ by eight orders of magnitude,
// an outcome in the tens of thousands, and no penalty at all (least squares).
func TestExtremeScales(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(11, 12))
	n := 300
	scales := []float64{1e-3, 1, 2e5, 30}
	X := make([][]float64, n)
	y := make([]float64, n)
	for k := range X {
		X[k] = make([]float64, len(scales))
		common := rng.NormFloat64()
		for j, sc := range scales {
			X[k][j] = sc * (rng.NormFloat64() + 0.5*common - 2)
		}
		y[k] = 2e4 + 3e6*X[k][0] - 0.01*X[k][2] + 500*X[k][3] + 2e3*rng.NormFloat64()
	}
	for _, alpha := range []float64{0, 50} {
		b0, coef, r2 := Reference(X, y, alpha)
		res := fit3(t, share(t, X, y, testFrac), Options{Alpha: alpha})
		checkFit(t, fmt.Sprintf("extreme scales, α=%g", alpha), res[0], b0, coef, r2)
	}
}

// TestConstantFeature checks that a column with no variance gets coefficient 0.
func TestConstantFeature(t *testing.T) {
	X, y := synthetic(4, 200, 4)
	for k := range X {
		X[k] = append(X[k], 7.25)
	}
	alpha := 0.02 * alphaMax(X, y)
	b0, coef, r2 := Reference(X, y, alpha)
	res := fit3(t, share(t, X, y, testFrac), Options{Alpha: alpha})
	checkFit(t, "constant feature", res[0], b0, coef, r2)
	if c := res[0].Coefficients[4]; c != 0 {
		t.Errorf("constant feature has coefficient %g", c)
	}
}

// alphaMax returns max_j |Σ (x_j - x̄_j)(y - ȳ)|/n: from this α on, every
// coefficient is zero.
func alphaMax(X [][]float64, y []float64) float64 {
	n, d := len(X), len(X[0])
	var ym float64
	xm := make([]float64, d)
	for k := range X {
		ym += y[k] / float64(n)
		for j := range d {
			xm[j] += X[k][j] / float64(n)
		}
	}
	var m float64
	for j := range d {
		var c float64
		for k := range X {
			c += (X[k][j] - xm[j]) * (y[k] - ym)
		}
		m = math.Max(m, math.Abs(c/float64(n)))
	}
	return m
}
