package lasso

import (
	"context"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// Newton-Schulz iterations X ← X·(2I - A·X) from X = η·I, for A = R and for
// A = R + σI. With η = 1/||R||_F the eigenvalues of ηA lie in (0, 2), where the
// iteration converges: an eigenvalue μ of ηA needs about log2(1/μ) iterations to
// reach 1/2, then a few more to square the error away.
const (
	// inverseIters bounds ||R||_F/λmin(R) by 2^24, more than a standardised Gram
	// matrix with condition number 1e6 in a hundred features has. A larger ratio
	// only underestimates ||R^-1||, which makes σ larger and ADMM slower, not wrong.
	inverseIters = 26
	// shiftedIters covers (λmin+σ)/||R||_F ≥ 2^-14 with an error of 2^-16 left: the
	// ADMM update corrects that error in every iteration (see precondition).
	shiftedIters = 19
)

// precondition sets up ADMM on the standardised problem
//
//	minimise ½·u'Ru - ρ'u + Σ λ_i·|u_i|,
//
// with the splitting u = z and penalty parameter σ = sqrt(||R||_F / (2·||R^-1||_F)),
// within a factor of d^(1/4) of sqrt(λmin·λmax), which is where ADMM converges
// fastest on ill-conditioned problems. M ≈ (R + σI)^-1 comes from Newton-Schulz
// iterations; the x-update is one step of iterative refinement,
//
//	x ← x + M·(ρ + σ·(z - w) - (R + σI)·x) = Q·x + B·(z - w) + a,
//
// with Q = I - M·(R + σI), B = σM and a = Mρ computed exactly from the shares of M,
// so that its fixed point solves (R + σI)·x = ρ + σ·(z - w) up to the rounding of x,
// whatever the error of M: M only decides the speed. About 120 rounds, d²·d local
// work, no dependence on n.
func (s *Solver) precondition(ctx context.Context) error {
	d, f, e := s.d, s.f, s.eng
	unit := mpc.Pow2(f)

	// ||R^-1||_F from the iterates of Newton-Schulz on R.
	X, err := s.newtonSchulz(ctx, s.R, inverseIters)
	if err != nil {
		return err
	}
	sq := mpc.LocalDots(X, X)
	var y fr.Element
	for i := range sq {
		y.Add(&y, &sq[i])
	}
	wipeRows(X)
	yBits := 2*f + 2*inverseBits + 2*bitLen(d) + 2
	yt, err := e.Trunc(ctx, fr.Vector{y}, f, yBits)
	if err != nil {
		return err
	}
	iy, err := e.InvSqrt(ctx, yt, f, yBits-f)
	if err != nil {
		return err
	}
	nx, err := e.MulTrunc(ctx, yt, iy, f, yBits-f+f+3) // ||R^-1||_F
	if err != nil {
		return err
	}
	// p = 2η·||R^-1||_F in [2/d², 2^31]; σ = 1/sqrt(p), 1/σ = p·σ.
	eta2 := mpc.Scale(fr.Vector{s.eta}, 2)
	p, err := e.MulTrunc(ctx, nx, eta2, f, 2*f+inverseBits+bitLen(d)+4)
	if err != nil {
		return err
	}
	pBits := f + inverseBits + bitLen(d) + 3
	sigma, err := e.InvSqrt(ctx, p, f, pBits)
	if err != nil {
		return err
	}
	invSigma, err := e.MulTrunc(ctx, p, sigma, f, pBits+f+2)
	if err != nil {
		return err
	}

	// M ≈ (R + σI)^-1.
	A := make([]fr.Vector, d)
	for i := range d {
		A[i] = append(fr.Vector(nil), s.R[i]...)
		A[i][i].Add(&unit, &sigma[0])
	}
	M, err := s.newtonSchulz(ctx, A, shiftedIters)
	wipeRows(A)
	if err != nil {
		return err
	}
	defer wipeRows(M)

	// Round: B = σM, M·R and a = Mρ exactly at scale 2^(2f); τ = λ/σ.
	b := e.NewBatch()
	flatM := make(fr.Vector, 0, d*d)
	var rowsM, colsR []fr.Vector
	for i := range d {
		flatM = append(flatM, M[i]...)
		for j := range d {
			rowsM, colsR = append(rowsM, M[i]), append(colsR, s.R[j]) // R is symmetric: its rows are its columns
		}
	}
	sm := b.Mul(flatM, repeat(d*d, sigma[0]))
	mr := b.Reduce(mpc.LocalDots(rowsM, colsR))
	ma := b.Reduce(mpc.LocalMatVec(M, s.rho))
	tau := b.MulTrunc(s.lam, repeat(d, invSigma[0]), f, f+penaltyBits+3+pBits-f+f+1)
	if err := b.Run(ctx); err != nil {
		return err
	}
	s.B, s.Q = make([]fr.Vector, d), make([]fr.Vector, d)
	one2 := mpc.Pow2(2 * f)
	smv, mrv := sm.Value(), mr.Value()
	for i := range d {
		s.B[i] = smv[i*d : (i+1)*d : (i+1)*d]
		s.Q[i] = make(fr.Vector, d)
		for j := range d {
			q := &s.Q[i][j]
			q.Neg(&mrv[i*d+j])
			q.Sub(q, &smv[i*d+j])
		}
		s.Q[i][i].Add(&s.Q[i][i], &one2)
	}
	clear(mrv)
	s.a = ma.Value()
	s.tau = tau.Value()

	// κ = 1/(λ + 2^-f), bounded by 2^f, for the dual scaling of the gap.
	lam1 := mpc.AddConst(s.lam, big.NewInt(1))
	s.kappa, err = e.Reciprocal(ctx, lam1, f, f+penaltyBits+4)
	clear(lam1)
	return err
}

// newtonSchulz returns about A^-1 at scale 2^f, for a symmetric positive definite A
// at scale 2^f with eigenvalues of A/||R||_F in (0, 2): iters iterations of
// X ← X·(2I - A·X) from X = η·I, two rounds each. The products are computed in full:
// forcing A·X to be symmetric, as it is in exact arithmetic, makes the iteration
// unstable in fixed point.
func (s *Solver) newtonSchulz(ctx context.Context, A []fr.Vector, iters int) ([]fr.Vector, error) {
	d, f := s.d, s.f
	X := make([]fr.Vector, d)
	for i := range X {
		X[i] = make(fr.Vector, d)
		X[i][i] = s.eta
	}
	two := mpc.Pow2(f + 1)
	for range iters {
		T, err := s.matMul(ctx, A, X, 2*f+8)
		if err != nil {
			return nil, err
		}
		for i := range d { // T ← 2I - A·X
			for j := range d {
				T[i][j].Neg(&T[i][j])
			}
			T[i][i].Add(&T[i][i], &two)
		}
		next, err := s.matMul(ctx, X, T, 2*f+inverseBits+3)
		wipeRows(T)
		wipeRows(X)
		if err != nil {
			return nil, err
		}
		X = next
	}
	return X, nil
}

// matMul returns A·X truncated to scale 2^f, for matrices at scale 2^f whose product
// is below 2^(bits-1) at scale 2^(2f): one round.
func (s *Solver) matMul(ctx context.Context, A, X []fr.Vector, bits int) ([]fr.Vector, error) {
	d := s.d
	cols := transpose(X)
	defer wipeRows(cols)
	rows := make([]fr.Vector, 0, d*d)
	all := make([]fr.Vector, 0, d*d)
	for i := range d {
		for j := range d {
			rows, all = append(rows, A[i]), append(all, cols[j])
		}
	}
	t, err := s.eng.Trunc(ctx, mpc.LocalDots(rows, all), s.f, bits+bitLen(d))
	if err != nil {
		return nil, err
	}
	out := make([]fr.Vector, d)
	for i := range out {
		out[i] = t[i*d : (i+1)*d : (i+1)*d]
	}
	return out, nil
}

func transpose(m []fr.Vector) []fr.Vector {
	out := make([]fr.Vector, len(m))
	for j := range out {
		out[j] = make(fr.Vector, len(m))
		for i := range m {
			out[j][i] = m[i][j]
		}
	}
	return out
}

func wipeRows(m []fr.Vector) {
	for _, r := range m {
		clear(r)
	}
}
