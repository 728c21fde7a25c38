package lasso

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// Step runs one ADMM iteration of every copy in four rounds: the x-update with its
// over-relaxed copy x̂ = γx + (1-γ)z (one matrix-vector product and its
// truncation), then the soft-thresholding z = min(v + τ, 0) - min(τ - v, 0) of
// v = x̂ + w, whose comparisons share three rounds, and w ← v - z.
//
// Every CheckEvery iterations a convergence test of the current iterates starts; its
// stages ride in the rounds of the next checkStages iterations (see test), and its
// bit is opened in the first round of the one after. When the bit is set the Step
// ends there and reports done, and the fit's result is the iterate that was tested.
// done is also reported when MaxIter iterations have run.
func (s *Solver) Step(ctx context.Context) (done bool, err error) {
	if !s.prepared {
		return false, errors.New("lasso: Step before Prepare")
	}
	if s.done {
		return true, nil
	}
	s.iter++
	batch := s.eng.NewBatch()
	st := s.begin(batch)
	var bit *mpc.Pending
	if s.pending != nil {
		bit = batch.Open(s.pending)
	}
	if err := batch.Run(ctx); err != nil {
		return false, fmt.Errorf("lasso: iteration %d: %w", s.iter, err)
	}
	if bit != nil {
		s.pending = nil
		converged, err := s.opened(bit.Value()[0])
		if err != nil {
			return false, err
		}
		if converged {
			s.iter-- // converged before this iteration: drop it
			s.done = true
			return true, nil
		}
		s.best.wipe()
		s.best = nil
	}
	cmps := s.middle(st)
	if err := s.eng.Compare(ctx, cmps...); err != nil {
		return false, fmt.Errorf("lasso: iteration %d: %w", s.iter, err)
	}
	if bit := s.end(st, cmps); bit != nil {
		s.pending = bit
	}
	if s.iter >= s.opts.MaxIter {
		s.done = true
	}
	return s.done, nil
}

// opened records an opened convergence bit.
func (s *Solver) opened(b fr.Element) (bool, error) {
	converged := b.IsOne()
	if !converged && !b.IsZero() {
		return false, fmt.Errorf("lasso: iteration %d: convergence bit opened as %s", s.iter, b.String())
	}
	s.bits = append(s.bits, converged)
	return converged, s.opts.reveal(RevealConverged, converged)
}

// stepState carries one iteration between its rounds.
type stepState struct {
	xp, hp []*mpc.Pending
	vs     []fr.Vector
	t      *test
	nc     int
}

// begin adds the iteration's first round to b: x = Q·x + B·(z - w) + a and x̂ for
// every copy, and the products of the convergence test, which it starts if due.
func (s *Solver) begin(b *mpc.Batch) *stepState {
	d, f := s.d, s.f
	xb := 3*f + coefBits + bitLen(d) + 4
	st := &stepState{xp: make([]*mpc.Pending, len(s.copies)), hp: make([]*mpc.Pending, len(s.copies))}
	for p, c := range s.copies {
		zw := mpc.Sub(c.z, c.w)
		xl := mpc.LocalMatVec(c.Q, c.x)
		xl.Add(xl, mpc.LocalMatVec(c.B, zw))
		clear(zw)
		for i := range xl {
			var t fr.Element
			t.Mul(&c.a[i], &s.unit)
			xl[i].Add(&xl[i], &t)
		}
		// x̂ = (13·x + 3·(-z))/8 at scale 2^(3f+3).
		hat := mpc.Add(mpc.Scale(xl, relaxNum), mpc.ScaleBig(c.z, new(big.Int).Lsh(big.NewInt(1<<relaxShift-relaxNum), uint(2*f))))
		st.xp[p] = b.Trunc(xl, 2*f, xb)
		st.hp[p] = b.Trunc(hat, 2*f+relaxShift, xb+relaxShift)
	}
	if s.test == nil && (s.iter-1)%s.opts.CheckEvery == 0 && s.iter > 1 {
		s.test = s.newTest()
	}
	st.t = s.test
	if st.t != nil {
		st.t.products(b)
	}
	return st
}

