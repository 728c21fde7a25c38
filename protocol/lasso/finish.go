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

// Finish opens the model: the coefficients, the intercept, R² and a duality gap
// bound (that of the residual's dual point scaled by max(2 - m, 0), with m as in
// gapCheck), each rounded inside the MPC to a multiple of 2^-OutputBits by an exact floor,
// so that what is opened is a function of the model alone. It may be called after any
// Step; the model is the iterate whose convergence test passed, or else the last one.
// About forty rounds, plus preprocessing.
func (s *Solver) Finish(ctx context.Context) (Result, error) {
	if !s.prepared {
		return Result{}, errors.New("lasso: Finish before Prepare")
	}
	if s.finished {
		return Result{}, errors.New("lasso: Finish called twice")
	}
	s.finished = true
	defer s.wipe()
	res, err := s.finish(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("lasso: finish: %w", err)
	}
	return res, nil
}

func (s *Solver) finish(ctx context.Context) (Result, error) {
	d, f, ob := s.d, s.f, s.opts.OutputBits
	e := s.eng
	u, abs, iters, converged, err := s.model(ctx)
	if err != nil {
		return Result{}, err
	}
	// Round: R·u exactly at scale 2^(2f) for R², and truncated for the gradient.
	b := e.NewBatch()
	ruExact := b.Reduce(mpc.LocalMatVec(s.R, u))
	ruP := b.Trunc(mpc.LocalMatVec(s.R, u), f, s.gBits()+f)
	if err := b.Run(ctx); err != nil {
		return Result{}, err
	}
	ru := ruP.Value()
	g := mpc.Sub(s.rho, ru)
	defer clear(g)

	// Round: h = κ·g, unclipped, and the gap's scalars (see gapCheck).
	hBits := 2*f + coefBits + bitLen(d) + 3
	b = e.NewBatch()
	hp := b.MulTrunc(g, s.kappa, f, hBits+f+1)
	sc := b.Trunc(mpc.LocalDots([]fr.Vector{u, s.rho, s.lam}, []fr.Vector{ru, u, abs}), f, s.qBits()+f)
	if err := b.Run(ctx); err != nil {
		return Result{}, err
	}
	h := hp.Value()
	x := make(fr.Vector, 2*d)
	for i := range d {
		x[i].Sub(&h[i], &s.unit)
		x[d+i].Neg(&h[i])
		x[d+i].Sub(&x[d+i], &s.unit)
	}
	cmp := &mpc.Comparison{X: x, Bits: hBits + 1, WithMin: true}
	if err := e.Compare(ctx, cmp); err != nil {
		return Result{}, err
	}
	m := fr.Vector{s.unit} // m = 1 + Σ max(|h_i| - 1, 0)
	for i := range 2 * d {
		var t fr.Element
		t.Sub(&x[i], &cmp.Min[i])
		m[0].Add(&m[0], &t)
	}
	// The dual point is the residual scaled by any s ≤ 1/m: s = max(2 - m, 0), the
	// tangent of 1/m at m = 1, which needs no division and loses only O((m - 1)²).
	mBits := hBits + bitLen(d) + 1
	t := mpc.Sub(fr.Vector{mpc.Pow2(f + 1)}, m)
	cmp = &mpc.Comparison{X: t, Bits: mBits + 1, WithMin: true}
	if err := e.Compare(ctx, cmp); err != nil {
		return Result{}, err
	}
	r := mpc.Sub(t, cmp.Min)
	r2, err := e.MulTrunc(ctx, r, r, f, 2*f+3)
	if err != nil {
		return Result{}, err
	}
	// 2·gap = 2A + 2B·r² - 2C·r at scale 2^(2f), with the scalars of gapCheck.
	v := sc.Value() // u'Ru, ρ'u, Σλ|u|
	var q, A, C fr.Element
	q.Double(&v[1])
	q.Sub(&s.unit, &q)
	q.Add(&q, &v[0])
	A.Double(&v[2])
	A.Add(&A, &q)
	C.Sub(&s.unit, &v[1])
	C.Double(&C)
	gap := mpc.LocalDots([]fr.Vector{{q}, {C}}, []fr.Vector{{r2[0]}, {r[0]}})
	gap[0].Sub(&gap[0], &gap[1])
	A.Mul(&A, &s.unit)
	gap[0].Add(&gap[0], &A)
	gapBits := s.qBits() + f + 3
	gapW, err := e.Floor(ctx, mpc.AddConst(gap[:1], pow2(2*f-ob)), 2*f+1-ob, gapBits)
	if err != nil {
		return Result{}, err
	}

	// R² = 2ρ'u - u'Ru at scale 2^(3f), exactly.
	r2Exact := mpc.LocalDots([]fr.Vector{s.rho, u}, []fr.Vector{u, ruExact.Value()})
	var rr fr.Element
	rr.Mul(&r2Exact[0], &s.unit)
	rr.Double(&rr)
	rr.Sub(&rr, &r2Exact[1])
	r2W, err := e.Floor(ctx, mpc.AddConst(fr.Vector{rr}, pow2(3*f-ob-1)), 3*f-ob, s.qBits()+2*f+2)
	if err != nil {
		return Result{}, err
	}

	// β_i = u_i·σ_y/σ_i at scale 2^(3f), rounded to 2^-ob exactly, so that a
	// coefficient that lasso sets to zero opens as zero.
	prod := mpc.AddConst(mpc.LocalMul(u, s.ratio), pow2(3*f-ob-1))
	w, err := e.Floor(ctx, prod, 3*f-ob, 3*f+coefBits+ratioBits+3)
	if err != nil {
		return Result{}, err
	}

	// Round: open β, R² and the gap.
	b = e.NewBatch()
	wp, r2p, gp := b.Open(w), b.Open(r2W), b.Open(gapW)
	if err := b.Run(ctx); err != nil {
		return Result{}, err
	}
	res := Result{
		Iterations:   iters,
		Converged:    converged,
		Checks:       s.bits,
		Coefficients: make([]float64, d),
	}
	if err := s.opts.reveal(RevealIterations, iters); err != nil {
		return Result{}, err
	}
	wv := mpc.Signed(wp.Value())
	for i, v := range wv {
		res.Coefficients[i] = toFloat(v, ob)
		c := Coefficient{Index: i, Value: res.Coefficients[i]}
		if len(s.data.Features) > 0 {
			c.Feature = s.data.Features[i]
		}
		if err := s.opts.reveal(RevealCoefficient, c); err != nil {
			return Result{}, err
		}
	}
	res.R2 = toFloat(mpc.Signed(r2p.Value())[0], ob)
	if err := s.opts.reveal(RevealR2, res.R2); err != nil {
		return Result{}, err
	}
	res.Gap = toFloat(mpc.Signed(gp.Value())[0], ob)
	if err := s.opts.reveal(RevealGap, res.Gap); err != nil {
		return Result{}, err
	}

	// The intercept (Σy - Σ_i β_i·Σx_i)/n, rounded: with β public this is linear in
	// the shares of the sums. num = 2^ob·Σy - Σ_i w_i·Σx_i at scale 2^(ob+Frac)·n;
	// floor by 2^Frac exactly, then divide by n as a product with round(2^K/n) and an
	// exact rounding floor by 2^K.
	num := mpc.ScaleBig(fr.Vector{s.sy}, pow2(ob))
	bound := pow2(ob)
	for i, wi := range wv {
		t := mpc.ScaleBig(fr.Vector{s.sx[i]}, wi)
		num[0].Sub(&num[0], &t[0])
		bound.Add(bound, new(big.Int).Abs(wi))
	}
	numBits := bitLen(s.n) + s.opts.InputBits + bound.BitLen() + 1
	t1 := num
	if frac := s.data.Frac; frac > 0 {
		if t1, err = e.Floor(ctx, num, frac, numBits); err != nil {
			return Result{}, err
		}
	}
	K := 40 + bitLen(s.n)
	c := new(big.Int).Div(new(big.Int).Add(pow2(K), big.NewInt(int64(s.n/2))), big.NewInt(int64(s.n)))
	t2 := mpc.AddConst(mpc.ScaleBig(t1, c), pow2(K-1))
	bw, err := e.Floor(ctx, t2, K, numBits-s.data.Frac+K+2)
	if err != nil {
		return Result{}, err
	}
	bo, err := e.Open(ctx, bw)
	if err != nil {
		return Result{}, err
	}
	res.Intercept = toFloat(mpc.Signed(bo)[0], ob)
	if err := s.opts.reveal(RevealIntercept, res.Intercept); err != nil {
		return Result{}, err
	}
	res.Rounds = e.Rounds() - s.rounds0
	res.BytesSent = e.BytesSent() - s.sent0
	res.StatsSeconds = s.statsSeconds
	res.SolveSeconds = time.Since(s.start).Seconds() - s.statsSeconds
	return res, nil
}

