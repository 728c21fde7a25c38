// Package lasso fits scikit-learn's Lasso objective
//
//	(1/(2n))·||y - X·β - b||² + α·||β||₁
//
// on secret-shared data, among Triad's three parties, with the engine of protocol/mpc,
// and chooses α by K-fold cross-validation (CV).
//
// # What is opened
//
// A fit opens, every few iterations, one bit: whether its convergence test passed;
// then the number of iterations of the model, its coefficients β, intercept b, R² and
// duality gap bound. β, b, R² and the gap are rounded inside the MPC, by exact floors,
// to multiples of 2^-OutputBits, so that what is opened is a function of the model
// alone and no low bits of a masked remainder or column sum leak. Cross-validation
// also opens α_max (the top of the default grid), the grid, per α the mean validation
// error and its standard error, one convergence bit per test covering all folds
// together, and the chosen α; nothing per fold. Each value goes to Options.Reveal as
// it is opened, exactly as opened. Every other value the parties exchange is
// uniformly random or masked with κ = 40 bits of statistical security
// (protocol/mpc.Kappa): every truncation, floor and comparison is given a public bound
// on its input, which the masks exceed by κ bits; the bounds below keep all of them
// within the field.
//
// # Method
//
// The solver works from sufficient statistics. One pass over the n rows computes the
// centred cross products n²·Cov(X, X), n²·Cov(X, y) and n²·Var(y) exactly, as
// integers: local work O(n·d²) and one resharing of O(d²) values. Everything after
// that costs O(d²) per iteration (O(d³) local work once), whatever n is:
//
//   - standardisation: the variances are normalised securely (bit length, then
//     Newton's iteration for the inverse square root), giving the correlation matrix
//     R, the correlations ρ of the features with y, and per-feature penalties
//     λ_i = α/(σ_i·σ_y). In these units the problem is ½·u'Ru - ρ'u + Σ λ_i·|u_i|
//     with β_i = u_i·σ_y/σ_i. About sixty rounds;
//   - preconditioning: Newton-Schulz iterations estimate ||R^-1||_F, hence a penalty
//     parameter σ near sqrt(λmin·λmax), and approximate (R + σI)^-1 for three
//     multiples of σ (see precondition). About 120 rounds;
//   - ADMM with over-relaxation 13/8, three copies with σ, 6σ and 36σ in lockstep:
//     the x-update is one step of iterative refinement (exact at its fixed point
//     whatever the error of the approximate inverse), the z-update a
//     soft-thresholding by 2d comparisons per copy in the same rounds: four rounds
//     per iteration. A small σ suits dense models, a large one sparse models on
//     ill-conditioned data; running three costs three times the bytes of one and
//     saves up to ten times the iterations;
//   - stopping as scikit-learn does: the duality gap of the residual's dual point,
//     scaled to feasibility, at most Tol·||y - ȳ||²/n, tested without division every
//     CheckEvery iterations in the rounds of the next four (see test and gapCheck);
//     the fit stops at the first copy that passes, which is chosen without opening
//     which;
//   - the result: β_i = u_i·σ_y/σ_i, b = ȳ - x̄'β from the opened β and the shared
//     column sums, R² = 2ρ'u - u'Ru exactly, and the gap. About forty rounds.
//
// # Fixed point
//
// The solver's fixed point has FracBits (40) fractional bits; products are truncated
// back after each multiplication. Standardised coefficients, ADMM iterates and scaled
// duals stay below 2^24, σ_y/σ_i below 2^48 and the Newton-Schulz iterates below
// 2^30 (condition numbers of R up to about 2^24/||R||_F·λmax converge fully; worse
// ones only slow ADMM). Penalties above 2 in standardised units, which force their
// coefficient to zero whatever the data (|ρ - Ru| ≤ 1 at the optimum), are capped
// there. Cross-validation assumes that validation values lie within 2^12 training
// standard deviations of the training means.
//
// # Steps
//
// The Solver exposes the fit step by step (Prepare, Step, Finish) so that a caller can
// run each iteration as a unit of its own; Fit runs them all. CV has the same shape:
// Prepare (the pass over the rows, α_max, the K training problems), Step (one
// iteration of all K folds' solves at the current α; the last iteration at an α also
// computes its validation errors and moves to the next α), Finish (the errors and the
// chosen α are opened), which returns the Solver of the final fit on all rows,
// prepared from the same statistics: run its Steps and Finish like any fit.
package lasso

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// Data is one party's input: its Shamir shares of the joined table.
type Data struct {
	Features []string    // column names, in order
	X        []fr.Vector // shares of each feature column, n rows each: integers round(x·2^Frac)
	Y        fr.Vector   // shares of the outcome column, same scale
	Frac     int         // fractional bits of the encodings
}

