package lasso

import (
	"testing"

	"github.com/triad-mpc/triad/protocol/lasso/lassotest"
)

// BenchmarkFit30 fits 30 features of 2000 rows: mostly the n-independent solve.
func BenchmarkFit30(b *testing.B) {
	X, y := lassotest.Synthetic(7, 2000, 30)
	alpha := 0.05 * lassotest.AlphaMax(X, y)
	data := share(b, X, y, testFrac)
	for range b.N {
		res := fit3(b, data, Options{Alpha: alpha})
		b.ReportMetric(float64(res[0].Iterations), "iterations")
		b.ReportMetric(res[0].SolveSeconds, "solve-s")
	}
}