// toFloat returns x·2^-s.
func toFloat(x *big.Int, s int) float64 {
	v, _ := new(big.Float).SetMantExp(new(big.Float).SetInt(x), -s).Float64()
	return v
}

// wipe clears the solver's shares: they are of no use once the result is open.
func (s *Solver) wipe() {
	wipeRows(s.R)
	for _, c := range s.copies {
		c.wipe()
	}
	for _, v := range []fr.Vector{s.rho, s.lam, s.ratio, s.kappa, s.pending, s.sx} {
		clear(v)
	}
	s.best.wipe()
	s.test.wipe()
	s.sy, s.eta = fr.Element{}, fr.Element{}
}

// model returns shares of the model and of its absolute values: the first copy whose
// test passed, chosen without opening which (three rounds), or else the last iterate
// of the middle copy.
func (s *Solver) model(ctx context.Context) (u, abs fr.Vector, iters int, converged bool, err error) {
	d := s.d
	mid := s.copies[len(s.copies)/2]
	converged = len(s.bits) > 0 && s.bits[len(s.bits)-1]
	if !converged || s.best == nil {
		return mid.z, mid.absZ, s.iter, false, nil
	}
	t := s.best
	sel, err := s.selection(ctx, t)
	if err != nil {
		return nil, nil, 0, false, err
	}
	sum := make(fr.Vector, 2*d)
	for p, g := range t.gaps {
		r := repeat(d, sel[p])
		us, as := mpc.LocalMul(r, g.u), mpc.LocalMul(r, g.abs)
		for i := range d {
			sum[i].Add(&sum[i], &us[i])
			sum[d+i].Add(&sum[d+i], &as[i])
		}
	}
	chosen, err := s.eng.Reduce(ctx, sum)
	if err != nil {
		return nil, nil, 0, false, err
	}
	return chosen[:d], chosen[d:], t.iter, true, nil
}