// Options configures a fit. The zero value of every field but Alpha selects its
// default.
type Options struct {
	Alpha   float64 // penalty α ≥ 0, as in scikit-learn
	MaxIter int     // iteration limit (default 5000)

	// Tol is scikit-learn's tol: the fit stops once the duality gap is at most
	// Tol·||y - ȳ||²/n (default 1e-8, tighter than scikit-learn's 1e-4, which on
	// ill-conditioned data stops far from the optimum).
	Tol        float64
	CheckEvery int // iterations between the starts of convergence tests, at least 3 (default 8)
	FracBits   int // fractional bits of the solver's fixed point, 24 to 40 (default 40)
	InputBits  int // bound on the encodings: |x·2^Frac| < 2^(InputBits-1) (default 64)
	OutputBits int // the opened values are multiples of 2^-OutputBits, 8 to FracBits (default 32)

	// Reveal, if set, is called at the moment each value is opened, with the value
	// exactly as opened, before the solver goes on; an error stops the fit. See
	// the Reveal* names for what is opened and the type of each value.
	Reveal func(what string, value any) error
}

// What the solver opens, as passed to Options.Reveal.
const (
	RevealConverged   = "converged"   // bool: one convergence test
	RevealIterations  = "iterations"  // int: iterations of the returned model
	RevealGap         = "gap"         // float64: duality gap bound of the model, relative to ||y - ȳ||²/n
	RevealCoefficient = "coefficient" // Coefficient: one coefficient, by feature name
	RevealIntercept   = "intercept"   // float64
	RevealR2          = "r2"          // float64
)

// Coefficient is one opened coefficient.
type Coefficient struct {
	Feature string // Data.Features[Index], or "" without names
	Index   int
	Value   float64
}

func (o Options) withDefaults() Options {
	if o.MaxIter == 0 {
		o.MaxIter = 5000
	}
	if o.Tol == 0 {
		o.Tol = 1e-8
	}
	if o.CheckEvery == 0 {
		o.CheckEvery = 8
	}
	if o.FracBits == 0 {
		o.FracBits = 40
	}
	if o.InputBits == 0 {
		o.InputBits = 64
	}
	if o.OutputBits == 0 {
		o.OutputBits = min(32, o.FracBits)
	}
	return o
}

func (o Options) reveal(what string, v any) error {
	if o.Reveal == nil {
		return nil
	}
	if err := o.Reveal(what, v); err != nil {
		return fmt.Errorf("lasso: reveal %s: %w", what, err)
	}
	return nil
}

// Result is what a fit reveals, with its cost.
type Result struct {
	Iterations   int
	Intercept    float64
	Coefficients []float64 // in the units of the data, in the order of Data.Features
	R2           float64
	Converged    bool    // a convergence test passed: Gap ≤ Tol
	Gap          float64 // duality gap bound of the returned model, relative to ||y - ȳ||²/n
	Checks       []bool  // every convergence bit opened, in order
	Rounds       int     // communication rounds of the fit
	BytesSent    int64   // bytes this party sent during the fit
	StatsSeconds float64 // the pass over the rows
	SolveSeconds float64 // everything after it
}

// Bounds of the fixed-point solver, in bits above the binary point.
const (
	coefBits    = 24 // standardised coefficients, ADMM iterates and scaled duals: |u| < 2^24
	penaltyBits = 1  // per-feature penalties are capped near 2 (beyond 1, u_i = 0 anyway)
	ratioBits   = 48 // σ_y/σ_i < 2^48
	inverseBits = 30 // entries of the Newton-Schulz iterates: |X| < 2^30
)

// relax is ADMM's over-relaxation factor, 13/8.
const relaxNum, relaxShift = 13, 3

// scales are the factors of the standardisation, at scale 2^f: for the pairs i < j
// of the d+1 columns (the outcome last) in order, the powers 2^(h_i+h_j) and the
// products y_i·y_j of the inverse square roots; for each column, 4^h_i. Then
// R_ij = C_ij·pairs·yy/2^(k-f), and R_ii = C_ii·pow4h_i·y_i²/2^(k-f).
type scales struct {
	pairs, yy, pow4h fr.Vector
}

// sigmaScales are the multiples of the base penalty parameter σ at which ADMM runs,
// in lockstep. σ = sqrt(λmin·λmax) suits fits where most coefficients are non-zero;
// sparse fits on ill-conditioned data converge up to ten times faster with a σ ten
// to a hundred times larger, the scale of the better-conditioned active columns. The
// fit stops when any copy converges.
var sigmaScales = []int64{1, 6, 36}

// admmCopy is the state of one ADMM copy: x ← Q·x + B·(z - w) + a at scale 2^(2f),
// thresholds τ = λ/σ, and the iterates at scale 2^f.
type admmCopy struct {
	Q, B          []fr.Vector
	a, tau        fr.Vector
	invSigma      fr.Element
	x, z, w, absZ fr.Vector
}

func (c *admmCopy) wipe() {
	wipeRows(c.Q)
	wipeRows(c.B)
	for _, v := range []fr.Vector{c.a, c.tau, c.x, c.z, c.w, c.absZ} {
		clear(v)
	}
	c.invSigma = fr.Element{}
}

