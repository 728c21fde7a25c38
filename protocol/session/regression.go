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

// Regression is one party's step 8: the secure lasso fit on the shares step 7 left,
// after a cross-validation that chooses α when the settings ask for one. Run Prepare,
// then Step until it reports done, then Finish; each call is a unit an actor can own.
// Every value step 8 opens is written to the disclosure log the moment it is opened.
type Regression struct {
	s      *Session
	shares *join.Shares // step 7's, until the statistics are computed
	eng    *mpc.Engine
	cv     *lasso.CV     // the cross-validation, until it has chosen α
	solver *lasso.Solver // the final fit, once α is known
	cvRes  *lasso.CVResult
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
	opts := lasso.Options{Alpha: m.Alpha, MaxIter: m.MaxIter, Tol: m.Tol, Reveal: func(what string, v any) error {
		return s.log.Record(8, protocol.All, what, v)
	}}
	g := &Regression{s: s, shares: sh, eng: eng, start: start}
	if m.CV > 0 {
		g.cv, err = lasso.NewCV(eng, data, opts, lasso.CVOptions{Folds: m.CV, NAlphas: m.NAlphas, Alphas: m.Alphas, Rule: m.CVRule})
	} else {
		g.solver, err = lasso.NewSolver(eng, data, opts)
	}
	if err != nil {
		sh.Wipe()
		return nil, err
	}
	s.mu.Lock()
	s.stage = "regression"
	s.mu.Unlock()
	return g, nil
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

// MaxIter returns the iteration limit of a fit.
func (g *Regression) MaxIter() int { return g.s.settings.Model.MaxIter }

// Rounds returns the communication rounds of step 8 so far.
func (g *Regression) Rounds() int { return g.eng.Rounds() }

// BytesSent returns the bytes this party has sent in step 8 so far.
func (g *Regression) BytesSent() int64 { return g.eng.BytesSent() }

// CV returns the cross-validation's result once it has chosen α, or nil.
func (g *Regression) CV() *lasso.CVResult { return g.cvRes }

// Prepare computes the sufficient statistics (per fold, with cross-validation) and
// standardises the problem. The joined table's shares are wiped afterwards, whatever
// the outcome: the solver needs only the statistics.
func (g *Regression) Prepare(ctx context.Context) error {
	defer func() {
		g.shares.Wipe()
		g.shares = nil
	}()
	if g.cv != nil {
		return g.cv.Prepare(ctx)
	}
	return g.solver.Prepare(ctx)
}

// Step runs one solver iteration (of every fold, during cross-validation); done
// reports that the final fit converged or reached the iteration limit (the solver
// counts it).
func (g *Regression) Step(ctx context.Context) (done bool, err error) {
	if g.cv != nil {
		done, err := g.cv.Step(ctx)
		if err != nil || !done {
			return false, err
		}
		res, solver, err := g.cv.Finish(ctx)
		if err != nil {
			return false, err
		}
		g.cv, g.cvRes, g.solver = nil, &res, solver
		return false, nil
	}
	return g.solver.Step(ctx)
}

// Finish opens the model, each value written to the disclosure log as it is opened,
// and adds step 8 to the session's stage reports.
func (g *Regression) Finish(ctx context.Context) (lasso.Result, error) {
	if g.solver == nil {
		return lasso.Result{}, errors.New("session: step 8 finished before its cross-validation chose α")
	}
	res, err := g.solver.Finish(ctx)
	g.s.addReport(StageReport{Name: "regression", Steps: "8", Start: g.start, End: time.Now(),
		BytesSent: g.eng.BytesSent(), Rounds: g.eng.Rounds()})
	return res, err
}
