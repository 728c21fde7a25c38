package actors

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	logging "github.com/ipfs/go-log/v2"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/lasso"
	"github.com/triad-mpc/triad/protocol/mpc"
)

var log = logging.Logger("triad/actors")

// Config is what one party needs to run a session.
type Config struct {
	Transport  protocol.Transport
	Params     join.Params
	Table      *join.Table // controllers only
	Disclosure *protocol.Disclosure
	// Peers, if set, reports the link to each other party (bytes, state) for the
	// peer actors; the node supplies it.
	Peers func() map[protocol.Role]PeerStats
	// JoinOnly stops after step 7 (benchmarks of the join).
	JoinOnly bool
}

// PeerStats is what a peer actor shows of its link.
type PeerStats struct {
	Connected bool
	BytesSent int64
	BytesRecv int64
	Event     string
}

// Outcome is one party's view of a finished session.
type Outcome struct {
	Role             protocol.Role
	Schema           join.Schema
	IntersectionSize int
	Steps            []join.StepReport
	Model            *lasso.Result // nil with JoinOnly
}

// messages between the actors
type (
	stageDone struct {
		index int
		err   error
	}
	regressionDone struct {
		result lasso.Result
		err    error
	}
	iterationDone struct {
		k    int
		done bool
		err  error
	}
	tick struct{}
)

// Run runs one party's side of a whole session under an actor system of its own and
// returns when the session ends, fails or ctx is cancelled. reg, if not nil, receives
// every actor's state for the console.
func Run(ctx context.Context, cfg Config, reg *Registry) (*Outcome, error) {
	role := cfg.Transport.Self()
	var party *join.Party
	var err error
	if role == protocol.ThirdParty {
		party, err = join.NewThirdParty(cfg.Transport, cfg.Params, cfg.Disclosure)
	} else {
		party, err = join.NewController(cfg.Transport, cfg.Table, cfg.Params, cfg.Disclosure)
	}
	if err != nil {
		return nil, err
	}
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(quiet{logging.SlogHandler()}).With("system", role.String())
	}))
	defer system.Shutdown()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{}, 1)
	s := &sessionActor{ctx: ctx, cfg: cfg, party: party, reg: reg, done: done, role: role}
	if _, err := system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return s }), "session"); err != nil {
		return nil, fmt.Errorf("start session actor: %w", err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if s.err != nil {
		return nil, s.err
	}
	return s.outcome, nil
}

// sessionActor runs the stages of steps 1–7 in order, then the regression.
type sessionActor struct {
	ctx     context.Context
	cfg     Config
	role    protocol.Role
	party   *join.Party
	stages  []join.Stage
	reg     *Registry
	done    chan<- struct{}
	outcome *Outcome
	err     error
	started time.Time
	over    bool // finish has run
}

func (s *sessionActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		s.started = time.Now()
		s.stages = s.party.Stages()
		s.reg.set("session", "session", func(st *ActorState) {
			st.Status, st.LastEvent = "running", fmt.Sprintf("%s: session started", s.role)
		})
		s.reg.watch("session", func(st *ActorState) { st.BytesSent = s.party.Status().BytesSent })
		for _, r := range s.role.Others() {
			s.spawnPeer(c, r)
		}
		s.spawnStage(c, 0)
	case stageDone:
		if m.err != nil {
			s.finish(c, m.err)
			return
		}
		if m.index+1 < len(s.stages) {
			s.spawnStage(c, m.index+1)
			return
		}
		s.outcome = &Outcome{Role: s.role, Schema: s.party.Schema(), IntersectionSize: s.party.IntersectionSize(),
			Steps: s.party.Report()}
		if s.cfg.JoinOnly {
			s.party.TakeResult() // nothing to fit: let the shares go
			s.finish(c, nil)
			return
		}
		r := &regressionActor{session: s}
		if _, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return r }), "regression"); err != nil {
			s.finish(c, err)
		}
	case regressionDone:
		if m.err != nil {
			s.finish(c, fmt.Errorf("step 8 (regression): %w", m.err))
			return
		}
		s.outcome.Model = &m.result
		s.finish(c, nil)
	}
}

