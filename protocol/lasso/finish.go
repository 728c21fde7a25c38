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
// them with the intercept and R² (three rounds). It may be called after any Step;
// the result is that of the iterations run so far.
func (s *Solver) Finish(ctx context.Context) (Result, error) {
	if !s.prepared {
		return Result{}, errors.New("lasso: Finish before Prepare")
	}
	if s.finished {
		return Result{}, errors.New("lasso: Finish called twice")
	}
	d, f := s.d, s.f
	e := s.eng

	// Round: u_i times the mantissa of σ_y/σ_i; R·u for R².
	b := e.NewBatch()
	scaled := b.MulTrunc(s.u, s.ratio, f, 2*f+coefBits+3)
	ru := b.Trunc(mpc.LocalMatVec(s.R, s.u), f, 2*f+coefBits+bitLen(d)+3)
	if err := b.Run(ctx); err != nil {
		return Result{}, fmt.Errorf("lasso: finish: %w", err)
	}
	// Round: times the power of two of σ_y/σ_i; open R² = 2ρ'u - u'Ru.
	r2 := mpc.Sub(mpc.Scale(mpc.LocalDots([]fr.Vector{s.rho}, []fr.Vector{s.u}), 2),
		mpc.LocalDots([]fr.Vector{s.u}, []fr.Vector{ru.Value()}))
	b = e.NewBatch()
	coef := b.MulTrunc(scaled.Value(), s.pexp, f, 2*f+coefBits+ratioBits+4)
	r2p := b.Open(r2)
	if err := b.Run(ctx); err != nil {
		return Result{}, fmt.Errorf("lasso: finish: %w", err)
	}
	// Round: open β and the intercept's numerator Σy·2^f - Σ_i Σx_i·β_i.
	w := coef.Value()
	num := mpc.LocalDots([]fr.Vector{s.sx}, []fr.Vector{w})
	var sy fr.Element
	two := mpc.Pow2(f)
	sy.Mul(&s.sy, &two)
	num[0].Sub(&sy, &num[0])
	b = e.NewBatch()
	wp := b.Open(w)
	np := b.Open(num)
	if err := b.Run(ctx); err != nil {
		return Result{}, fmt.Errorf("lasso: finish: %w", err)
	}
	s.finished = true

	res := Result{
		Iterations:   s.iter,
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
