package lasso

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/lasso/lassotest"
	"github.com/triad-mpc/triad/protocol/memnet"
	"github.com/triad-mpc/triad/protocol/mpc"
)

const testFrac = 24

// share deals X and y among the three parties at scale 2^frac.
func share(t testing.TB, X [][]float64, y []float64, frac int) [3]Data {
	t.Helper()
	data, err := Deal(rand.Reader, X, y, frac)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fit3 runs the three parties' fits over an in-memory network.
func fit3(t testing.TB, data [3]Data, opts Options) [3]Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	net := memnet.New()
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
	t.Logf("%s: %d iterations, %d rounds, gap %.2g, converged %v; max |β - β_ref| = %.2e (limit %.1e), |R² - R²_ref| = %.1e, intercept %.6g vs %.6g",
		name, got.Iterations, got.Rounds, got.Gap, got.Converged, worst, 1e-4*scale, math.Abs(got.R2-r2), got.Intercept, b0)
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
		X, y := lassotest.Synthetic(c.seed, c.n, c.d)
		alpha := c.alphaFrac * lassotest.AlphaMax(X, y)
		b0, coef, r2 := lassotest.Reference(X, y, alpha)
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
		b0, coef, r2 := lassotest.Reference(X, y, alpha)
		// Without a penalty the dual is infeasible and the gap never closes, as in
		// scikit-learn: run a fixed number of iterations.
		opts := Options{Alpha: alpha}
		if alpha == 0 {
			opts.MaxIter = 200
		}
		res := fit3(t, share(t, X, y, testFrac), opts)
		if res[0].Converged != (alpha > 0) {
			t.Errorf("α=%g: converged %v", alpha, res[0].Converged)
		}
		checkFit(t, fmt.Sprintf("extreme scales, α=%g", alpha), res[0], b0, coef, r2)
	}
}

// TestConstantFeature checks that a column with no variance gets coefficient 0.
func TestConstantFeature(t *testing.T) {
	X, y := lassotest.Synthetic(4, 200, 4)
	for k := range X {
		X[k] = append(X[k], 7.25)
	}
	alpha := 0.02 * lassotest.AlphaMax(X, y)
	b0, coef, r2 := lassotest.Reference(X, y, alpha)
	res := fit3(t, share(t, X, y, testFrac), Options{Alpha: alpha})
	checkFit(t, "constant feature", res[0], b0, coef, r2)
	if c := res[0].Coefficients[4]; c != 0 {
		t.Errorf("constant feature has coefficient %g", c)
	}
}