func (s *sessionActor) finish(c actor.Context, err error) {
	if s.over {
		return
	}
	s.over = true
	s.err = err
	if err != nil {
		join.Abort(s.ctx, s.cfg.Transport, err)
	}
	s.reg.set("session", "session", func(st *ActorState) {
		st.BytesSent = s.party.Status().BytesSent
		if err != nil {
			st.Status, st.LastEvent = "failed", err.Error()
			return
		}
		st.Status = "done"
		st.LastEvent = fmt.Sprintf("session finished in %.1fs", time.Since(s.started).Seconds())
	})
	if err != nil {
		log.Errorw("session failed", "role", s.role.String(), "err", err)
	} else {
		log.Infow("session finished", "role", s.role.String(), "seconds", time.Since(s.started).Seconds())
	}
	s.done <- struct{}{}
}

// spawnStage starts the actor for stage i. The stage's protocol work runs on its own
// goroutine so the actor's mailbox stays responsive; the result comes back as a message.
func (s *sessionActor) spawnStage(c actor.Context, i int) {
	st := s.stages[i]
	path := "session/" + st.Name
	parent := c.Self()
	props := actor.PropsFromFunc(func(ac actor.Context) {
		if _, ok := ac.Message().(*actor.Started); !ok {
			return
		}
		s.reg.set(path, "stage", func(a *ActorState) {
			a.Status, a.Steps, a.LastEvent = "running", st.Steps, "started"
		})
		s.reg.watch(path, func(a *ActorState) {
			ps := s.party.Status()
			if ps.Stage == st.Name {
				a.Done, a.Total = ps.Done, ps.Total
			}
		})
		log.Infow("stage started", "role", s.role.String(), "stage", st.Name, "steps", st.Steps)
		self := ac.Self()
		system := ac.ActorSystem()
		go func() {
			err := s.party.RunStage(s.ctx, st)
			rep := s.party.Report()
			s.reg.set(path, "stage", func(a *ActorState) {
				if len(rep) > 0 {
					last := rep[len(rep)-1]
					a.BytesSent = last.BytesSent
					a.LastEvent = fmt.Sprintf("finished in %.2fs", last.Seconds)
				}
				a.Status = "done"
				if err != nil {
					a.Status, a.LastEvent = "failed", err.Error()
				}
			})
			system.Root.Send(parent, stageDone{index: i, err: err})
			system.Root.Stop(self)
		}()
	})
	if _, err := c.SpawnNamed(props, st.Name); err != nil {
		s.finish(c, err)
	}
}

// spawnPeer starts the actor that watches the link to one other party.
func (s *sessionActor) spawnPeer(c actor.Context, r protocol.Role) {
	path := "peer/" + r.String()
	props := actor.PropsFromFunc(func(ac actor.Context) {
		switch ac.Message().(type) {
		case *actor.Started:
			s.reg.set(path, "peer", func(a *ActorState) { a.Status, a.LastEvent = "running", "watching link" })
			self, system := ac.Self(), ac.ActorSystem()
			go func() {
				t := time.NewTicker(500 * time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-s.ctx.Done():
						return
					case <-t.C:
						system.Root.Send(self, tick{})
					}
				}
			}()
		case tick:
			if s.cfg.Peers == nil {
				return
			}
			ps, ok := s.cfg.Peers()[r]
			if !ok {
				return
			}
			s.reg.set(path, "peer", func(a *ActorState) {
				a.BytesSent, a.BytesRecv = ps.BytesSent, ps.BytesRecv
				a.Status = "running"
				if !ps.Connected {
					a.Status = "waiting"
				}
				if ps.Event != "" {
					a.LastEvent = ps.Event
				}
			})
		case *actor.Stopping:
			s.reg.set(path, "peer", func(a *ActorState) { a.Status = "stopped" })
		}
	})
	if _, err := c.SpawnNamed(props, "peer-"+r.String()); err != nil {
		log.Warnw("peer actor not started", "peer", r.String(), "err", err)
	}
}

// regressionActor runs step 8: it prepares the solver and spawns one actor per iteration.
type regressionActor struct {
	session *sessionActor
	eng     *mpc.Engine
	solver  *lasso.Solver
	parent  *actor.PID
}

