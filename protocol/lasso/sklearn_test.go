package lasso

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"testing"

	"github.com/triad-mpc/triad/protocol/lasso/lassotest"
)

type sklearnCase struct {
	Scaled bool         `json:"scaled"`
	X      [][]float64  `json:"X"`
	Y      []float64    `json:"y"`
	Fits   []sklearnFit `json:"fits"`
}

type sklearnFit struct {
	Alpha     float64   `json:"alpha"`
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
	R2        float64   `json:"r2"`
}

// sklearn runs a script of testdata with Debian's Python, which has scikit-learn
// (python3-sklearn), feeding it stdin, and decodes its JSON output into out. Without
// scikit-learn the test is skipped, unless CI is set.
func sklearn(t *testing.T, script string, stdin any, out any) {
	t.Helper()
	const python = "/usr/bin/python3"
	cmd := exec.Command(python, "testdata/"+script)
	if stdin != nil {
		in, err := json.Marshal(stdin)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = bytes.NewReader(in)
	}
	b, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		msg := err.Error()
		if errors.As(err, &ee) {
			msg = string(ee.Stderr)
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("scikit-learn reference unavailable (install python3-sklearn): %s", msg)
		}
		t.Skipf("scikit-learn reference unavailable (install python3-sklearn): %s", msg)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("parse output of %s: %v", script, err)
	}
}

// sklearnDiabetes returns scikit-learn's diabetes data and fits (testdata/diabetes.py).
func sklearnDiabetes(t *testing.T) []sklearnCase {
	t.Helper()
	var cases []sklearnCase
	sklearn(t, "diabetes.py", nil, &cases)
	return cases
}

func TestDiabetesAgainstSklearn(t *testing.T) {
	cases := sklearnDiabetes(t)
	for _, c := range cases {
		for _, fit := range c.Fits {
			name := fmt.Sprintf("diabetes scaled=%v alpha=%g", c.Scaled, fit.Alpha)
			// The plaintext reference agrees with scikit-learn to high precision.
			b0, coef, r2 := lassotest.Reference(c.X, c.Y, fit.Alpha)
			for i := range coef {
				if d := math.Abs(coef[i] - fit.Coef[i]); d > 1e-7*math.Max(1, math.Abs(fit.Coef[i])) {
					t.Errorf("%s: reference coefficient %d = %.10g, scikit-learn %.10g", name, i, coef[i], fit.Coef[i])
				}
			}
			if math.Abs(b0-fit.Intercept) > 1e-7*math.Max(1, math.Abs(fit.Intercept)) || math.Abs(r2-fit.R2) > 1e-10 {
				t.Errorf("%s: reference intercept %.10g and R² %.10g, scikit-learn %.10g and %.10g", name, b0, r2, fit.Intercept, fit.R2)
			}
			res := fit3(t, share(t, c.X, c.Y, testFrac), Options{Alpha: fit.Alpha})
			checkFit(t, name, res[0], fit.Intercept, fit.Coef, fit.R2)
		}
	}
}

// TestIllConditionedAgainstSklearn fits tables whose standardised Gram matrices have
// condition numbers from 1e3 to 1e6, in units that differ by up to 1e5, with
// continuous and binary outcomes, at penalties small enough that most coefficients
// are non-zero and larger ones, with the default options.
func TestIllConditionedAgainstSklearn(t *testing.T) {
	type tc struct {
		seed   uint64
		n, d   int
		cond   float64
		binary bool
		fracs  []float64 // α as fractions of AlphaMax
	}
	cases := []tc{
		{1, 500, 30, 1e5, false, []float64{1e-4, 1e-2}},
		{2, 500, 30, 1e6, true, []float64{1e-3}},
		{3, 400, 20, 1e3, false, []float64{1e-4}},
		{4, 600, 15, 1e4, true, []float64{1e-4, 0.05}},
		{5, 300, 10, 1e6, false, []float64{1e-3}},
		{6, 200, 1, 1, true, []float64{0.1}},
	}
	type input struct {
		X      [][]float64 `json:"X"`
		Y      []float64   `json:"y"`
		Alphas []float64   `json:"alphas"`
	}
	var in []input
	var tables []lassotest.Table
	for _, c := range cases {
		tb := lassotest.Conditioned(c.seed, c.n, c.d, c.cond, c.binary)
		amax := lassotest.AlphaMax(tb.X, tb.Y)
		var alphas []float64
		for _, f := range c.fracs {
			alphas = append(alphas, f*amax)
		}
		in = append(in, input{tb.X, tb.Y, alphas})
		tables = append(tables, tb)
	}
	var out []struct {
		Fits []sklearnFit `json:"fits"`
	}
	sklearn(t, "sklearn_lasso.py", in, &out)
	for k, c := range cases {
		tb := tables[k]
		for _, fit := range out[k].Fits {
			nz := 0
			for _, v := range fit.Coef {
				if v != 0 {
					nz++
				}
			}
			name := fmt.Sprintf("seed %d, %d×%d, condition %.2g, binary=%v, α=%.3g (%d of %d non-zero)",
				c.seed, c.n, c.d, tb.Condition, c.binary, fit.Alpha, nz, c.d)
			res := fit3(t, share(t, tb.X, tb.Y, testFrac), Options{Alpha: fit.Alpha})
			checkFit(t, name, res[0], fit.Intercept, fit.Coef, fit.R2)
			if !res[0].Converged {
				t.Errorf("%s: not converged after %d iterations (gap %.3g)", name, res[0].Iterations, res[0].Gap)
			}
			if c.n == 500 && c.d == 30 && c.cond == 1e5 && res[0].Iterations >= 1000 {
				t.Errorf("%s: %d iterations, want fewer than 1,000", name, res[0].Iterations)
			}
		}
	}
}
