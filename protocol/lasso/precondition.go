package lasso

import (
	"context"
	"math"

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
	Xs, err := s.newtonSchulz(ctx, [][]fr.Vector{s.R}, fr.Vector{s.eta}, inverseIters)
	if err != nil {
		return err
	}
	X := Xs[0]
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

	// The copies' σ_p = σ·c_p and 1/σ_p, and starting points X_p = η·2^-s_p·I for
	// M_p ≈ (R + σ_p·I)^-1, with 2^s_p ≥ (1 + c_p/√2)/1.5 so that the eigenvalues of
	// X_p·(R + σ_p·I) stay below 1.5.
	scales := s.sigmaScales
	if scales == nil {
		scales = sigmaScales
	}
	P := len(scales)
	b := e.NewBatch()
	invP := make([]*mpc.Pending, P)
	x0P := make([]*mpc.Pending, P)
	for p, c := range scales {
		invP[p] = b.Trunc(mpc.LocalMul(invSigma, fr.Vector{fromFloat(1/float64(c), f)}), f, pBits+f+2)
		sh := 0
		for float64(int(1)<<sh)*1.5 < 1+float64(c)/math.Sqrt2 {
			sh++
		}
		if sh == 0 {
			x0P[p] = nil
			continue
		}
		x0P[p] = b.Trunc(fr.Vector{s.eta}, sh, f+2)
	}
	if err := b.Run(ctx); err != nil {
		return err
	}
	As := make([][]fr.Vector, P)
	x0 := make(fr.Vector, P)
	sigmas := make(fr.Vector, P)
	for p, c := range scales {
		sigmas[p] = mpc.Scale(sigma, c)[0]
		x0[p] = s.eta
		if x0P[p] != nil {
			x0[p] = x0P[p].Value()[0]
		}
		As[p] = make([]fr.Vector, d)
		for i := range d {
			As[p][i] = append(fr.Vector(nil), s.R[i]...)
			As[p][i][i].Add(&unit, &sigmas[p])
		}
	}
	Ms, err := s.newtonSchulz(ctx, As, x0, shiftedIters)
	for _, A := range As {
		wipeRows(A)
	}
	if err != nil {
		return err
	}
	defer func() {
		for _, M := range Ms {
			wipeRows(M)
		}
	}()

	// Round: B = σM, M·R and a = Mρ exactly at scale 2^(2f), per copy.
	b = e.NewBatch()
	type pend struct{ sm, mr, ma *mpc.Pending }
	ps := make([]pend, P)
	for p, M := range Ms {
		flatM := make(fr.Vector, 0, d*d)
		var rowsM, colsR []fr.Vector
		for i := range d {
			flatM = append(flatM, M[i]...)
			for j := range d {
				rowsM, colsR = append(rowsM, M[i]), append(colsR, s.R[j]) // R is symmetric: its rows are its columns
			}
		}
		ps[p] = pend{
			sm: b.Mul(flatM, repeat(d*d, sigmas[p])),
			mr: b.Reduce(mpc.LocalDots(rowsM, colsR)),
			ma: b.Reduce(mpc.LocalMatVec(M, s.rho)),
		}
	}
	if err := b.Run(ctx); err != nil {
		return err
	}
	one2 := mpc.Pow2(2 * f)
	s.copies = make([]*admmCopy, P)
	for p := range P {
		c := &admmCopy{Q: make([]fr.Vector, d), B: make([]fr.Vector, d),
			x: make(fr.Vector, d), z: make(fr.Vector, d), w: make(fr.Vector, d), absZ: make(fr.Vector, d)}
		smv, mrv := ps[p].sm.Value(), ps[p].mr.Value()
		for i := range d {
			c.B[i] = smv[i*d : (i+1)*d : (i+1)*d]
			c.Q[i] = make(fr.Vector, d)
			for j := range d {
				q := &c.Q[i][j]
				q.Neg(&mrv[i*d+j])
				q.Sub(q, &smv[i*d+j])
			}
			c.Q[i][i].Add(&c.Q[i][i], &one2)
		}
		clear(mrv)
		c.a = ps[p].ma.Value()
		c.invSigma = invP[p].Value()[0]
		s.copies[p] = c
	}
	return nil
}

// newtonSchulz returns about A_p^-1 at scale 2^f for each symmetric positive
// definite A_p at scale 2^f: iters iterations of X ← X·(2I - A·X) from X = x0_p·I,
// where the eigenvalues of x0_p·A_p must lie in (0, 2); two rounds per iteration for
// all of them together. The products are computed in full: forcing A·X to be
// symmetric, as it is in exact arithmetic, makes the iteration unstable in fixed
// point.
func (s *Solver) newtonSchulz(ctx context.Context, As [][]fr.Vector, x0 fr.Vector, iters int) ([][]fr.Vector, error) {
	d, f := s.d, s.f
	Xs := make([][]fr.Vector, len(As))
	for p := range Xs {
		Xs[p] = make([]fr.Vector, d)
		for i := range d {
			Xs[p][i] = make(fr.Vector, d)
			Xs[p][i][i] = x0[p]
		}
	}
	two := mpc.Pow2(f + 1)
	for range iters {
		Ts, err := s.matMul(ctx, As, Xs, 2*f+8)
		if err != nil {
			return nil, err
		}
		for _, T := range Ts { // T ← 2I - A·X
			for i := range d {
				for j := range d {
					T[i][j].Neg(&T[i][j])
				}
				T[i][i].Add(&T[i][i], &two)
			}
		}
		next, err := s.matMul(ctx, Xs, Ts, 2*f+inverseBits+3)
		for p := range Xs {
			wipeRows(Ts[p])
			wipeRows(Xs[p])
		}
		if err != nil {
			return nil, err
		}
		Xs = next
	}
	return Xs, nil
}

// matMul returns A_p·X_p truncated to scale 2^f for each p, for matrices at scale
// 2^f whose products are below 2^(bits-1) at scale 2^(2f): one round.
func (s *Solver) matMul(ctx context.Context, As, Xs [][]fr.Vector, bits int) ([][]fr.Vector, error) {
	d := s.d
	b := s.eng.NewBatch()
	ps := make([]*mpc.Pending, len(As))
	for p, A := range As {
		cols := transpose(Xs[p])
		rows := make([]fr.Vector, 0, d*d)
		all := make([]fr.Vector, 0, d*d)
		for i := range d {
			for j := range d {
				rows, all = append(rows, A[i]), append(all, cols[j])
			}
		}
		ps[p] = b.Trunc(mpc.LocalDots(rows, all), s.f, bits+bitLen(d))
		wipeRows(cols)
	}
	if err := b.Run(ctx); err != nil {
		return nil, err
	}
	out := make([][]fr.Vector, len(As))
	for p := range out {
		t := ps[p].Value()
		out[p] = make([]fr.Vector, d)
		for i := range d {
			out[p][i] = t[i*d : (i+1)*d : (i+1)*d]
		}
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