// middle returns the iteration's comparisons: the soft-thresholding of every copy,
// and the test's.
func (s *Solver) middle(st *stepState) []*mpc.Comparison {
	d, f := s.d, s.f
	var cmps []*mpc.Comparison
	st.vs = make([]fr.Vector, len(s.copies))
	for p, c := range s.copies {
		st.vs[p] = mpc.Add(st.hp[p].Value(), c.w)
		v := st.vs[p]
		x := make(fr.Vector, 2*d)
		for i := range d {
			x[i].Add(&v[i], &c.tau[i])   // v + τ
			x[d+i].Sub(&c.tau[i], &v[i]) // τ - v
		}
		cmps = append(cmps, &mpc.Comparison{X: x, Bits: f + coefBits + 3, WithMin: true})
	}
	st.nc = len(cmps)
	if st.t != nil {
		cmps = append(cmps, st.t.comparisons()...)
	}
	return cmps
}

// end takes the comparisons, updates the iterates and returns the shares of the
// test's bit once its last stage has run.
func (s *Solver) end(st *stepState, cmps []*mpc.Comparison) fr.Vector {
	d := s.d
	var bit fr.Vector
	if st.t != nil {
		if bit = st.t.results(cmps[st.nc:]); bit != nil {
			s.test, s.best = nil, st.t
		}
	}
	for p, c := range s.copies {
		mins := cmps[p].Min
		z := mpc.Sub(mins[:d], mins[d:])
		abs := mpc.Add(mins[:d], mins[d:])
		for i := range abs {
			abs[i].Neg(&abs[i])
		}
		clear(c.x)
		clear(c.w)
		clear(c.z)
		clear(c.absZ)
		c.x, c.w, c.z, c.absZ = st.xp[p].Value(), mpc.Sub(st.vs[p], z), z, abs
		clear(st.vs[p])
		clear(st.hp[p].Value())
		clear(cmps[p].X)
	}
	return bit
}

// checkStages is the number of iterations whose rounds a convergence test uses
// before its bit can be opened.
const checkStages = 4

// test is a convergence test of the iterates of one iteration: a gapCheck per copy,
// three stages, whose bits a fourth stage combines: the test passes when any copy's
// gap is at most Tol. Only that bit is opened.
type test struct {
	iter  int // the iteration that made the iterates
	stage int
	gaps  []*gapCheck
	pass  fr.Vector // per copy: shares of [gap ≤ Tol], after stage 3
}

func (s *Solver) newTest() *test {
	t := &test{iter: s.iter - 1, stage: 1}
	for _, c := range s.copies {
		t.gaps = append(t.gaps, &gapCheck{s: s, stage: 1, u: append(fr.Vector(nil), c.z...), abs: append(fr.Vector(nil), c.absZ...)})
	}
	return t
}

func (t *test) products(b *mpc.Batch) {
	if t.stage < 4 {
		for _, g := range t.gaps {
			g.products(b)
		}
	}
}

func (t *test) comparisons() []*mpc.Comparison {
	if t.stage < 4 {
		var out []*mpc.Comparison
		for _, g := range t.gaps {
			out = append(out, g.comparisons()...)
		}
		return out
	}
	// Σ_p pass_p - 1 < 0: no copy passed.
	var sum fr.Element
	for i := range t.pass {
		sum.Add(&sum, &t.pass[i])
	}
	one := fr.One()
	sum.Sub(&sum, &one)
	return []*mpc.Comparison{{X: fr.Vector{sum}, Bits: bitLen(len(t.pass)) + 2}}
}

// results takes the test's comparisons and returns the shares of the bit to open
// once the last stage has run, or nil.
func (t *test) results(cs []*mpc.Comparison) fr.Vector {
	t.stage++
	if t.stage <= 4 {
		for p, g := range t.gaps { // one comparison group each
			if bit := g.results(cs[p : p+1]); bit != nil {
				t.pass = append(t.pass, bit[0])
			}
		}
		return nil
	}
	one := fr.One()
	var bit fr.Element
	bit.Sub(&one, &cs[0].Neg[0])
	return fr.Vector{bit}
}

