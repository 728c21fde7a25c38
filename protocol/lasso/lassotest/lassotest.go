// Package lassotest makes data for the tests and benchmarks of the lasso solver.
package lassotest

import (
	"math"
	mrand "math/rand/v2"
)

// Synthetic returns correlated features in mixed units (binary flags, small and
// large scales, negative offsets) and a skewed count outcome that depends on a third
// of them: lasso sets many coefficients to zero. The generator is
// not cryptographic: the seed only makes runs repeatable.
func Synthetic(seed uint64, n, d int) ([][]float64, []float64) {
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
