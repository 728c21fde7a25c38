// Package lassotest makes data for the tests and benchmarks of the lasso solver, and
// fits it in plaintext (Reference) as the secure fit must.
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
	for j := range min(d, max(2, d/3)) {
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

// Table is a synthetic table with a known conditioning.
type Table struct {
	X         [][]float64
	Y         []float64
	Condition float64 // condition number of the standardised Gram (correlation) matrix
}

// Conditioned returns n rows of d features whose correlation matrix has condition
// number close to cond (within a few per cent), in units that differ by up to 1e5
// and with large offsets, and an outcome that depends on a third of them: a
// continuous one, or with binary set a 0/1 outcome to fit as a linear probability
// model. The sample covariance is exactly U·diag(λ)·U' for a random rotation U and
// geometric eigenvalues λ, whose spread is tuned by bisection on the correlation
// matrix's condition number. The generator is not cryptographic.
func Conditioned(seed uint64, n, d int, cond float64, binary bool) Table {
	rng := mrand.New(mrand.NewPCG(seed, 7))
	Z := make([][]float64, d) // columns, centred and orthogonal, with Z_j'Z_j = n
	for j := range Z {
		Z[j] = make([]float64, n)
		for k := range Z[j] {
			Z[j][k] = rng.NormFloat64()
		}
	}
	orthonormalise(Z, true)
	for _, c := range Z {
		for k := range c {
			c[k] *= math.Sqrt(float64(n))
		}
	}
	U := make([][]float64, d)
	for i := range U {
		U[i] = make([]float64, d)
		for j := range U[i] {
			U[i][j] = rng.NormFloat64()
		}
	}
	orthonormalise(U, false)
	spread := func(p float64) []float64 {
		lam := make([]float64, d)
		for j := range lam {
			lam[j] = 1
			if d > 1 {
				lam[j] = math.Pow(10, -p*float64(j)/float64(d-1))
			}
		}
		return lam
	}
	covariance := func(lam []float64) [][]float64 {
		S := make([][]float64, d)
		for i := range S {
			S[i] = make([]float64, d)
			for j := range S[i] {
				for k := range d {
					S[i][j] += U[k][i] * lam[k] * U[k][j]
				}
			}
		}
		return S
	}
	corrCond := func(p float64) float64 {
		S := covariance(spread(p))
		sd := make([]float64, d)
		for i := range S {
			sd[i] = math.Sqrt(S[i][i])
		}
		for i := range S {
			for j := range S {
				S[i][j] /= sd[i] * sd[j]
			}
		}
		return conditionNumber(S)
	}
	lo, hi := 0.0, 14.0
	for range 60 {
		mid := (lo + hi) / 2
		if corrCond(mid) < cond {
			lo = mid
		} else {
			hi = mid
		}
	}
	lam := spread(lo)
	// X0 = Z'·U'·diag(sqrt λ)·U: covariance U'·diag(λ)·U by rows of U.
	T := make([][]float64, d) // T[k][j] = Σ_m U[m][k]·sqrt(λ_m)·U[m][j]
	for k := range T {
		T[k] = make([]float64, d)
		for j := range T[k] {
			for m := range d {
				T[k][j] += U[m][k] * math.Sqrt(lam[m]) * U[m][j]
			}
		}
	}
	scale, offset := make([]float64, d), make([]float64, d)
	for j := range d {
		scale[j] = math.Exp(math.Log(1e-2) + rng.Float64()*math.Log(1e5))
		offset[j] = (-50 + 100*rng.Float64()) * scale[j]
	}
	X := make([][]float64, n)
	for r := range X {
		X[r] = make([]float64, d)
		for j := range d {
			var v float64
			for k := range d {
				v += Z[k][r] * T[k][j]
			}
			X[r][j] = v*scale[j] + offset[j]
		}
	}
	beta := make([]float64, d)
	for _, j := range rng.Perm(d)[:max(1, d/3)] {
		beta[j] = (0.5 + rng.Float64()) / scale[j]
		if rng.IntN(2) == 0 {
			beta[j] = -beta[j]
		}
	}
	lin := make([]float64, n)
	var mean, sq float64
	for r := range X {
		for j := range d {
			lin[r] += (X[r][j] - offset[j]) * beta[j]
		}
		mean += lin[r] / float64(n)
	}
	for r := range lin {
		sq += (lin[r] - mean) * (lin[r] - mean) / float64(n)
	}
	sd := math.Sqrt(sq) + 1e-300
	y := make([]float64, n)
	for r := range y {
		t := (lin[r] - mean) / sd
		if binary {
			if t+rng.NormFloat64() > 0 {
				y[r] = 1
			}
		} else {
			y[r] = 10 + 3*t + rng.NormFloat64()
		}
	}
	return Table{X: X, Y: y, Condition: corrCond(lo)}
}

// orthonormalise makes the vectors orthonormal in place (modified Gram-Schmidt),
// after removing their means if centre is set.
func orthonormalise(vs [][]float64, centre bool) {
	for i, v := range vs {
		if centre {
			var m float64
			for _, x := range v {
				m += x
			}
			m /= float64(len(v))
			for k := range v {
				v[k] -= m
			}
		}
		for _, u := range vs[:i] {
			var dot float64
			for k := range v {
				dot += u[k] * v[k]
			}
			for k := range v {
				v[k] -= dot * u[k]
			}
		}
		var norm float64
		for _, x := range v {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for k := range v {
			v[k] /= norm
		}
	}
}

// conditionNumber returns λmax/λmin of a symmetric positive definite matrix, by
// cyclic Jacobi rotations (it overwrites S).
func conditionNumber(S [][]float64) float64 {
	d := len(S)
	for range 100 {
		var off float64
		for i := range d {
			for j := i + 1; j < d; j++ {
				off += S[i][j] * S[i][j]
			}
		}
		if off < 1e-30 {
			break
		}
		for p := range d {
			for q := p + 1; q < d; q++ {
				if math.Abs(S[p][q]) < 1e-300 {
					continue
				}
				theta := (S[q][q] - S[p][p]) / (2 * S[p][q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range d { // columns p, q
					kp, kq := S[k][p], S[k][q]
					S[k][p], S[k][q] = c*kp-s*kq, s*kp+c*kq
				}
				for k := range d { // rows p, q
					pk, qk := S[p][k], S[q][k]
					S[p][k], S[q][k] = c*pk-s*qk, s*pk+c*qk
				}
			}
		}
	}
	lo, hi := math.Inf(1), 0.0
	for i := range d {
		lo, hi = math.Min(lo, S[i][i]), math.Max(hi, S[i][i])
	}
	return hi / lo
}