func (g *regressionActor) Receive(c actor.Context) {
	s := g.session
	const path = "session/regression"
	switch m := c.Message().(type) {
	case *actor.Started:
		g.parent = c.Parent()
		s.reg.set(path, "regression", func(a *ActorState) {
			a.Status, a.Steps, a.LastEvent = "running", "8", "computing sufficient statistics"
		})
		self, system := c.Self(), c.ActorSystem()
		go func() {
			err := g.prepare()
			system.Root.Send(self, iterationDone{k: 0, err: err})
		}()
	case iterationDone:
		if m.err != nil {
			c.Send(g.parent, regressionDone{err: m.err})
			return
		}
		if m.k > 0 {
			s.reg.forget(fmt.Sprintf("%s/iteration-%d", path, m.k-1))
		}
		s.reg.set(path, "regression", func(a *ActorState) {
			a.Done, a.Total = int64(m.k), int64(s.cfg.Params.Model.MaxIter)
			a.Rounds, a.BytesSent = int64(g.eng.Rounds()), g.eng.BytesSent()
			a.LastEvent = fmt.Sprintf("iteration %d", m.k)
		})
		if m.done || m.k >= s.cfg.Params.Model.MaxIter {
			self, system := c.Self(), c.ActorSystem()
			go func() {
				res, err := g.solver.Finish(s.ctx)
				if err == nil {
					err = g.record(res)
				}
				s.reg.set(path, "regression", func(a *ActorState) {
					a.Status, a.LastEvent = "done", fmt.Sprintf("finished after %d iterations", res.Iterations)
					if err != nil {
						a.Status, a.LastEvent = "failed", err.Error()
					}
				})
				system.Root.Send(self, regressionDone{result: res, err: err})
			}()
			return
		}
		g.spawnIteration(c, m.k+1)
	case regressionDone:
		c.Send(g.parent, m)
	}
}

func (g *regressionActor) prepare() error {
	s := g.session
	sh := s.party.TakeResult() // the solver keeps what it needs; the rest can go
	data := lasso.Data{Frac: sh.Frac}
	for i, name := range sh.Columns {
		if name == sh.Outcome {
			data.Y = sh.Cols[i]
			continue
		}
		data.Features = append(data.Features, name)
		data.X = append(data.X, sh.Cols[i])
	}
	eng, err := mpc.New(s.ctx, s.cfg.Transport, rand.Reader)
	if err != nil {
		return err
	}
	g.eng = eng
	solver, err := lasso.NewSolver(g.eng, data, lasso.Options{
		Alpha: s.cfg.Params.Model.Alpha, MaxIter: s.cfg.Params.Model.MaxIter, Tol: s.cfg.Params.Model.Tol,
	})
	if err != nil {
		return err
	}
	g.solver = solver
	return solver.Prepare(s.ctx)
}

// spawnIteration starts the actor for iteration k; it runs one solver step and reports.
func (g *regressionActor) spawnIteration(c actor.Context, k int) {
	s := g.session
	path := fmt.Sprintf("session/regression/iteration-%d", k)
	parent := c.Self()
	props := actor.PropsFromFunc(func(ac actor.Context) {
		if _, ok := ac.Message().(*actor.Started); !ok {
			return
		}
		s.reg.set(path, "iteration", func(a *ActorState) { a.Status, a.Steps, a.LastEvent = "running", "8", "step" })
		self, system := ac.Self(), ac.ActorSystem()
		go func() {
			done, err := g.solver.Step(s.ctx)
			system.Root.Send(parent, iterationDone{k: k, done: done, err: err})
			system.Root.Stop(self)
		}()
	})
	if _, err := c.SpawnNamed(props, fmt.Sprintf("iteration-%d", k)); err != nil {
		c.Send(c.Self(), iterationDone{k: k, err: err})
	}
}

// record writes what step 8 opened to the disclosure log.
func (g *regressionActor) record(res lasso.Result) error {
	s := g.session
	d := s.cfg.Disclosure
	for _, e := range []struct {
		what  string
		value any
	}{
		{"convergence_bits", res.Checks},
		{"iterations", res.Iterations},
		{"intercept", res.Intercept},
		{"coefficients", res.Coefficients},
		{"r2", res.R2},
	} {
		if err := d.Record(8, s.role, e.what, e.value); err != nil {
			return err
		}
	}
	return nil
}

// quiet passes on only warnings and errors of the actor system's own logging (it
// announces every system start at info level).
type quiet struct{ slog.Handler }

func (q quiet) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && q.Handler.Enabled(ctx, l)
}

func (q quiet) WithAttrs(attrs []slog.Attr) slog.Handler { return quiet{q.Handler.WithAttrs(attrs)} }
func (q quiet) WithGroup(name string) slog.Handler       { return quiet{q.Handler.WithGroup(name)} }
