package lasso

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// Step runs one ADMM iteration of every copy in three rounds: the x-update
// x = Q·x + B·(z - w) + a and its over-relaxed copy x̂ = γx + (1-γ)z are local
// products; x is truncated in the first round, and x̂ is rescaled by the comparisons
// of the soft-thresholding z = min(v + τ, 0) - min(τ - v, 0) of v = x̂ + w, 2d per
// copy, in their three rounds; then w ← v - z.
//
// Every CheckEvery iterations a convergence test of the current iterates starts; its
// stages ride in the rounds of the next checkStages iterations (see test), and its
// bit is opened in the first round of the one after. When the bit is set the Step
// stops after that round and reports done, and the fit's result is the iterate that
// was tested. done is also reported when MaxIter iterations have run.
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
		batch.StopIf(func() bool { return bit.Value()[0].IsOne() })
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
	if bit := s.end(st); bit != nil {
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

// stepState carries one iteration from its Batch to its results.
type stepState struct {
	xp   []*mpc.Pending
	cmps []*mpc.Comparison
	t    *test
}

// begin adds an iteration to b: the truncation of x and the soft-thresholding
// comparisons of every copy, and the convergence test's stage, which it starts if
// due.
func (s *Solver) begin(b *mpc.Batch) *stepState {
	d, f := s.d, s.f
	xb := 3*f + coefBits + bitLen(d) + 4
	sh := 2*f + relaxShift
	st := &stepState{xp: make([]*mpc.Pending, len(s.copies))}
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
		// x̂ = (13·x + 3·(-z))/8 at scale 2^(3f+3), and v ± τ at that scale.
		hat := mpc.Add(mpc.Scale(xl, relaxNum), mpc.ScaleBig(c.z, new(big.Int).Lsh(big.NewInt(1<<relaxShift-relaxNum), uint(2*f))))
		st.xp[p] = b.Trunc(xl, 2*f, xb)
		wp := mpc.ScaleBig(mpc.Add(c.w, c.tau), pow2(sh))
		wm := mpc.ScaleBig(mpc.Sub(c.tau, c.w), pow2(sh))
		x := make(fr.Vector, 2*d)
		for i := range d {
			x[i].Add(&hat[i], &wp[i])   // v + τ
			x[d+i].Sub(&wm[i], &hat[i]) // τ - v
		}
		clear(hat)
		st.cmps = append(st.cmps, &mpc.Comparison{X: x, Bits: sh + f + coefBits + 4, Shift: sh, WithMin: true})
	}
	b.Compare(st.cmps...)
	if s.test == nil && (s.iter-1)%s.opts.CheckEvery == 0 && s.iter > 1 {
		s.test = s.newTest()
	}
	st.t = s.test
	if st.t != nil {
		st.t.add(b)
	}
	return st
}

// end takes the results of the iteration's Batch, updates the iterates and returns
// the shares of the test's bit once its last stage has run.
func (s *Solver) end(st *stepState) fr.Vector {
	d := s.d
	var bit fr.Vector
	if st.t != nil {
		if bit = st.t.take(); bit != nil {
			s.test, s.best = nil, st.t
		}
	}
	for p, c := range s.copies {
		cm := st.cmps[p]
		mins := cm.Min
		z := mpc.Sub(mins[:d], mins[d:])
		abs := mpc.Add(mins[:d], mins[d:])
		for i := range abs {
			abs[i].Neg(&abs[i])
		}
		v := mpc.Sub(cm.Trunc[:d], c.tau) // (v + τ) - τ
		clear(c.x)
		clear(c.w)
		clear(c.z)
		clear(c.absZ)
		c.x, c.w, c.z, c.absZ = st.xp[p].Value(), mpc.Sub(v, z), z, abs
		clear(v)
		clear(cm.X)
		clear(cm.Trunc)
	}
	return bit
}

// checkStages is the number of iterations whose rounds a convergence test uses
// before its bit can be opened.
const checkStages = 5

