package lasso

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"runtime"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// Prepare computes the sufficient statistics, standardises them and sets up the
// iteration: one pass over the rows and one round for the statistics, then about
// sixty rounds that do not depend on n.
func (s *Solver) Prepare(ctx context.Context) error {
	if s.prepared {
		return fmt.Errorf("lasso: Prepare called twice")
	}
	s.start = time.Now()
	s.rounds0, s.sent0 = s.eng.Rounds(), s.eng.BytesSent()
	C, err := s.statistics(ctx)
	if err != nil {
		return fmt.Errorf("lasso: statistics: %w", err)
	}
	s.statsSeconds = time.Since(s.start).Seconds()
	// The columns are not needed any more: let them go once the caller does too.
	s.data.X, s.data.Y = nil, nil
	return s.setUp(ctx, C)
}

// setUp prepares the iteration from the centred cross products.
func (s *Solver) setUp(ctx context.Context, C cross) error {
	if err := s.standardise(ctx, C); err != nil {
		return fmt.Errorf("lasso: standardisation: %w", err)
	}
	if err := s.precondition(ctx); err != nil {
		return fmt.Errorf("lasso: preconditioning: %w", err)
	}
	if err := setPenalties(ctx, s.eng, []*Solver{s}, s.opts.Alpha); err != nil {
		return fmt.Errorf("lasso: penalties: %w", err)
	}
	s.prepared = true
	return nil
}

// setPenalties sets, for every solver, the per-feature penalties λ_i = α/(σ_i·σ_y) in
// standardised units, capped near 2 where they already force u_i = 0, the copies'
// thresholds τ = λ/σ, and κ = 1/λ for the duality gap: four rounds and a reciprocal,
// for all solvers together. Changing α keeps the iterates: the next solve starts
// warm.
func setPenalties(ctx context.Context, e *mpc.Engine, ss []*Solver, alpha float64) error {
	b := e.NewBatch()
	pows := make([]*mpc.Pending, len(ss))
	for k, s := range ss {
		s.opts.Alpha = alpha
		k2, f := s.k, s.f
		h := func(t int) int { return (k2 - 1 - t) / 2 }
		lamScale := alpha * float64(s.n) * float64(s.n)
		lam := func(ti, ty int) *big.Int {
			if lamScale == 0 {
				return new(big.Int)
			}
			e := 2*s.data.Frac - k2 + h(ti) + h(ty)
			v := math.Min(math.Ldexp(lamScale, e), math.Ldexp(1, penaltyBits))
			return fixedInt(v, f)
		}
		pows[k] = b.Reduce(bilinear(s.nm, s.d, lam))
	}
	if err := b.Run(ctx); err != nil {
		return err
	}
	b = e.NewBatch()
	for k, s := range ss {
		pows[k] = b.MulTrunc(pows[k].Value(), s.yinv[:s.d], s.f, penaltyBits+2*s.f+3)
	}
	if err := b.Run(ctx); err != nil {
		return err
	}
	b = e.NewBatch()
	for k, s := range ss {
		pows[k] = b.MulTrunc(pows[k].Value(), repeat(s.d, s.yinv[s.d]), s.f, penaltyBits+2*s.f+4)
	}
	if err := b.Run(ctx); err != nil {
		return err
	}
	b = e.NewBatch()
	taus := make([][]*mpc.Pending, len(ss))
	var lam1 fr.Vector
	for k, s := range ss {
		clear(s.lam)
		s.lam = pows[k].Value()
		for _, c := range s.copies {
			taus[k] = append(taus[k], b.MulTrunc(s.lam, repeat(s.d, c.invSigma), s.f, 2*s.f+inverseBits+bitLen(s.d)+8))
		}
		lam1 = append(lam1, mpc.AddConst(s.lam, big.NewInt(1))...)
	}
	if err := b.Run(ctx); err != nil {
		return err
	}
	for k, s := range ss {
		for p, c := range s.copies {
			clear(c.tau)
			c.tau = taus[k][p].Value()
		}
	}
	// κ = 1/(λ + 2^-f), bounded by 2^f. The solvers share f.
	f := ss[0].f
	kappa, err := e.Reciprocal(ctx, lam1, f, f+penaltyBits+4)
	clear(lam1)
	if err != nil {
		return err
	}
	for _, s := range ss {
		clear(s.kappa)
		s.kappa, kappa = kappa[:s.d:s.d], kappa[s.d:]
	}
	return nil
}

