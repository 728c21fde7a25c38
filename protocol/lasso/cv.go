package lasso

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// CVOptions configures the choice of α by K-fold cross-validation. The zero value of
// every field selects its default.
type CVOptions struct {
	Folds   int       // K ≥ 2 (default 5)
	NAlphas int       // size of the default grid (default 100)
	Alphas  []float64 // an explicit grid instead, in any order (run from the largest)
	Rule    string    // "min" (default): the α of least mean error; "1se": the largest α within one standard error of it

	// Tol is the fold solves' tolerance, as Options.Tol (default 1e-6): the
	// validation errors depend on the model's error only in second order.
	Tol float64
}

// What cross-validation opens, as passed to Options.Reveal, besides the convergence
// bits (RevealCVConverged) of its solves.
const (
	RevealAlphaMax    = "alpha_max"        // float64: max_j |x_j'(y - ȳ)|/n, the top of the default grid
	RevealCVAlphas    = "cv_alphas"        // []float64: the grid, largest first
	RevealCVConverged = "cv_converged"     // bool: whether every fold's solve at the current α passed its test
	RevealCVMSEMean   = "cv_mse_mean"      // []float64: mean validation MSE per α
	RevealCVMSEStdErr = "cv_mse_std_error" // []float64: its standard error per α
	RevealCVAlpha     = "cv_alpha"         // float64: the chosen α
)

// CVResult is what cross-validation reveals.
type CVResult struct {
	Folds       int
	Alphas      []float64 // largest first
	MSEMean     []float64 // per α: the mean over the folds of the validation mean squared error
	MSEStdError []float64 // per α: the standard deviation of the folds' errors over sqrt(K)
	AlphaMin    float64   // the α of least mean error
	Alpha1SE    float64   // the largest α whose mean error is within one standard error of the least
	Rule        string
	Alpha       float64 // the chosen α: AlphaMin or Alpha1SE
	Converged   bool    // every solve passed its convergence test
	Iterations  int     // iterations over the whole path
}

// Bounds of cross-validation's fixed point, in bits above the binary point: the
// validation folds' second moments about the training means, in the training folds'
// standardised units, stay below 2^vBits (validation values within 2^12 training
// standard deviations of the training means); validation errors stay below 2^16
// times the square of the largest encodable outcome.
const (
	vBits   = 24
	mseHead = 16
)

// CV chooses α by K-fold cross-validation, then prepares the fit on all rows at the
// chosen α. The folds are contiguous blocks of the rows, the first n mod K of them one
// row longer (scikit-learn's KFold without shuffling); in a session the rows are in
// the third party's random order, which no controller knows.
//
// One pass over the rows computes every fold's sums and cross products (one round);
// each training problem is the total minus its fold, and each validation error is a
// quadratic form in the model, so the whole path costs K·N solves of size d,
// independent of n. The K folds' solves at one α run in lockstep, sharing their
// rounds, and warm-started from the previous α. Their convergence tests are combined
// into one bit, opened: whether every fold has converged. Nothing per fold is
// opened: only α_max (for the default grid), the grid, the mean error and its
// standard error per α, and the chosen α.
//
// CV has the Solver's shape: Prepare, then Step until done (each Step one iteration
// of all K folds), then Finish, which opens the errors and returns a prepared Solver
// for the final fit, to be run by Step and Finish like any other.
type CV struct {
	eng   *mpc.Engine
	base  *Solver // the fit on all rows: the data, options and total statistics
	cvo   CVOptions
	folds []*Solver
	total cross

	trainC []cross       // per fold: the training rows' cross products
	valW   [][]fr.Vector // per fold: n_tr²·Σ_val (a - ā_tr)(b - b̄_tr), (d+1)×(d+1)
	vt     [][]fr.Vector // per fold: validation moments Ṽ at scale 2^f, (d+1)×(d+1)
	sy2    fr.Vector     // per fold: the training outcome's variance at scale 2^f
	mse    []fr.Vector   // per α: the folds' validation errors at scale 2^f
	alpha  []float64

	ai, itAlpha int // current α and iterations at it
	pendingBit  fr.Vector
	foldBits    fr.Vector // the folds' test bits, to combine in the next iteration
	iters       int
	converged   bool
	prepared    bool
	done        bool
}