// selection returns shares of the one-hot choice of the first copy that passed.
func (s *Solver) selection(ctx context.Context, t *test) (fr.Vector, error) {
	P := len(t.pass)
	one := fr.One()
	sel := make(fr.Vector, P)
	sel[0] = t.pass[0]
	var none fr.Element // Π_(q<p) (1 - pass_q)
	none.Sub(&one, &t.pass[0])
	for p := 1; p < P; p++ {
		var miss fr.Element
		miss.Sub(&one, &t.pass[p])
		prod, err := s.eng.Mul(ctx, fr.Vector{none, none}, fr.Vector{t.pass[p], miss})
		if err != nil {
			return nil, err
		}
		sel[p], none = prod[0], prod[1]
	}
	return sel, nil
}

func (t *test) wipe() {
	if t == nil {
		return
	}
	for _, g := range t.gaps {
		g.wipe()
	}
	clear(t.pass)
}

// gapCheck is a convergence test of one iterate u: whether scikit-learn's duality gap
//
//	G(s) = ½q·(1 + s²) + Σλ_i·|u_i| - s·c,   q = 1 - 2ρ'u + u'Ru,   c = 1 - ρ'u,
//
// (the gap ||y - Xβ||²/n-relative, in standardised units, of the dual point s times
// the residual), is at most Tol for s = 1/m with m = 1 + Σ_i max(|g_i|/λ_i - 1, 0)
// and g = ρ - Ru: the dual point is then feasible, |s·g_i| ≤ λ_i. Where every
// |g_i| ≤ λ_i, m = 1 as in scikit-learn; near the optimum m exceeds scikit-learn's
// max(1, max_i |g_i|/λ_i) by no more than the sum of the small excesses. A g_i
// beyond 2λ_i fails the test. The test never divides: it checks
//
//	(½q + Σλ_i|u_i| - Tol)·m² + ½q - c·m ≤ 0.
//
// Its stages run in the rounds of three iterations:
//
//  1. round 1: Ru; comparisons: g_i ∓ 2λ_i, clipping g to ±2λ;
//  2. round 1: h = κ·g (|h| ≤ 2) and the scalars q, Σλ|u|, c; comparisons: ±h_i - 1,
//     giving max(|h_i| - 1, 0);
//  3. round 1: m²; comparison: the inequality, plus a large multiple of the number of
//     clipped g_i.
type gapCheck struct {
	s     *Solver
	stage int
	u     fr.Vector // the iterate under test, and |u|
	abs   fr.Vector

	ru         *mpc.Pending
	g          fr.Vector
	clipped    fr.Vector // Σ of [g_i out of ±2λ_i] terms, as shares
	h, scalars *mpc.Pending
	m          fr.Vector // m at scale 2^f
	m2         *mpc.Pending
	A, B, C    fr.Element // twice ½q + Σλ|u|, ½q and c, at scale 2^f
}

// Bounds of the test's values.
func (s *Solver) gBits() int { return s.f + coefBits + bitLen(s.d) + 2 }

// qBits bounds q and the scalars of the test at scale 2^f: |u'Ru| < d²·2^(2·coefBits).
func (s *Solver) qBits() int { return s.f + 2*coefBits + 2*bitLen(s.d) + 3 }

func (c *gapCheck) products(b *mpc.Batch) {
	s := c.s
	d, f := s.d, s.f
	switch c.stage {
	case 1:
		c.ru = b.Trunc(mpc.LocalMatVec(s.R, c.u), f, s.gBits()+f)
	case 2:
		c.h = b.MulTrunc(c.g, s.kappa, f, 3*f+penaltyBits+6)
		// u'Ru, ρ'u and Σλ|u| at scale 2^(2f).
		ru := c.ru.Value()
		sc := mpc.LocalDots([]fr.Vector{c.u, s.rho, s.lam}, []fr.Vector{ru, c.u, c.abs})
		c.scalars = b.Trunc(sc, f, s.qBits()+f)
	case 3:
		c.m2 = b.MulTrunc(c.m, c.m, f, 2*f+2*bitLen(d+1)+2)
	}
}

