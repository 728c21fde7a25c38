package lassotest

import (
	"fmt"
	"math"
)

// Reference fits scikit-learn's Lasso with an intercept in plaintext, by cyclic
// coordinate descent on the centred Gram matrix, converged to machine precision. It
// minimises (1/(2n))·||y - X·coef - intercept||² + alpha·||coef||₁ over the rows X
// and outcomes y, and returns the intercept, the coefficients and R² (scikit-learn's
// score on the same data). It is the yardstick for the secure solver's tests.
//
// A feature that is constant gets coefficient 0. Reference panics if the rows do not
// all have the same length or do not match y.
func Reference(X [][]float64, y []float64, alpha float64) (intercept float64, coef []float64, r2 float64) {
	n := len(X)
	if n == 0 || len(y) != n {
		panic(fmt.Sprintf("lasso: %d rows and %d outcomes", n, len(y)))
	}
	d := len(X[0])
	xm := make([]float64, d)
	var ym float64
	for k, row := range X {
		if len(row) != d {
			panic(fmt.Sprintf("lasso: row %d has %d values, row 0 has %d", k, len(row), d))
		}
		for j, v := range row {
			xm[j] += v
		}
		ym += y[k]
	}
	for j := range xm {
		xm[j] /= float64(n)
	}
	ym /= float64(n)
	G := make([][]float64, d)
	c := make([]float64, d)
	for i := range G {
		G[i] = make([]float64, d)
	}
	var tss float64
	for k, row := range X {
		yc := y[k] - ym
		tss += yc * yc
		for i := range d {
			xi := row[i] - xm[i]
			c[i] += xi * yc / float64(n)
			for j := i; j < d; j++ {
				G[i][j] += xi * (row[j] - xm[j]) / float64(n)
			}
		}
	}
	for i := range d {
		for j := 0; j < i; j++ {
			G[i][j] = G[j][i]
		}
	}
	coef = make([]float64, d)
	// grad[i] = c[i] - sum_j G[i][j]·coef[j], kept up to date.
	grad := append([]float64(nil), c...)
	for sweep := 0; sweep < 1_000_000; sweep++ {
		var maxStep, maxCoef float64
		for j := range d {
			if G[j][j] <= 0 {
				continue
			}
			z := grad[j] + G[j][j]*coef[j]
			next := softThreshold(z, alpha) / G[j][j]
			if delta := next - coef[j]; delta != 0 {
				for i := range d {
					grad[i] -= G[i][j] * delta
				}
				maxStep = math.Max(maxStep, math.Abs(delta)*math.Sqrt(G[j][j]))
				coef[j] = next
			}
			maxCoef = math.Max(maxCoef, math.Abs(coef[j])*math.Sqrt(G[j][j]))
		}
		if maxStep <= 1e-15*math.Max(maxCoef, 1e-300) {
			break
		}
	}
	intercept = ym
	for j := range coef {
		intercept -= xm[j] * coef[j]
	}
	var rss float64
	for k, row := range X {
		r := y[k] - intercept
		for j, v := range row {
			r -= v * coef[j]
		}
		rss += r * r
	}
	r2 = 1 - rss/tss
	return intercept, coef, r2
}

func softThreshold(z, t float64) float64 {
	switch {
	case z > t:
		return z - t
	case z < -t:
		return z + t
	}
	return 0
}

// AlphaMax returns max_j |Σ_k (x_kj − x̄_j)(y_k − ȳ)|/n, the smallest penalty at which
// every coefficient is zero: a natural unit for choosing alpha, as scikit-learn's
// lasso_path does.
func AlphaMax(X [][]float64, y []float64) float64 {
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