// NewCV checks the data and options; it does not communicate. opts.Alpha is ignored.
func NewCV(eng *mpc.Engine, data Data, opts Options, cv CVOptions) (*CV, error) {
	opts.Alpha = 0
	s, err := NewSolver(eng, data, opts)
	if err != nil {
		return nil, err
	}
	if cv.Folds == 0 {
		cv.Folds = 5
	}
	if cv.NAlphas == 0 {
		cv.NAlphas = 100
	}
	if cv.Rule == "" {
		cv.Rule = "min"
	}
	if cv.Tol == 0 {
		cv.Tol = 1e-6
	}
	switch {
	case cv.Folds < 2 || cv.Folds > s.n/2:
		return nil, fmt.Errorf("lasso: %d folds of %d rows: want 2 to n/2", cv.Folds, s.n)
	case len(cv.Alphas) == 0 && cv.NAlphas < 1:
		return nil, fmt.Errorf("lasso: %d alphas: want at least 1", cv.NAlphas)
	case !(cv.Tol > 0) || math.IsInf(cv.Tol, 0):
		return nil, fmt.Errorf("lasso: cross-validation tolerance %v: want a finite value > 0", cv.Tol)
	case cv.Rule != "min" && cv.Rule != "1se":
		return nil, fmt.Errorf("lasso: rule %q: want min or 1se", cv.Rule)
	}
	// The validation moments are truncated from (k + log n + vBits)-bit values.
	if s.k+bitLen(s.n)+vBits+2+mpc.Kappa+3 > mpc.FieldBits {
		return nil, fmt.Errorf("lasso: cross-validation of %d rows of %d-bit values exceeds the field", s.n, opts.InputBits)
	}
	for _, a := range cv.Alphas {
		if math.IsNaN(a) || math.IsInf(a, 0) || a <= 0 {
			return nil, fmt.Errorf("lasso: alpha %v in the grid: want a finite value > 0", a)
		}
	}
	return &CV{eng: eng, base: s, cvo: cv}, nil
}

// FoldRows returns the rows [start, end) of each fold.
func FoldRows(n, k int) [][2]int {
	out := make([][2]int, k)
	start := 0
	for i := range k {
		size := n / k
		if i < n%k {
			size++
		}
		out[i] = [2]int{start, start + size}
		start += size
	}
	return out
}

// Prepare computes the statistics, opens α_max unless the grid is given, and sets up
// the K training problems.
func (c *CV) Prepare(ctx context.Context) error {
	if c.prepared {
		return errors.New("lasso: Prepare called twice")
	}
	s := c.base
	s.start = time.Now()
	s.rounds0, s.sent0 = c.eng.Rounds(), c.eng.BytesSent()
	if err := c.statistics(ctx); err != nil {
		return fmt.Errorf("lasso: cross-validation statistics: %w", err)
	}
	s.statsSeconds = time.Since(s.start).Seconds()
	if len(c.cvo.Alphas) > 0 {
		c.alpha = append([]float64(nil), c.cvo.Alphas...)
		sort.Sort(sort.Reverse(sort.Float64Slice(c.alpha)))
	} else {
		amax, err := c.alphaMax(ctx)
		if err != nil {
			return fmt.Errorf("lasso: alpha max: %w", err)
		}
		if err := s.opts.reveal(RevealAlphaMax, amax); err != nil {
			return err
		}
		c.alpha = Grid(amax, c.cvo.NAlphas)
	}
	if err := s.opts.reveal(RevealCVAlphas, c.alpha); err != nil {
		return err
	}
	for k, f := range c.folds {
		if err := f.standardise(ctx, c.trainC[k]); err != nil {
			return fmt.Errorf("lasso: fold %d: standardisation: %w", k+1, err)
		}
		if err := f.precondition(ctx); err != nil {
			return fmt.Errorf("lasso: fold %d: preconditioning: %w", k+1, err)
		}
		f.prepared = true
	}
	if err := c.validation(ctx); err != nil {
		return fmt.Errorf("lasso: cross-validation: %w", err)
	}
	c.trainC, c.valW = nil, nil
	if err := setPenalties(ctx, c.eng, c.folds, c.alpha[0]); err != nil {
		return err
	}
	c.converged = true
	c.prepared = true
	return nil
}

