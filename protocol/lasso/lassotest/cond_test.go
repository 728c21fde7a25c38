package lassotest

import (
	"math"
	"testing"
)

// TestConditionedCondition measures the condition number of the generated tables'
// correlation matrices from their rows.
func TestConditionedCondition(t *testing.T) {
	for _, cond := range []float64{1e2, 1e4, 1e6} {
		tb := Conditioned(1, 500, 30, cond, false)
		// Correlation matrix of the table, and its condition number.
		n, d := len(tb.X), len(tb.X[0])
		mean := make([]float64, d)
		for _, r := range tb.X {
			for j, v := range r {
				mean[j] += v / float64(n)
			}
		}
		S := make([][]float64, d)
		for i := range S {
			S[i] = make([]float64, d)
			for j := range S[i] {
				for _, r := range tb.X {
					S[i][j] += (r[i] - mean[i]) * (r[j] - mean[j])
				}
			}
		}
		for i := range S {
			for j := range S {
				if i != j {
					S[i][j] /= math.Sqrt(S[i][i] * S[j][j])
				}
			}
		}
		for i := range S {
			S[i][i] = 1
		}
		got := conditionNumber(S)
		if math.Abs(got/cond-1) > 0.05 || math.Abs(tb.Condition/cond-1) > 0.05 {
			t.Errorf("condition %g: reported %g, measured %g", cond, tb.Condition, got)
		}
	}
}