// Solver is one party's state of a secure lasso fit.
type Solver struct {
	eng  *mpc.Engine
	data Data
	opts Options
	n, d int
	f    int        // solver fractional bits
	unit fr.Element // 2^f
	k    int        // bits of the normalised variances

	start        time.Time
	rounds0      int
	sent0        int64
	statsSeconds float64
	prepared     bool
	finished     bool

	// Statistics (exact integers): sums, and the centred cross products.
	sx fr.Vector // Σx_i
	sy fr.Element
	// Standardised problem at scale 2^f: R with unit diagonal, ρ, penalties λ and
	// what turns u back into β.
	R     []fr.Vector
	rho   fr.Vector
	lam   fr.Vector
	ratio fr.Vector  // σ_y/σ_i at scale 2^(2f)
	kappa fr.Vector  // 1/λ (λ plus one unit), for the duality gap
	eta   fr.Element // 1/||R||_F
	nm    *mpc.Norm  // bit lengths of the variances, and the inverse square roots of
	yinv  fr.Vector  // their mantissas: what the penalties need
	// The factors that turned cross products into R and ρ, for other quadratic
	// forms in the same units (cross-validation).
	scales *scales
	// ADMM copies, one per penalty parameter σ·sigmaScales[p], run in lockstep.
	sigmaScales []int64 // nil: the package's
	copies      []*admmCopy

	iter    int
	test    *test     // the convergence test in flight
	pending fr.Vector // shares of the last convergence bit, not yet opened
	best    *test     // the test that passed
	bits    []bool    // the convergence bits opened so far
	done    bool
}

// NewSolver checks the data and options; it does not communicate.
func NewSolver(eng *mpc.Engine, data Data, opts Options) (*Solver, error) {
	opts = opts.withDefaults()
	d := len(data.X)
	if d == 0 {
		return nil, errors.New("lasso: no features")
	}
	if len(data.Features) != 0 && len(data.Features) != d {
		return nil, fmt.Errorf("lasso: %d feature names for %d columns", len(data.Features), d)
	}
	n := len(data.Y)
	if n < 2 {
		return nil, fmt.Errorf("lasso: %d rows: need at least 2", n)
	}
	for i, col := range data.X {
		if len(col) != n {
			return nil, fmt.Errorf("lasso: feature %d has %d rows, the outcome has %d", i, len(col), n)
		}
	}
	switch {
	case math.IsNaN(opts.Alpha) || math.IsInf(opts.Alpha, 0) || opts.Alpha < 0:
		return nil, fmt.Errorf("lasso: alpha %v: want a finite value ≥ 0", opts.Alpha)
	case opts.MaxIter < 1:
		return nil, fmt.Errorf("lasso: MaxIter %d: want a positive value", opts.MaxIter)
	case opts.CheckEvery < checkStages:
		return nil, fmt.Errorf("lasso: CheckEvery %d: want at least %d", opts.CheckEvery, checkStages)
	case !(opts.Tol > 0) || math.IsInf(opts.Tol, 0):
		return nil, fmt.Errorf("lasso: tolerance %v: want a finite value > 0", opts.Tol)
	case opts.FracBits < 24 || opts.FracBits > 40:
		return nil, fmt.Errorf("lasso: %d fractional bits: want 24 to 40", opts.FracBits)
	case opts.OutputBits < 8 || opts.OutputBits > opts.FracBits:
		return nil, fmt.Errorf("lasso: %d output bits: want 8 to FracBits (%d)", opts.OutputBits, opts.FracBits)
	case opts.InputBits < 2 || opts.InputBits > 64:
		return nil, fmt.Errorf("lasso: %d input bits: want 2 to 64", opts.InputBits)
	case data.Frac < 0 || data.Frac > 62:
		return nil, fmt.Errorf("lasso: %d fractional bits in the data: want 0 to 62", data.Frac)
	}
	// n²·Var(x) < n²·2^(2·(InputBits-1)); the normalisation works on k bits, and
	// truncates (k+1)-bit products.
	k := 2*(opts.InputBits-1) + 2*bits.Len(uint(n)) + 2
	k += k % 2
	if k+1+mpc.Kappa+3 > mpc.FieldBits {
		return nil, fmt.Errorf("lasso: %d rows of %d-bit values exceed the field", n, opts.InputBits)
	}
	s := &Solver{eng: eng, data: data, opts: opts, n: n, d: d, f: opts.FracBits, k: k, unit: mpc.Pow2(opts.FracBits)}
	return s, nil
}

// Iteration returns the number of iterations run so far.
func (s *Solver) Iteration() int { return s.iter }

// Fit runs a whole fit: Prepare, Step until done, Finish.
func Fit(ctx context.Context, eng *mpc.Engine, data Data, opts Options) (Result, error) {
	s, err := NewSolver(eng, data, opts)
	if err != nil {
		return Result{}, err
	}
	if err := s.Prepare(ctx); err != nil {
		return Result{}, err
	}
	for {
		done, err := s.Step(ctx)
		if err != nil {
			return Result{}, err
		}
		if done {
			break
		}
	}
	return s.Finish(ctx)
}