// cross holds the centred cross products of the d features and the outcome (column
// d): C[i][j] = n·Σ_k a_ik·a_jk - Σ_k a_ik·Σ_k a_jk = n²·Cov, for i ≤ j.
type cross [][]fr.Vector

func (c cross) at(i, j int) fr.Element {
	if i > j {
		i, j = j, i
	}
	return c[i][j][0]
}

// statistics returns the exact centred cross products, after local inner products
// and one reduction.
func (s *Solver) statistics(ctx context.Context) (cross, error) {
	cols := append(append([]fr.Vector(nil), s.data.X...), s.data.Y)
	m := len(cols)
	sums := make(fr.Vector, m)
	for i, c := range cols {
		sums[i] = c.Sum()
	}
	s.sx, s.sy = sums[:s.d], sums[s.d]

	// Inner products of all pairs, spread over the cores.
	type pair struct{ i, j int }
	var pairs []pair
	for i := range m {
		for j := i; j < m; j++ {
			pairs = append(pairs, pair{i, j})
		}
	}
	ips := make(fr.Vector, len(pairs))
	work := make(chan int, len(pairs))
	for p := range pairs {
		work <- p
	}
	close(work)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(pairs)) {
		wg.Go(func() {
			for p := range work {
				if ctx.Err() != nil {
					return
				}
				ips[p] = cols[pairs[p].i].InnerProduct(cols[pairs[p].j])
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var n fr.Element
	n.SetUint64(uint64(s.n))
	local := make(fr.Vector, len(pairs))
	for p, pr := range pairs {
		var t fr.Element
		t.Mul(&sums[pr.i], &sums[pr.j])
		local[p].Mul(&ips[p], &n)
		local[p].Sub(&local[p], &t)
	}
	red, err := s.eng.Reduce(ctx, local)
	if err != nil {
		return nil, err
	}
	C := make(cross, m)
	for i := range C {
		C[i] = make([]fr.Vector, m)
	}
	for p, pr := range pairs {
		C[pr.i][pr.j] = fr.Vector{red[p]}
	}
	return C, nil
}

// repeat returns a vector of n copies of v: for a share v, shares of a vector whose
// elements all equal the secret.
func repeat(n int, v fr.Element) fr.Vector {
	out := make(fr.Vector, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func pow2(k int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(k)) }

// fixedInt returns round(x·2^s) for a finite x.
func fixedInt(x float64, s int) *big.Int {
	v := new(big.Float).SetMantExp(big.NewFloat(x), s)
	v.Add(v, big.NewFloat(0.5))
	i, _ := v.Int(nil)
	return i
}

// standardise turns the cross products into the scaled problem of the iteration.
func (s *Solver) standardise(ctx context.Context, C cross) error {
	d, f, k := s.d, s.f, s.k
	e := s.eng
	one := fr.One()

	// The variances (plus one, so that a constant column does not divide by zero) and
	// their bit lengths: with h = floor((k-1-t)/2) for top bit t, v·4^h is in
	// [2^(k-2), 2^k).
	diag := make(fr.Vector, d+1)
	for i := range diag {
		diag[i] = C.at(i, i)
		diag[i].Add(&diag[i], &one)
	}
	nm, err := e.Normalize(ctx, diag, k)
	if err != nil {
		return err
	}
	h := func(t int) int { return (k - 1 - t) / 2 }
	pow2h := nm.Combine(func(t int) *big.Int { return pow2(h(t)) })
	pow4h := nm.Combine(func(t int) *big.Int { return pow2(2 * h(t)) })

	// The power of two of σ_y/σ_i, as a bilinear form of the indicators.
	ratio := func(ti, ty int) *big.Int {
		e := min(h(ti)-h(ty), ratioBits)
		if e+f < 0 { // below 2^-f: zero at this scale
			return new(big.Int)
		}
		return pow2(e + f)
	}

	// Round: mantissas in [1/4, 1) at scale 2^f, products of powers for the
	// off-diagonal terms, and the two bilinear scales.
	b := e.NewBatch()
	mant := b.Trunc(mpc.LocalMul(diag, pow4h), k-f, k+1)
	var left, right fr.Vector
	for i := range d + 1 {
		for j := i + 1; j < d+1; j++ {
			left, right = append(left, pow2h[i]), append(right, pow2h[j])
		}
	}
	powPairs := b.Reduce(mpc.LocalMul(left, right))
	ratioPow := b.Reduce(bilinear(nm, d, ratio))
	if err := b.Run(ctx); err != nil {
		return err
	}
	M := mant.Value()

	// Inverse square roots of the mantissas, in (1, 2].
	y, err := e.InvSqrtNormal(ctx, M, f)
	if err != nil {
		return err
	}

	// Round: normalised cross products C_ij·2^(h_i+h_j)/2^(k-f), which lie in
	// [-1, 1] by Cauchy-Schwarz; products of the inverse roots; the ratios' first
	// factors.
	pp := powPairs.Value()
	var cij, yi, yj fr.Vector
	for i := range d + 1 {
		for j := i + 1; j < d+1; j++ {
			cij, yi, yj = append(cij, C.at(i, j)), append(yi, y[i]), append(yj, y[j])
		}
	}
	b = e.NewBatch()
	norm := b.Trunc(mpc.LocalMul(cij, pp), k-f, k+1)
	yy := b.MulTrunc(yi, yj, f, 2*f+4)
	cy := b.MulTrunc(M[d:], y[d:], f, 2*f+3) // sqrt of the outcome's mantissa
	if err := b.Run(ctx); err != nil {
		return err
	}

	// Round: R_ij = y_i·y_j·norm_ij and ρ_i; mantissas of σ_y/σ_i.
	b = e.NewBatch()
	corr := b.MulTrunc(yy.Value(), norm.Value(), f, 2*f+4)
	rat := b.MulTrunc(repeat(d, cy.Value()[0]), y[:d], f, 2*f+3)
	if err := b.Run(ctx); err != nil {
		return err
	}
	cv := corr.Value()
	s.R = make([]fr.Vector, d)
	s.rho = make(fr.Vector, d)
	unit := mpc.Pow2(f)
	for i := range d {
		s.R[i] = make(fr.Vector, d)
		s.R[i][i] = unit
	}
	p := 0
	var off fr.Vector // the upper triangle of R
	for i := range d + 1 {
		for j := i + 1; j < d+1; j++ {
			if j == d {
				s.rho[i] = cv[p]
			} else {
				s.R[i][j], s.R[j][i] = cv[p], cv[p]
				off = append(off, cv[p])
			}
			p++
		}
	}

	// η = 1/||R||_F, from ||R||_F² = d + 2·Σ_(i<j) R_ij² in [d, d²]: R's largest
	// eigenvalue is at most 1/η.
	fro := mpc.LocalDots([]fr.Vector{off}, []fr.Vector{off})
	fro[0].Double(&fro[0])
	dd := mpc.Pow2(2 * f)
	var dconst fr.Element
	dconst.SetUint64(uint64(d))
	dd.Mul(&dd, &dconst)
	fro[0].Add(&fro[0], &dd)
	froBits := f + 2*bitLen(d) + 2
	fro2, err := e.Trunc(ctx, fro, f, froBits+f)
	if err != nil {
		return err
	}
	eta, err := e.InvSqrt(ctx, fro2, f, froBits)
	if err != nil {
		return err
	}
	s.eta = eta[0]

	// Round: σ_y/σ_i at scale 2^(2f), exactly the product of its mantissa and power
	// of two.
	ratioP, err := e.Mul(ctx, rat.Value(), ratioPow.Value())
	if err != nil {
		return err
	}
	s.ratio = ratioP
	s.nm, s.yinv = nm, y
	s.scales = &scales{pairs: pp, yy: yy.Value(), pow4h: pow4h}
	return nil
}

// bilinear returns degree-2 shares of g(t_i, t_d) for i < d, where t_i is the top bit
// of element i of the normalised vector and g a public function: the sum over t and
// t' of [t_i = t]·[t_d = t']·g(t, t').
func bilinear(nm *mpc.Norm, d int, g func(t, ty int) *big.Int) fr.Vector {
	kk := nm.Bits
	// L_t = Σ_t' [t_d = t']·g(t, t'): shares, one per t.
	L := make(fr.Vector, kk)
	for t := range kk {
		for ty := range kk {
			c := g(t, ty)
			if c.Sign() == 0 {
				continue
			}
			var k, v fr.Element
			k.SetBigInt(c)
			v.Mul(&nm.OneHot[ty][d], &k)
			L[t].Add(&L[t], &v)
		}
	}
	out := make(fr.Vector, d)
	for i := range d {
		for t := range kk {
			var v fr.Element
			v.Mul(&nm.OneHot[t][i], &L[t])
			out[i].Add(&out[i], &v)
		}
	}
	return out
}

func bitLen(x int) int {
	n := 0
	for ; x > 0; x >>= 1 {
		n++
	}
	return n
}