// test is a convergence test of the iterates of one iteration: a gapCheck per copy,
// four stages, whose bits a fifth stage combines: the test passes when any copy's
// gap is at most Tol. Only that bit is opened.
type test struct {
	iter  int // the iteration that made the iterates
	stage int
	gaps  []*gapCheck
	pass  fr.Vector // per copy: shares of [gap ≤ Tol], after stage 4
	all   *mpc.Comparison
}

func (s *Solver) newTest() *test {
	t := &test{iter: s.iter - 1, stage: 1}
	for _, c := range s.copies {
		t.gaps = append(t.gaps, &gapCheck{s: s, stage: 1, u: append(fr.Vector(nil), c.z...), abs: append(fr.Vector(nil), c.absZ...)})
	}
	return t
}

// add adds the test's current stage to b.
func (t *test) add(b *mpc.Batch) {
	if t.stage < checkStages {
		for _, g := range t.gaps {
			g.add(b)
		}
		return
	}
	// Σ_p pass_p - 1 < 0: no copy passed.
	var sum fr.Element
	for i := range t.pass {
		sum.Add(&sum, &t.pass[i])
	}
	one := fr.One()
	sum.Sub(&sum, &one)
	t.all = &mpc.Comparison{X: fr.Vector{sum}, Bits: bitLen(len(t.pass)) + 2}
	b.Compare(t.all)
}