func (c *gapCheck) comparisons() []*mpc.Comparison {
	s := c.s
	d, f := s.d, s.f
	switch c.stage {
	case 1:
		ru := c.ru.Value()
		c.g = mpc.Sub(s.rho, ru)
		x := make(fr.Vector, 2*d)
		lam2 := mpc.Scale(s.lam, 2)
		for i := range d {
			x[i].Sub(&c.g[i], &lam2[i]) // g - 2λ
			x[d+i].Neg(&c.g[i])         // -g - 2λ
			x[d+i].Sub(&x[d+i], &lam2[i])
		}
		return []*mpc.Comparison{{X: x, Bits: s.gBits() + 1, WithMin: true}}
	case 2:
		h := c.h.Value()
		x := make(fr.Vector, 2*d)
		unit := s.unit
		for i := range d {
			x[i].Sub(&h[i], &unit) // h - 1
			x[d+i].Neg(&h[i])      // -h - 1
			x[d+i].Sub(&x[d+i], &unit)
		}
		return []*mpc.Comparison{{X: x, Bits: f + 4, WithMin: true}}
	case 3:
		// 2·((A - Tol)·m² + B - C·m) at scale 2^(2f), plus 2^phiBits per clipped g_i.
		m2 := c.m2.Value()
		tol := fromFloat(2*s.opts.Tol, f)
		var at fr.Element
		at.Sub(&c.A, &tol)
		phi := mpc.LocalDots([]fr.Vector{{at}, {c.C}}, []fr.Vector{{m2[0]}, {c.m[0]}})
		phi[0].Sub(&phi[0], &phi[1])
		var bt fr.Element
		bt.Mul(&c.B, &s.unit)
		phi[0].Add(&phi[0], &bt)
		var big fr.Element
		big.Mul(&c.clipped[0], ptr(mpc.Pow2(s.phiBits())))
		phi[0].Add(&phi[0], &big)
		return []*mpc.Comparison{{X: phi[:1], Bits: s.phiBits() + bitLen(2*d) + 2}}
	}
	return nil
}

// phiBits bounds the test's inequality at scale 2^(2f): m ≤ d + 1.
func (s *Solver) phiBits() int { return s.qBits() + s.f + 2*bitLen(s.d+1) + 5 }

// results takes the test's comparisons and returns the shares of the bit to open
// once the last stage has run, or nil.
func (c *gapCheck) results(cs []*mpc.Comparison) fr.Vector {
	s := c.s
	d := s.d
	switch c.stage {
	case 1:
		// g' = g - max(g - 2λ, 0) + max(-g - 2λ, 0); clipped counts [x ≥ 0].
		x, mn, neg := cs[0].X, cs[0].Min, cs[0].Neg
		c.clipped = make(fr.Vector, 1)
		one := fr.One()
		for i := range d {
			var hi, lo fr.Element
			hi.Sub(&x[i], &mn[i])
			lo.Sub(&x[d+i], &mn[d+i])
			c.g[i].Sub(&c.g[i], &hi)
			c.g[i].Add(&c.g[i], &lo)
			for _, k := range []int{i, d + i} {
				var t fr.Element
				t.Sub(&one, &neg[k])
				c.clipped[0].Add(&c.clipped[0], &t)
			}
		}
	case 2:
		x, mn := cs[0].X, cs[0].Min
		c.m = fr.Vector{s.unit}
		for i := range 2 * d {
			var t fr.Element
			t.Sub(&x[i], &mn[i])
			c.m[0].Add(&c.m[0], &t)
		}
		// Twice the scalars, which keeps them integers: 2A = q + 2Σλ|u|, 2B = q,
		// 2C = 2 - 2ρ'u, with q = 1 - 2ρ'u + u'Ru.
		sc := c.scalars.Value() // u'Ru, ρ'u, Σλ|u|
		var q fr.Element
		q.Double(&sc[1])
		q.Sub(&s.unit, &q)
		q.Add(&q, &sc[0])
		c.B = q
		c.A.Double(&sc[2])
		c.A.Add(&c.A, &q)
		c.C.Sub(&s.unit, &sc[1])
		c.C.Double(&c.C)
		clear(c.g)
	case 3:
		c.stage++
		return append(fr.Vector(nil), cs[0].Neg...)
	}
	c.stage++
	return nil
}

func (c *gapCheck) wipe() {
	for _, v := range []fr.Vector{c.u, c.abs, c.g, c.m} {
		clear(v)
	}
}

func ptr(e fr.Element) *fr.Element { return &e }

// fromFloat returns round(x·2^s) as a field element.
func fromFloat(x float64, s int) fr.Element {
	var e fr.Element
	e.SetBigInt(fixedInt(x, s))
	return e
}
