package lasso

import (
	"context"
	"crypto/rand"
	"math"
	"testing"
	"time"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/memnet"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// cv3 runs cross-validation and the final fit for the three parties.
func cv3(t *testing.T, data [3]Data, opts Options, cvo CVOptions, reveal func(protocol.Role) func(string, any) error) ([3]CVResult, [3]Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	net := memnet.New()
	defer net.Close()
	type out struct {
		cv  CVResult
		fit Result
	}
	res, err := mpc.RunLocal(ctx, net, rand.Reader, func(ctx context.Context, e *mpc.Engine, r protocol.Role) (out, error) {
		o := opts
		if reveal != nil {
			o.Reveal = reveal(r)
		}
		c, err := NewCV(e, data[r], o, cvo)
		if err != nil {
			return out{}, err
		}
		if err := c.Prepare(ctx); err != nil {
			return out{}, err
		}
		for {
			done, err := c.Step(ctx)
			if err != nil {
				return out{}, err
			}
			if done {
				break
			}
		}
		cr, s, err := c.Finish(ctx)
		if err != nil {
			return out{}, err
		}
		for {
			done, err := s.Step(ctx)
			if err != nil {
				return out{}, err
			}
			if done {
				break
			}
		}
		fit, err := s.Finish(ctx)
		return out{cr, fit}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	var cvs [3]CVResult
	var fits [3]Result
	for i := range res {
		cvs[i], fits[i] = res[i].cv, res[i].fit
	}
	return cvs, fits
}

// TestCVDiabetes chooses α by 5-fold cross-validation on scikit-learn's diabetes
// table and compares the grid, the mean validation errors on the same folds and the
// final model with scikit-learn's.
func TestCVDiabetes(t *testing.T) {
	var sk struct {
		X       [][]float64 `json:"X"`
		Y       []float64   `json:"y"`
		Alphas  []float64   `json:"alphas"`
		MSEMean []float64   `json:"mse_mean"`
		Alpha   float64     `json:"alpha"`
	}
	sklearn(t, "lassocv.py", nil, &sk)
	data := share(t, sk.X, sk.Y, testFrac)
	var opened []string
	cvs, fits := cv3(t, data, Options{}, CVOptions{Folds: 5}, func(r protocol.Role) func(string, any) error {
		return func(what string, _ any) error {
			if r == 0 {
				opened = append(opened, what)
			}
			return nil
		}
	})
	cv := cvs[0]
	if len(cv.Alphas) != len(sk.Alphas) {
		t.Fatalf("%d alphas, scikit-learn %d", len(cv.Alphas), len(sk.Alphas))
	}
	var worstGrid, worstMSE float64
	for a := range cv.Alphas {
		worstGrid = math.Max(worstGrid, math.Abs(cv.Alphas[a]/sk.Alphas[a]-1))
		worstMSE = math.Max(worstMSE, math.Abs(cv.MSEMean[a]/sk.MSEMean[a]-1))
	}
	t.Logf("grid within %.1e, mean MSE within %.2e relative; %d iterations, converged %v; α %.6g (scikit-learn %.6g), 1se %.6g",
		worstGrid, worstMSE, cv.Iterations, cv.Converged, cv.Alpha, sk.Alpha, cv.Alpha1SE)
	if worstGrid > 1e-6 {
		t.Errorf("grid differs from scikit-learn's by %.2e relative", worstGrid)
	}
	if worstMSE > 0.02 {
		t.Errorf("mean validation MSE differs from scikit-learn's by %.2e relative", worstMSE)
	}
	for i := 1; i < 3; i++ {
		if cvs[i].Alpha != cv.Alpha || cvs[i].MSEMean[0] != cv.MSEMean[0] {
			t.Errorf("parties disagree")
		}
	}
	// The final model is scikit-learn's Lasso at the chosen α.
	var out []struct {
		Fits []sklearnFit `json:"fits"`
	}
	type input struct {
		X      [][]float64 `json:"X"`
		Y      []float64   `json:"y"`
		Alphas []float64   `json:"alphas"`
	}
	sklearn(t, "sklearn_lasso.py", []input{{sk.X, sk.Y, []float64{cv.Alpha}}}, &out)
	fit := out[0].Fits[0]
	checkFit(t, "diabetes, cross-validated α", fits[0], fit.Intercept, fit.Coef, fit.R2)
	// Nothing per fold is opened.
	for _, w := range opened {
		switch w {
		case RevealAlphaMax, RevealCVAlphas, RevealCVConverged, RevealCVMSEMean, RevealCVMSEStdErr, RevealCVAlpha,
			RevealConverged, RevealIterations, RevealCoefficient, RevealIntercept, RevealR2, RevealGap:
		default:
			t.Errorf("opened %q", w)
		}
	}
}
