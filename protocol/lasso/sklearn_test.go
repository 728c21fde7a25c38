package lasso

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"testing"
)

type sklearnCase struct {
	Scaled bool        `json:"scaled"`
	X      [][]float64 `json:"X"`
	Y      []float64   `json:"y"`
	Fits   []struct {
		Alpha     float64   `json:"alpha"`
		Coef      []float64 `json:"coef"`
		Intercept float64   `json:"intercept"`
		R2        float64   `json:"r2"`
	} `json:"fits"`
}

// sklearnDiabetes runs testdata/diabetes.py with Debian's Python, which has
// scikit-learn (python3-sklearn). Without it the test is skipped, unless CI is set.
func sklearnDiabetes(t *testing.T) []sklearnCase {
	t.Helper()
	const python = "/usr/bin/python3"
	out, err := exec.Command(python, "testdata/diabetes.py").Output()
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
	var cases []sklearnCase
	if err := json.Unmarshal(out, &cases); err != nil {
		t.Fatalf("parse output of diabetes.py: %v", err)
	}
	return cases
}

func TestDiabetesAgainstSklearn(t *testing.T) {
	cases := sklearnDiabetes(t)
	for _, c := range cases {
		for _, fit := range c.Fits {
			name := fmt.Sprintf("diabetes scaled=%v alpha=%g", c.Scaled, fit.Alpha)
			// The plaintext reference agrees with scikit-learn to high precision.
			b0, coef, r2 := Reference(c.X, c.Y, fit.Alpha)
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
