package lasso

import (
	"context"
	"crypto/rand"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/crypto/shamir"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/lasso/lassotest"
	"github.com/triad-mpc/triad/protocol/memnet"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// run3 runs f for the three parties' engines over an in-memory network.
func run3[T any](t *testing.T, f func(ctx context.Context, e *mpc.Engine, party int) (T, error)) [3]T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	net := memnet.New()
	defer net.Close()
	out, err := mpc.RunLocal(ctx, net, rand.Reader, func(ctx context.Context, e *mpc.Engine, r protocol.Role) (T, error) {
		return f(ctx, e, int(r))
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStatisticsOneRound checks the sufficient statistics exactly, and that they
// cost one round whatever the number of rows.
func TestStatisticsOneRound(t *testing.T) {
	X, y := lassotest.Synthetic(5, 150, 3)
	data := share(t, X, y, testFrac)
	type out struct {
		C      cross
		rounds int
	}
	res := run3(t, func(ctx context.Context, e *mpc.Engine, i int) (out, error) {
		s, err := NewSolver(e, data[i], Options{Alpha: 1})
		if err != nil {
			return out{}, err
		}
		r0 := e.Rounds()
		C, err := s.statistics(ctx)
		return out{C, e.Rounds() - r0}, err
	})
	if res[0].rounds != 1 {
		t.Errorf("statistics took %d rounds", res[0].rounds)
	}
	// Exact integers: n·Σ a_i·a_j - Σa_i·Σa_j over the encodings.
	enc := func(k, j int) *big.Int {
		v := y[k]
		if j < 3 {
			v = X[k][j]
		}
		return big.NewInt(int64(math.RoundToEven(math.Ldexp(v, testFrac))))
	}
	n := big.NewInt(int64(len(X)))
	for i := range 4 {
		for j := i; j < 4; j++ {
			prod, si, sj := new(big.Int), new(big.Int), new(big.Int)
			for k := range X {
				prod.Add(prod, new(big.Int).Mul(enc(k, i), enc(k, j)))
				si.Add(si, enc(k, i))
				sj.Add(sj, enc(k, j))
			}
			want := new(big.Int).Mul(n, prod)
			want.Sub(want, si.Mul(si, sj))
			a, b := res[0].C[i][j], res[1].C[i][j]
			got, err := shamir.Reconstruct(0, 1, a, b)
			if err != nil {
				t.Fatal(err)
			}
			if g := shamir.Signed(&got[0]); g.Cmp(want) != 0 {
				t.Errorf("C[%d][%d] = %s, want %s", i, j, g, want)
			}
		}
	}
}

// TestStepwise drives the solver step by step, as an actor per iteration would, and
// checks the protocol of the calls.
func TestStepwise(t *testing.T) {
	X, y := lassotest.Synthetic(6, 250, 5)
	alpha := 0.1 * lassotest.AlphaMax(X, y)
	data := share(t, X, y, testFrac)
	b0, coef, r2 := lassotest.Reference(X, y, alpha)
	type out struct {
		res          Result
		steps        int
		roundsPerIt  float64
		afterDoneErr error
	}
	res := run3(t, func(ctx context.Context, e *mpc.Engine, i int) (out, error) {
		s, err := NewSolver(e, data[i], Options{Alpha: alpha, CheckEvery: 5})
		if err != nil {
			return out{}, err
		}
		if _, err := s.Step(ctx); err == nil {
			t.Error("Step before Prepare succeeded")
		}
		if err := s.Prepare(ctx); err != nil {
			return out{}, err
		}
		r0 := e.Rounds()
		steps := 0
		for {
			done, err := s.Step(ctx)
			if err != nil {
				return out{}, err
			}
			steps++
			if s.Iteration() > steps {
				t.Errorf("Iteration() = %d after %d steps", s.Iteration(), steps)
			}
			if done {
				break
			}
		}
		per := float64(e.Rounds()-r0) / float64(steps)
		done, err := s.Step(ctx)
		if !done || err != nil {
			t.Errorf("Step after done = %v, %v", done, err)
		}
		r, err := s.Finish(ctx)
		if err != nil {
			return out{}, err
		}
		_, again := s.Finish(ctx)
		return out{r, steps, per, again}, nil
	})
	o := res[0]
	checkFit(t, "stepwise", o.res, b0, coef, r2)
	if o.afterDoneErr == nil {
		t.Error("Finish twice succeeded")
	}
	// The last step only opens the convergence bit of the iterate made checkStages
	// steps before.
	if !o.res.Converged || o.res.Iterations != o.steps-1-checkStages {
		t.Errorf("%d iterations reported after %d steps (converged %v)", o.res.Iterations, o.steps, o.res.Converged)
	}
	// Three rounds per iteration: the preprocessing rides along.
	if o.roundsPerIt > 3 {
		t.Errorf("%.2f rounds per step", o.roundsPerIt)
	}
}

func TestMaxIter(t *testing.T) {
	X, y := lassotest.Synthetic(8, 200, 4)
	data := share(t, X, y, testFrac)
	res := fit3(t, data, Options{Alpha: 0.01, MaxIter: 7})
	if res[0].Iterations != 7 {
		t.Errorf("%d iterations with MaxIter 7", res[0].Iterations)
	}
}

func TestOptionsAndData(t *testing.T) {
	good := Data{X: []fr.Vector{make(fr.Vector, 3)}, Y: make(fr.Vector, 3), Frac: 24}
	for _, c := range []struct {
		name string
		data Data
		opts Options
		want string // a fragment of the error
	}{
		{"no features", Data{Y: make(fr.Vector, 3)}, Options{}, "no features"},
		{"one row", Data{X: []fr.Vector{make(fr.Vector, 1)}, Y: make(fr.Vector, 1)}, Options{}, "1 rows: need at least 2"},
		{"ragged", Data{X: []fr.Vector{make(fr.Vector, 2)}, Y: make(fr.Vector, 3)}, Options{}, "feature 0 has 2 rows, the outcome has 3"},
		{"names", Data{Features: []string{"a", "b"}, X: good.X, Y: good.Y}, Options{}, "2 feature names for 1 columns"},
		{"negative alpha", good, Options{Alpha: -1}, "alpha -1"},
		{"NaN alpha", good, Options{Alpha: math.NaN()}, "alpha NaN"},
		{"negative tolerance", good, Options{Tol: -1}, "tolerance -1"},
		{"fraction bits", good, Options{FracBits: 60}, "60 fractional bits: want 24 to 40"},
		{"input bits", good, Options{InputBits: 65}, "65 input bits"},
		{"data fraction", Data{X: good.X, Y: good.Y, Frac: 70}, Options{}, "70 fractional bits in the data"},
		{"negative MaxIter", good, Options{MaxIter: -1}, "MaxIter -1"},
	} {
		if _, err := NewSolver(nil, c.data, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := NewSolver(nil, good, Options{Alpha: 0.5}); err != nil {
		t.Errorf("valid input rejected: %v", err)
	}
}

func TestReferenceOnExactData(t *testing.T) {
	// y = 2 + 3·x0 - x1 exactly: with alpha 0 the reference recovers it.
	X := [][]float64{{0, 1}, {1, 0}, {2, 3}, {3, 1}, {4, 4}, {5, 2}}
	y := make([]float64, len(X))
	for k, r := range X {
		y[k] = 2 + 3*r[0] - r[1]
	}
	b0, coef, r2 := lassotest.Reference(X, y, 0)
	if math.Abs(b0-2) > 1e-9 || math.Abs(coef[0]-3) > 1e-9 || math.Abs(coef[1]+1) > 1e-9 || math.Abs(r2-1) > 1e-12 {
		t.Errorf("Reference = %v, %v, %v", b0, coef, r2)
	}
	// A penalty beyond alphaMax zeroes every coefficient, and the intercept is the mean.
	b0, coef, r2 = lassotest.Reference(X, y, 1.01*lassotest.AlphaMax(X, y))
	if coef[0] != 0 || coef[1] != 0 || r2 != 0 {
		t.Errorf("Reference above alpha max = %v, %v, %v", b0, coef, r2)
	}
}

// TestReveal checks that every opened value reaches Options.Reveal, exactly as the
// result reports it, and that an error from Reveal stops the fit.
func TestReveal(t *testing.T) {
	X, y := lassotest.Synthetic(9, 200, 3)
	data := share(t, X, y, testFrac)
	for i := range data {
		data[i].Features = []string{"a", "b", "c"}
	}
	type event struct {
		what  string
		value any
	}
	var log [3][]event
	res := run3(t, func(ctx context.Context, e *mpc.Engine, i int) (Result, error) {
		return Fit(ctx, e, data[i], Options{Alpha: 0.05 * lassotest.AlphaMax(X, y), Reveal: func(what string, v any) error {
			log[i] = append(log[i], event{what, v})
			return nil
		}})
	})
	r := res[0]
	var bits []bool
	got := map[string]any{}
	coef := map[string]float64{}
	for _, ev := range log[0] {
		switch ev.what {
		case RevealConverged:
			bits = append(bits, ev.value.(bool))
		case RevealCoefficient:
			c := ev.value.(Coefficient)
			coef[c.Feature] = c.Value
		default:
			got[ev.what] = ev.value
		}
	}
	if len(bits) != len(r.Checks) || !r.Converged || !bits[len(bits)-1] {
		t.Errorf("convergence bits %v, result %v (converged %v)", bits, r.Checks, r.Converged)
	}
	if got[RevealIterations] != r.Iterations || got[RevealIntercept] != r.Intercept || got[RevealR2] != r.R2 || got[RevealGap] != r.Gap {
		t.Errorf("revealed %v, result %+v", got, r)
	}
	for i, name := range data[0].Features {
		if c, ok := coef[name]; !ok || c != r.Coefficients[i] {
			t.Errorf("coefficient %s revealed as %v (%v), result %v", name, c, ok, r.Coefficients[i])
		}
	}
	// An error from Reveal ends the fit with it.
	ctx := context.Background()
	net := memnet.New()
	defer net.Close()
	stop := errors.New("disclosure log full")
	_, err := mpc.RunLocal(ctx, net, rand.Reader, func(ctx context.Context, e *mpc.Engine, r protocol.Role) (Result, error) {
		return Fit(ctx, e, data[r], Options{Alpha: 0.05 * lassotest.AlphaMax(X, y), Reveal: func(string, any) error { return stop }})
	})
	if !errors.Is(err, stop) {
		t.Errorf("fit with a failing Reveal: %v", err)
	}
}

// TestOneFeature fits a single feature (d = 1).
func TestOneFeature(t *testing.T) {
	X, y := lassotest.Synthetic(10, 150, 1)
	alpha := 0.1 * lassotest.AlphaMax(X, y)
	b0, coef, r2 := lassotest.Reference(X, y, alpha)
	res := fit3(t, share(t, X, y, testFrac), Options{Alpha: alpha})
	checkFit(t, "one feature", res[0], b0, coef, r2)
	if !res[0].Converged {
		t.Error("not converged")
	}
}
