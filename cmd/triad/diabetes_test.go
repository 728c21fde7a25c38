package main

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/triad-mpc/triad/protocol/session"
)

// TestDiabetesEndToEnd splits scikit-learn's diabetes data column-wise between the two
// controllers with partial overlap (and identifiers in different case), runs all eight
// steps over loopback libp2p, and compares with scikit-learn's Lasso fitted on the overlap.
func TestDiabetesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	out, err := exec.Command("/usr/bin/python3", "testdata/diabetes_split.py", dir).Output()
	if err != nil {
		msg := err.Error()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg = string(ee.Stderr)
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("scikit-learn unavailable (install python3-sklearn): %s", msg)
		}
		t.Skipf("scikit-learn unavailable (install python3-sklearn): %s", msg)
	}
	var cases []struct {
		Name, Hospital, Insurer string
		Alpha, Intercept, R2    float64
		Rows                    int
		Features                []string
		Coef                    []float64
	}
	if err := json.Unmarshal(out, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			p := session.Default()
			p.Model.Alpha = c.Alpha
			res, err := runEmbedded(ctx, embedded{fileA: c.Hospital, fileB: c.Insurer, id: "id",
				outcome: "progression", out: t.TempDir(), settings: p})
			if err != nil {
				t.Fatal(err)
			}
			if res.IntersectionSize != c.Rows {
				t.Fatalf("intersection %d rows, want %d", res.IntersectionSize, c.Rows)
			}
			scale := 1.0
			for _, v := range c.Coef {
				scale = math.Max(scale, math.Abs(v))
			}
			for i, f := range c.Features {
				got := res.Coefficients[f]
				if d := math.Abs(got - c.Coef[i]); d > 1e-4*scale {
					t.Errorf("%s: coefficient %.8g, scikit-learn %.8g (|diff| %.2g > %.2g)", f, got, c.Coef[i], d, 1e-4*scale)
				}
			}
			if d := math.Abs(res.Intercept - c.Intercept); d > 1e-4*math.Max(1, math.Abs(c.Intercept)) {
				t.Errorf("intercept %.8g, scikit-learn %.8g", res.Intercept, c.Intercept)
			}
			if d := math.Abs(res.R2 - c.R2); d > 1e-5 {
				t.Errorf("R² %.8f, scikit-learn %.8f", res.R2, c.R2)
			}
			t.Logf("%d rows, %d iterations, R² %.6f (scikit-learn %.6f)", res.IntersectionSize, res.Iterations, res.R2, c.R2)
		})
	}
}