// take takes the results of the current stage and returns the shares of the bit to
// open once the last stage has run, or nil.
func (t *test) take() fr.Vector {
	t.stage++
	if t.stage <= checkStages {
		for _, g := range t.gaps {
			if bit := g.take(); bit != nil {
				t.pass = append(t.pass, bit[0])
			}
		}
		return nil
	}
	one := fr.One()
	var bit fr.Element
	bit.Sub(&one, &t.all.Neg[0])
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
// (the gap relative to ||y - ȳ||²/n, in standardised units, of the dual point s
// times the residual), is at most Tol for s = 1/m with m = 1 + Σ_i max(|g_i|/λ_i - 1, 0)
// and g = ρ - Ru: the dual point is then feasible, |s·g_i| ≤ λ_i. Where every
// |g_i| ≤ λ_i, m = 1 as in scikit-learn; near the optimum m exceeds scikit-learn's
// max(1, max_i |g_i|/λ_i) by no more than the sum of the small excesses. A g_i
// beyond 2λ_i fails the test. The test never divides: it checks
//
//	(½q + Σλ_i|u_i| - Tol)·m² + ½q - c·m ≤ 0.
//
// Its four stages ride in the Batches of four iterations:
//
//  1. comparisons of ρ - Ru ∓ 2λ, rescaled: g, and g clipped to ±2λ;
//  2. comparisons of ±κ·g - 1 (|κg| ≤ 2), rescaled, giving max(|h_i| - 1, 0), hence
//     m; the scalars q, Σλ|u| and c;
//  3. m²;
//  4. the comparison of the inequality, plus a large multiple of the number of
//     clipped g_i.
type gapCheck struct {
	s     *Solver
	stage int
	u     fr.Vector // the iterate under test, and |u|
	abs   fr.Vector

	cmp     *mpc.Comparison
	g, ru   fr.Vector
	clipped fr.Element // the number of g_i out of ±2λ_i, as shares
	scalars *mpc.Pending
	m       fr.Vector // m at scale 2^f
	m2      *mpc.Pending
	A, B, C fr.Element // twice ½q + Σλ|u|, ½q and c, at scale 2^f
}

// Bounds of the test's values.
func (s *Solver) gBits() int { return s.f + coefBits + bitLen(s.d) + 2 }

// qBits bounds q and the scalars of the test at scale 2^f: |u'Ru| < d²·2^(2·coefBits).
func (s *Solver) qBits() int { return s.f + 2*coefBits + 2*bitLen(s.d) + 3 }

// phiBits bounds the test's inequality at scale 2^(2f): m ≤ d + 1.
func (s *Solver) phiBits() int { return s.qBits() + s.f + 2*bitLen(s.d+1) + 5 }

func (c *gapCheck) add(b *mpc.Batch) {
	s := c.s
	d, f := s.d, s.f
	switch c.stage {
	case 1:
		// ρ - Ru at scale 2^(2f), minus and plus 2λ.
		g2 := mpc.Sub(mpc.ScaleBig(s.rho, pow2(f)), mpc.LocalMatVec(s.R, c.u))
		lam2 := mpc.ScaleBig(s.lam, pow2(f+1))
		x := make(fr.Vector, 2*d)
		for i := range d {
			x[i].Sub(&g2[i], &lam2[i]) // g - 2λ
			x[d+i].Neg(&g2[i])         // -g - 2λ
			x[d+i].Sub(&x[d+i], &lam2[i])
		}
		c.cmp = &mpc.Comparison{X: x, Bits: s.gBits() + f + 2, Shift: f, WithMin: true}
		b.Compare(c.cmp)
	case 2:
		h := mpc.LocalMul(c.g, s.kappa) // scale 2^(2f), |h| ≤ 2
		one2 := mpc.Pow2(2 * f)
		x := make(fr.Vector, 2*d)
		for i := range d {
			x[i].Sub(&h[i], &one2) // h - 1
			x[d+i].Neg(&h[i])      // -h - 1
			x[d+i].Sub(&x[d+i], &one2)
		}
		c.cmp = &mpc.Comparison{X: x, Bits: 2*f + 4, Shift: f, WithMin: true}
		b.Compare(c.cmp)
		// u'Ru, ρ'u and Σλ|u| at scale 2^(2f).
		sc := mpc.LocalDots([]fr.Vector{c.u, s.rho, s.lam}, []fr.Vector{c.ru, c.u, c.abs})
		c.scalars = b.Trunc(sc, f, s.qBits()+f)
	case 3:
		c.m2 = b.MulTrunc(c.m, c.m, f, 2*f+2*bitLen(d+1)+2)
	case 4:
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
		big.Mul(&c.clipped, ptr(mpc.Pow2(s.phiBits())))
		phi[0].Add(&phi[0], &big)
		c.cmp = &mpc.Comparison{X: phi[:1], Bits: s.phiBits() + bitLen(2*d) + 2}
		b.Compare(c.cmp)
	}
}

// take takes the results of the current stage and returns the shares of the test's
// bit after the last one, or nil.
func (c *gapCheck) take() fr.Vector {
	s := c.s
	d := s.d
	cm := c.cmp
	c.stage++
	switch c.stage - 1 {
	case 1:
		// g = (g - 2λ) + 2λ; g' = g - max(g - 2λ, 0) + max(-g - 2λ, 0); clipped
		// counts the values ≥ 0.
		tr, mn, neg := cm.Trunc, cm.Min, cm.Neg
		lam2 := mpc.Scale(s.lam, 2)
		c.g = mpc.Add(tr[:d], lam2)
		c.ru = mpc.Sub(s.rho, c.g)
		one := fr.One()
		for i := range d {
			var hi, lo fr.Element
			hi.Sub(&tr[i], &mn[i])
			lo.Sub(&tr[d+i], &mn[d+i])
			c.g[i].Sub(&c.g[i], &hi)
			c.g[i].Add(&c.g[i], &lo)
			for _, k := range []int{i, d + i} {
				var t fr.Element
				t.Sub(&one, &neg[k])
				c.clipped.Add(&c.clipped, &t)
			}
		}
	case 2:
		tr, mn := cm.Trunc, cm.Min
		c.m = fr.Vector{s.unit}
		for i := range 2 * d {
			var t fr.Element
			t.Sub(&tr[i], &mn[i])
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
		clear(c.ru)
	case 4:
		return append(fr.Vector(nil), cm.Neg...)
	}
	if cm != nil {
		clear(cm.X)
		clear(cm.Trunc)
		c.cmp = nil
	}
	return nil
}

func (c *gapCheck) wipe() {
	for _, v := range []fr.Vector{c.u, c.abs, c.g, c.ru, c.m} {
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