// Grid returns scikit-learn's LassoCV grid: n values from amax down to amax/1000,
// evenly spaced on a log scale.
func Grid(amax float64, n int) []float64 {
	if n == 1 {
		return []float64{amax}
	}
	out := make([]float64, n)
	lo, hi := math.Log10(amax*1e-3), math.Log10(amax)
	for i := range n {
		out[n-1-i] = math.Pow(10, lo+(hi-lo)*float64(i)/float64(n-1))
	}
	return out
}

// statistics computes, in one pass over the rows and one round, the total cross
// products (for α_max and the final fit), each training fold's, and each validation
// fold's moments about its training means.
func (c *CV) statistics(ctx context.Context) error {
	s := c.base
	d, n, K := s.d, s.n, c.cvo.Folds
	m := d + 1
	cols := append(append([]fr.Vector(nil), s.data.X...), s.data.Y)
	rows := FoldRows(n, K)
	// Per fold: sums and inner products of all pairs a ≤ b.
	type pair struct{ a, b int }
	var pairs []pair
	for a := range m {
		for b := a; b < m; b++ {
			pairs = append(pairs, pair{a, b})
		}
	}
	sums := make([]fr.Vector, K)
	ips := make([]fr.Vector, K)
	for k, r := range rows {
		sums[k] = make(fr.Vector, m)
		for a, col := range cols {
			part := col[r[0]:r[1]]
			sums[k][a] = part.Sum()
		}
		ips[k] = make(fr.Vector, len(pairs))
	}
	work := make(chan int, K*len(pairs))
	for w := range K * len(pairs) {
		work <- w
	}
	close(work)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), K*len(pairs)) {
		wg.Go(func() {
			for w := range work {
				if ctx.Err() != nil {
					return
				}
				k, p := w/len(pairs), pairs[w%len(pairs)]
				r := rows[k]
				part := cols[p.a][r[0]:r[1]]
				ips[k][w%len(pairs)] = part.InnerProduct(cols[p.b][r[0]:r[1]])
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	totS := make(fr.Vector, m)
	totIP := make(fr.Vector, len(pairs))
	for k := range K {
		totS.Add(totS, sums[k])
		totIP.Add(totIP, ips[k])
	}
	s.sx, s.sy = totS[:d], totS[d]
	el := func(x int) fr.Element {
		var e fr.Element
		e.SetUint64(uint64(x))
		return e
	}
	// Degree-2 shares, reduced together: the total's C, then per fold the training
	// C and the validation W.
	centred := func(nn int, ip fr.Vector, sm fr.Vector) fr.Vector {
		out := make(fr.Vector, len(pairs))
		ne := el(nn)
		for q, p := range pairs {
			var t fr.Element
			t.Mul(&sm[p.a], &sm[p.b])
			out[q].Mul(&ip[q], &ne)
			out[q].Sub(&out[q], &t)
		}
		return out
	}
	local := centred(n, totIP, totS)
	for k, r := range rows {
		nv := r[1] - r[0]
		ntr := n - nv
		trIP := mpc.Sub(totIP, ips[k])
		trS := mpc.Sub(totS, sums[k])
		local = append(local, centred(ntr, trIP, trS)...)
		// n_tr²·IP_v - n_tr·(S_tr,a·S_v,b + S_tr,b·S_v,a) + n_v·S_tr,a·S_tr,b
		ntr2, ntrE, nvE := el(ntr*ntr), el(ntr), el(nv)
		for q, p := range pairs {
			var w, t, u fr.Element
			w.Mul(&ips[k][q], &ntr2)
			t.Mul(&trS[p.a], &sums[k][p.b])
			u.Mul(&trS[p.b], &sums[k][p.a])
			t.Add(&t, &u)
			t.Mul(&t, &ntrE)
			w.Sub(&w, &t)
			u.Mul(&trS[p.a], &trS[p.b])
			u.Mul(&u, &nvE)
			w.Add(&w, &u)
			local = append(local, w)
		}
		clear(trIP)
	}
	for k := range K {
		clear(ips[k])
		clear(sums[k])
	}
	red, err := c.eng.Reduce(ctx, local)
	clear(local)
	if err != nil {
		return err
	}
	unpack := func(v fr.Vector) cross {
		C := make(cross, m)
		for i := range C {
			C[i] = make([]fr.Vector, m)
		}
		for q, p := range pairs {
			C[p.a][p.b] = fr.Vector{v[q]}
		}
		return C
	}
	np := len(pairs)
	c.total = unpack(red[:np])
	c.trainC = make([]cross, K)
	c.valW = make([][]fr.Vector, K)
	c.folds = make([]*Solver, K)
	for k, r := range rows {
		off := np * (1 + 2*k)
		c.trainC[k] = unpack(red[off : off+np])
		W := unpack(red[off+np : off+2*np])
		c.valW[k] = make([]fr.Vector, m)
		for a := range m {
			c.valW[k][a] = make(fr.Vector, m)
			for b := range m {
				c.valW[k][a][b] = W.at(a, b)
			}
		}
		f := *s
		f.n = n - (r[1] - r[0])
		f.data = Data{Features: s.data.Features, Frac: s.data.Frac}
		f.opts.Reveal = nil // a fold's solver opens nothing of its own
		f.sx = nil
		f.opts.Tol, f.opts.CheckEvery = c.cvo.Tol, checkStages
		c.folds[k] = &f
	}
	s.data.X, s.data.Y = nil, nil
	return nil
}

// alphaMax opens max_j |C_jy|/(n²·2^(2·Frac)) rounded to 2^-OutputBits: the absolute
// values and a tournament of comparisons, log2(d) rounds of three, then an exact
// rounding.
func (c *CV) alphaMax(ctx context.Context) (float64, error) {
	s := c.base
	d, k, ob := s.d, s.k, s.opts.OutputBits
	v := make(fr.Vector, d)
	for j := range d {
		v[j] = c.total.at(j, d)
	}
	bits := k + 2
	cmp := &mpc.Comparison{X: v, Bits: bits, WithMin: true}
	if err := c.eng.Compare(ctx, cmp); err != nil {
		return 0, err
	}
	abs := make(fr.Vector, d) // |v| = v - 2·min(v, 0)
	for j := range d {
		var t fr.Element
		t.Double(&cmp.Min[j])
		abs[j].Sub(&v[j], &t)
	}
	for len(abs) > 1 {
		h := len(abs) / 2
		diff := mpc.Sub(abs[:h], abs[h:2*h])
		cmp := &mpc.Comparison{X: diff, Bits: bits + 1, WithMin: true}
		if err := c.eng.Compare(ctx, cmp); err != nil {
			return 0, err
		}
		next := mpc.Sub(abs[:h], cmp.Min) // max(a, b) = a - min(a - b, 0)
		if len(abs)%2 == 1 {
			next = append(next, abs[len(abs)-1])
		}
		abs = next
	}
	// max·2^ob/(n²·2^(2Frac)): drop the low bits beyond 100 exactly, then divide by n²
	// as a product with round(2^K/n²) and an exact rounding floor.
	t, sh := abs, 0
	if bits > 100 {
		sh = bits - 100
		var err error
		if t, err = c.eng.Floor(ctx, abs, sh, bits); err != nil {
			return 0, err
		}
	}
	n2 := new(big.Int).Mul(big.NewInt(int64(s.n)), big.NewInt(int64(s.n)))
	K := n2.BitLen() + 40
	cn := new(big.Int).Div(new(big.Int).Add(pow2(K), new(big.Int).Rsh(n2, 1)), n2)
	shift := K + 2*s.data.Frac - ob - sh
	if shift < 1 {
		return 0, fmt.Errorf("lasso: %d output bits with %d fractional bits in the data", ob, s.data.Frac)
	}
	w, err := c.eng.Floor(ctx, mpc.AddConst(mpc.ScaleBig(t, cn), pow2(shift-1)), shift, 100+K+3)
	if err != nil {
		return 0, err
	}
	o, err := c.eng.Open(ctx, w)
	if err != nil {
		return 0, err
	}
	return toFloat(mpc.Signed(o)[0], ob), nil
}

// validation turns each fold's W into Ṽ in its training fold's standardised units,
// and computes the training outcome's variance: three rounds for all folds.
func (c *CV) validation(ctx context.Context) error {
	s := c.base
	d, f, K := s.d, s.f, len(c.folds)
	m := d + 1
	b := c.eng.NewBatch()
	type pend struct{ off, diag, yd, sy *mpc.Pending }
	ps := make([]pend, K)
	for k, fo := range c.folds {
		sc := fo.scales
		W := c.valW[k]
		var off, diag fr.Vector
		for a := range m {
			diag = append(diag, W[a][a])
			for bb := a + 1; bb < m; bb++ {
				off = append(off, W[a][bb])
			}
		}
		kk := fo.k
		ps[k].off = b.Trunc(mpc.LocalMul(off, sc.pairs), kk-f, kk+bitLen(s.n)+vBits+2)
		ps[k].diag = b.Trunc(mpc.LocalMul(diag, sc.pow4h), kk-f, kk+bitLen(s.n)+vBits+2)
		ps[k].yd = b.MulTrunc(fo.yinv, fo.yinv, f, 2*f+4)
		// σ²_y = C_yy/(n_tr²·2^(2Frac)) at scale 2^f.
		n2 := new(big.Int).Mul(big.NewInt(int64(fo.n)), big.NewInt(int64(fo.n)))
		KK := n2.BitLen() + 24
		cn := new(big.Int).Div(new(big.Int).Add(pow2(KK), new(big.Int).Rsh(n2, 1)), n2)
		shift := KK + 2*s.data.Frac - f
		cyy := c.trainC[k].at(d, d)
		ps[k].sy = b.Trunc(mpc.ScaleBig(fr.Vector{cyy}, cn), shift, kk+KK-n2.BitLen()+4)
	}
	if err := b.Run(ctx); err != nil {
		return err
	}
	// Round: the products with the inverse roots, divided by n_v.
	rows := FoldRows(s.n, K)
	b = c.eng.NewBatch()
	type pend2 struct{ off, diag *mpc.Pending }
	p2 := make([]pend2, K)
	for k, fo := range c.folds {
		nv := int64(rows[k][1] - rows[k][0])
		Kv := bitLen(int(nv)) + 24
		cv := new(big.Int).Div(new(big.Int).Add(pow2(Kv), big.NewInt(nv/2)), big.NewInt(nv))
		vb := 2*f + vBits + 2*bitLen(int(nv)) + Kv + 6
		p2[k].off = b.Trunc(mpc.ScaleBig(mpc.LocalMul(ps[k].off.Value(), fo.scales.yy), cv), f+Kv, vb)
		p2[k].diag = b.Trunc(mpc.ScaleBig(mpc.LocalMul(ps[k].diag.Value(), ps[k].yd.Value()), cv), f+Kv, vb)
	}
	if err := b.Run(ctx); err != nil {
		return err
	}
	c.vt = make([][]fr.Vector, K)
	c.sy2 = make(fr.Vector, K)
	for k := range c.folds {
		V := make([]fr.Vector, m)
		for a := range V {
			V[a] = make(fr.Vector, m)
		}
		off, diag := p2[k].off.Value(), p2[k].diag.Value()
		q := 0
		for a := range m {
			V[a][a] = diag[a]
			for bb := a + 1; bb < m; bb++ {
				V[a][bb], V[bb][a] = off[q], off[q]
				q++
			}
		}
		c.vt[k] = V
		c.sy2[k] = ps[k].sy.Value()[0]
		for _, r := range c.valW[k] {
			clear(r)
		}
	}
	return nil
}

// Step runs one iteration of every fold's solve at the current α, in the rounds of
// one iteration. Every fold's convergence test ends in the same iteration; the next
// one combines their bits into one, opened in the iteration after: whether every
// fold has converged. Then, or after MaxIter iterations at this α, the validation
// errors are computed and the solves move to the next α, warm. done is reported
// after the last α.
func (c *CV) Step(ctx context.Context) (done bool, err error) {
	if !c.prepared {
		return false, errors.New("lasso: Step before Prepare")
	}
	if c.done {
		return true, nil
	}
	c.iters++
	c.itAlpha++
	b := c.eng.NewBatch()
	sts := make([]*stepState, len(c.folds))
	for k, f := range c.folds {
		f.iter++
		sts[k] = f.begin(b)
	}
	var all *mpc.Comparison
	if c.foldBits != nil { // Σ bits - K < 0: some fold has not converged
		var sum fr.Element
		for i := range c.foldBits {
			sum.Add(&sum, &c.foldBits[i])
		}
		kk := fr.NewElement(uint64(len(c.folds)))
		sum.Sub(&sum, &kk)
		all = &mpc.Comparison{X: fr.Vector{sum}, Bits: bitLen(len(c.folds)) + 2}
		b.Compare(all)
		c.foldBits = nil
	}
	var bit *mpc.Pending
	if c.pendingBit != nil {
		bit = b.Open(c.pendingBit)
		b.StopIf(func() bool { return bit.Value()[0].IsOne() })
	}
	if err := b.Run(ctx); err != nil {
		return false, fmt.Errorf("lasso: cross-validation iteration %d: %w", c.iters, err)
	}
	if bit != nil {
		c.pendingBit = nil
		v := bit.Value()[0]
		done := v.IsOne()
		if !done && !v.IsZero() {
			return false, fmt.Errorf("lasso: cross-validation iteration %d: convergence bit opened as %s", c.iters, v.String())
		}
		if err := c.base.opts.reveal(RevealCVConverged, done); err != nil {
			return false, err
		}
		if done {
			c.iters-- // converged before this iteration: drop it
			return c.nextAlpha(ctx, true)
		}
		for _, f := range c.folds {
			f.best.wipe()
			f.best = nil
		}
	}
	if all != nil {
		one := fr.One()
		var v fr.Element
		v.Sub(&one, &all.Neg[0])
		c.pendingBit = fr.Vector{v}
	}
	var bits fr.Vector
	for k, f := range c.folds {
		if bit := f.end(sts[k]); bit != nil {
			bits = append(bits, bit[0])
		}
	}
	if len(bits) == len(c.folds) {
		c.foldBits = bits
	}
	if c.itAlpha >= c.base.opts.MaxIter {
		return c.nextAlpha(ctx, false)
	}
	return false, nil
}

// nextAlpha records the folds' validation errors at the current α and moves on.
func (c *CV) nextAlpha(ctx context.Context, converged bool) (bool, error) {
	c.converged = c.converged && converged
	mse, err := c.errors(ctx, converged)
	if err != nil {
		return false, err
	}
	c.mse = append(c.mse, mse)
	c.ai++
	c.itAlpha = 0
	c.pendingBit, c.foldBits = nil, nil
	for _, f := range c.folds {
		f.test.wipe()
		f.best.wipe()
		f.test, f.best, f.bits = nil, nil, nil
	}
	if c.ai == len(c.alpha) {
		c.done = true
		return true, nil
	}
	return false, setPenalties(ctx, c.eng, c.folds, c.alpha[c.ai])
}

// errors returns the folds' validation errors at scale 2^f: for the model u of fold
// k, σ²_y·(Ṽ_yy - 2u'Ṽ_xy + u'Ṽ_xx·u), in three rounds after the models.
func (c *CV) errors(ctx context.Context, converged bool) (fr.Vector, error) {
	d, f := c.base.d, c.base.f
	us := make([]fr.Vector, len(c.folds))
	for k, fo := range c.folds {
		if converged {
			fo.bits = []bool{true}
		}
		u, _, _, _, err := fo.model(ctx)
		if err != nil {
			return nil, err
		}
		us[k] = u
	}
	b := c.eng.NewBatch()
	vu := make([]*mpc.Pending, len(c.folds))
	for k, V := range c.vt {
		u0 := append(append(make(fr.Vector, 0, d+1), us[k]...), fr.Element{})
		vu[k] = b.Trunc(mpc.LocalMatVec(V[:d], u0), f, 2*f+vBits+coefBits+bitLen(d)+3)
	}
	if err := b.Run(ctx); err != nil {
		return nil, err
	}
	var qs fr.Vector
	for k, V := range c.vt {
		xy := make(fr.Vector, d)
		for i := range d {
			xy[i] = V[i][d]
		}
		dots := mpc.LocalDots([]fr.Vector{xy, us[k]}, []fr.Vector{us[k], vu[k].Value()})
		var q fr.Element
		q.Mul(&V[d][d], &c.base.unit)
		var t fr.Element
		t.Double(&dots[0])
		q.Sub(&q, &t)
		q.Add(&q, &dots[1])
		qs = append(qs, q)
	}
	qBits := 2*f + vBits + 2*coefBits + 2*bitLen(d) + 4
	q, err := c.eng.Trunc(ctx, qs, f, qBits)
	if err != nil {
		return nil, err
	}
	return c.eng.MulTrunc(ctx, q, c.sy2, f, 2*f+c.mseBits()+2)
}

// mseBits bounds the validation errors above the binary point.
func (c *CV) mseBits() int {
	return 2*(c.base.opts.InputBits-1-c.base.data.Frac) + mseHead
}

// Finish opens the mean validation error and its standard error per α, chooses α by
// the rule, opens it, and returns the fit on all rows at that α, prepared from the
// total statistics: run it with Step and Finish. Its Result's rounds, bytes and
// times count the whole cross-validation too.
func (c *CV) Finish(ctx context.Context) (CVResult, *Solver, error) {
	if !c.done {
		return CVResult{}, nil, errors.New("lasso: cross-validation Finish before the last α")
	}
	res, err := c.finish(ctx)
	for _, f := range c.folds {
		f.wipe()
	}
	for _, V := range c.vt {
		wipeRows(V)
	}
	for _, m := range c.mse {
		clear(m)
	}
	clear(c.sy2)
	if err != nil {
		return CVResult{}, nil, fmt.Errorf("lasso: cross-validation: %w", err)
	}
	s := c.base
	if err := s.opts.reveal(RevealCVAlpha, res.Alpha); err != nil {
		return CVResult{}, nil, err
	}
	s.opts.Alpha = res.Alpha
	err = s.setUp(ctx, c.total)
	for _, row := range c.total {
		for _, v := range row {
			clear(v)
		}
	}
	if err != nil {
		return CVResult{}, nil, err
	}
	return res, s, nil
}

func (c *CV) finish(ctx context.Context) (CVResult, error) {
	s := c.base
	f, ob, K, N := s.f, s.opts.OutputBits, len(c.folds), len(c.alpha)
	// Means, rounded exactly to 2^-ob: Σ_k mse·round(2^KK/K) floored by KK + f - ob.
	KK := 30
	cK := new(big.Int).Div(new(big.Int).Add(pow2(KK), big.NewInt(int64(K/2))), big.NewInt(int64(K)))
	sums := make(fr.Vector, N)
	for a, m := range c.mse {
		for k := range m {
			sums[a].Add(&sums[a], &m[k])
		}
	}
	mb := c.mseBits() + f + bitLen(K) + KK + 3
	mw, err := c.eng.Floor(ctx, mpc.AddConst(mpc.ScaleBig(sums, cK), pow2(KK+f-ob-1)), KK+f-ob, mb)
	if err != nil {
		return CVResult{}, err
	}
	mo, err := c.eng.Open(ctx, mw)
	if err != nil {
		return CVResult{}, err
	}
	res := CVResult{Folds: K, Alphas: c.alpha, Rule: c.cvo.Rule, Converged: c.converged, Iterations: c.iters,
		MSEMean: make([]float64, N), MSEStdError: make([]float64, N)}
	for a, v := range mpc.Signed(mo) {
		res.MSEMean[a] = toFloat(v, ob)
	}
	if err := s.opts.reveal(RevealCVMSEMean, res.MSEMean); err != nil {
		return CVResult{}, err
	}

	// Standard errors, relative to the opened means: r_k = mse_k/mean ∈ [0, K], so
	// Σ_k (r_k - 1)²/(K(K-1)) is small whatever the units; then its square root times
	// the mean, rounded exactly.
	const S = 20
	var rel fr.Vector
	for a, m := range c.mse {
		mean := res.MSEMean[a]
		cm := new(big.Int)
		if mean > 0 {
			cm = fixedInt(1/mean, S)
		}
		rel = append(rel, mpc.ScaleBig(m, cm)...)
	}
	r, err := c.eng.Trunc(ctx, rel, S, f+bitLen(K)+S+4)
	if err != nil {
		return CVResult{}, err
	}
	vs := make(fr.Vector, N)
	for a := range N {
		dev := mpc.AddConst(r[a*K:(a+1)*K], new(big.Int).Neg(pow2(f)))
		dd := mpc.LocalDots([]fr.Vector{dev}, []fr.Vector{dev})
		vs[a] = dd[0]
	}
	den := fixedInt(1/float64(K*(K-1)), f)
	v, err := c.eng.Trunc(ctx, mpc.ScaleBig(vs, den), 2*f, 3*f+2*bitLen(K)+4)
	if err != nil {
		return CVResult{}, err
	}
	v = mpc.AddConst(v, big.NewInt(1)) // no zero for the inverse root
	vBits := f + 2*bitLen(K) + 2
	iv, err := c.eng.InvSqrt(ctx, v, f, vBits)
	if err != nil {
		return CVResult{}, err
	}
	sd, err := c.eng.MulTrunc(ctx, v, iv, f, 2*f+bitLen(K)+3)
	if err != nil {
		return CVResult{}, err
	}
	var scaled fr.Vector
	for a := range N {
		scaled = append(scaled, mpc.ScaleBig(sd[a:a+1], fixedInt(res.MSEMean[a], ob))...)
	}
	seBits := f + bitLen(K) + 2 + c.mseBits() + ob + 2
	sw, err := c.eng.Floor(ctx, mpc.AddConst(scaled, pow2(f-1)), f, seBits)
	if err != nil {
		return CVResult{}, err
	}
	so, err := c.eng.Open(ctx, sw)
	if err != nil {
		return CVResult{}, err
	}
	for a, v := range mpc.Signed(so) {
		res.MSEStdError[a] = toFloat(v, ob)
	}
	if err := s.opts.reveal(RevealCVMSEStdErr, res.MSEStdError); err != nil {
		return CVResult{}, err
	}

	best := 0
	for a := range N {
		if res.MSEMean[a] < res.MSEMean[best] {
			best = a
		}
	}
	res.AlphaMin = c.alpha[best]
	for a := range N { // largest first: the first within one standard error
		if res.MSEMean[a] <= res.MSEMean[best]+res.MSEStdError[best] {
			res.Alpha1SE = c.alpha[a]
			break
		}
	}
	res.Alpha = res.AlphaMin
	if c.cvo.Rule == "1se" {
		res.Alpha = res.Alpha1SE
	}
	return res, nil
}
