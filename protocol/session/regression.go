package session

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/lasso"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// Regression is one party's step 8: the secure lasso fit on the shares step 7 left.
// Run Prepare, then Step until it reports done (or MaxIter steps), then Finish; each
// call is a unit an actor can own.
type Regression struct {
	s      *Session
	shares *join.Shares // step 7's, until the statistics are computed
	eng    *mpc.Engine
	solver *lasso.Solver
	start  time.Time
}

// Regression hands the joined table's shares over to step 8: the session forgets them,
// the solver keeps what it needs. It may be called once, after the last stage.
func (s *Session) Regression(ctx context.Context) (*Regression, error) {
	start := time.Now()
	sh := s.TakeShares()
	if sh == nil {
		return nil, errors.New("session: step 8 needs the shares of step 7, and they are gone or not made")
	}
	data := lassoData(sh)
	eng, err := mpc.New(ctx, s.t, rand.Reader)
	if err != nil {
		sh.Wipe()
		return nil, err
	}
	m := s.settings.Model
	solver, err := lasso.NewSolver(eng, data, lasso.Options{Alpha: m.Alpha, MaxIter: m.MaxIter, Tol: m.Tol})
	if err != nil {
		sh.Wipe()
		return nil, err
	}
	s.mu.Lock()
	s.stage = "regression"
	s.mu.Unlock()
	return &Regression{s: s, shares: sh, eng: eng, solver: solver, start: start}, nil
}

// lassoData turns step 7's shares into step 8's input: the outcome column and every
// other column as a feature, in schema order.
func lassoData(sh *join.Shares) lasso.Data {
	data := lasso.Data{Frac: sh.Frac}
	for i, name := range sh.Columns {
		if name == sh.Outcome {
			data.Y = sh.Cols[i]
			continue
		}
		data.Features = append(data.Features, name)
		data.X = append(data.X, sh.Cols[i])
	}
	return data
}

// MaxIter returns the iteration limit.
func (g *Regression) MaxIter() int { return g.s.settings.Model.MaxIter }

// Rounds returns the communication rounds of step 8 so far.
func (g *Regression) Rounds() int { return g.eng.Rounds() }

// BytesSent returns the bytes this party has sent in step 8 so far.
func (g *Regression) BytesSent() int64 { return g.eng.BytesSent() }

// Prepare computes the sufficient statistics and standardises the problem. The joined
// table's shares are wiped afterwards, whatever the outcome: the solver needs only
// the statistics.
func (g *Regression) Prepare(ctx context.Context) error {
	defer func() {
		g.shares.Wipe()
		g.shares = nil
	}()
	return g.solver.Prepare(ctx)
}

// Step runs one solver iteration; done reports convergence or the iteration limit.
func (g *Regression) Step(ctx context.Context) (done bool, err error) {
	done, err = g.solver.Step(ctx)
	return done || g.solver.Iteration() >= g.MaxIter(), err
}

// Finish opens the model, writes what step 8 opened to the disclosure log, and adds
// step 8 to the session's stage reports.
func (g *Regression) Finish(ctx context.Context) (lasso.Result, error) {
	res, err := g.solver.Finish(ctx)
	g.s.addReport(StageReport{Name: "regression", Steps: "8", Start: g.start, End: time.Now(),
		BytesSent: g.eng.BytesSent(), Rounds: g.eng.Rounds()})
	if err != nil {
		return res, err
	}
	return res, g.record(res)
}

// record writes what step 8 opened to the disclosure log. Step 8's values are opened
// jointly: every party learns them from all three at once.
func (g *Regression) record(res lasso.Result) error {
	s := g.s
	coef := make(map[string]float64, len(res.Coefficients))
	for i, name := range s.schema.Features() {
		coef[name] = res.Coefficients[i]
	}
	for _, e := range []struct {
		what  string
		value any
	}{
		{"convergence_bits", res.Checks},
		{"iterations", res.Iterations},
		{"intercept", res.Intercept},
		{"coefficients", coef},
		{"r2", res.R2},
	} {
		if err := s.log.Record(8, protocol.All, e.what, e.value); err != nil {
			return err
		}
	}
	return nil
}
