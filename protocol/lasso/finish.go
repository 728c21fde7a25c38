package lasso

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// Finish turns the standardised coefficients back into the data's units and opens
// them with the intercept and R² (five rounds, plus preprocessing). It may be called
// after any Step; the result is that of the iterations run so far.
func (s *Solver) Finish(ctx context.Context) (Result, error) {
	if !s.prepared {
		return Result{}, errors.New("lasso: Finish before Prepare")
	}
	if s.finished {
		return Result{}, errors.New("lasso: Finish called twice")
	}
	d, f := s.d, s.f
	e := s.eng

	// Round: R·u for R², then open R² = 2ρ'u - u'Ru with the coefficients below.
	ru, err := e.Trunc(ctx, mpc.LocalMatVec(s.R, s.u), f, 2*f+coefBits+bitLen(d)+3)
	if err != nil {
		return Result{}, fmt.Errorf("lasso: finish: %w", err)
	}
	r2 := mpc.Sub(mpc.Scale(mpc.LocalDots([]fr.Vector{s.rho}, []fr.Vector{s.u}), 2),
		mpc.LocalDots([]fr.Vector{s.u}, []fr.Vector{ru}))
	// β_i = u_i·σ_y/σ_i, rounded to the nearest multiple of 2^-f exactly, so that a
	// coefficient that lasso sets to zero opens as zero.
	half := new(big.Int).Lsh(big.NewInt(1), uint(2*f-1))
	prod := mpc.AddConst(mpc.LocalMul(s.u, s.ratio), half)
	w, err := e.Floor(ctx, prod, 2*f, 3*f+coefBits+ratioBits+3)
	if err != nil {
		return Result{}, fmt.Errorf("lasso: finish: %w", err)
	}
	// Round: open β, the intercept's numerator Σy·2^f - Σ_i Σx_i·β_i, and R².
	num := mpc.LocalDots([]fr.Vector{s.sx}, []fr.Vector{w})
	var sy fr.Element
	two := mpc.Pow2(f)
	sy.Mul(&s.sy, &two)
	num[0].Sub(&sy, &num[0])
	b := e.NewBatch()
	wp := b.Open(w)
	np := b.Open(num)
	r2p := b.Open(r2)
	if err := b.Run(ctx); err != nil {
		return Result{}, fmt.Errorf("lasso: finish: %w", err)
	}
	s.finished = true
	s.wipe()

	res := Result{
		Iterations:   s.iter,
		Converged:    s.bits,
		Coefficients: make([]float64, d),
		Rounds:       e.Rounds() - s.rounds0,
		BytesSent:    e.BytesSent() - s.sent0,
		StatsSeconds: s.statsSeconds,
		SolveSeconds: time.Since(s.start).Seconds() - s.statsSeconds,
	}
	for i, v := range mpc.Signed(wp.Value()) {
		res.Coefficients[i] = toFloat(v, f)
	}
	nb := mpc.Signed(np.Value())[0]
	res.Intercept = toFloat(nb, s.data.Frac+f) / float64(s.n)
	res.R2 = toFloat(mpc.Signed(r2p.Value())[0], 2*f)
	return res, nil
}

// toFloat returns x·2^-s.
func toFloat(x *big.Int, s int) float64 {
	v, _ := new(big.Float).SetMantExp(new(big.Float).SetInt(x), -s).Float64()
	return v
}

// wipe clears the solver's shares: they are of no use once the result is open.
func (s *Solver) wipe() {
	for _, rows := range [][]fr.Vector{s.A, s.R} {
		for _, r := range rows {
			clear(r)
		}
	}
	for _, v := range []fr.Vector{s.b, s.rho, s.tau, s.ratio, s.u, s.uPrev, s.vPrev, s.pending, s.sx} {
		clear(v)
	}
	s.sy = fr.Element{}
}
