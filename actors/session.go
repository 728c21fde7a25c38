package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	logging "github.com/ipfs/go-log/v2"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/lasso"
	"github.com/triad-mpc/triad/protocol/session"
)

var log = logging.Logger("triad/actors")

// Config is what one party needs to run a session.
type Config struct {
	Transport  protocol.Transport
	Settings   session.Settings
	Options    []session.Option
	Table      *join.Table // controllers only
	Disclosure *protocol.Disclosure
	// Peers, if set, reports the links to the other parties (state, bytes) for the
	// peer actors; the node supplies it, as it does the console's peer table.
	Peers func() []PeerState
	// Lost, if set, delivers the first failure of a link to another party (the node
	// supplies it): the session fails at once, whatever stage it is in, instead of at
	// its next send or receive.
	Lost <-chan error
}

// messages between the actors
type (
	stageDone struct {
		index int
		err   error
	}
	regressionDone struct {
		result lasso.Result
		cv     *lasso.CVResult
		err    error
	}
	iterationDone struct {
		k    int
		done bool
		err  error
	}
	tick struct{}
	lost struct{ err error }
)

// Run runs one party's side of a whole session under an actor system of its own and
// returns when the session ends, fails or ctx is cancelled. reg, if not nil, receives
// every actor's state for the console. Whatever ends the session, a failing party
// tells the others why before Run returns.
func Run(ctx context.Context, cfg Config, reg *Registry) (*session.Outcome, error) {
	sess, err := session.New(cfg.Transport, cfg.Settings, cfg.Table, cfg.Disclosure, cfg.Options...)
	if err != nil {
		return nil, err
	}
	role := sess.Role()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(quiet{logging.SlogHandler()}).With("system", role.String())
	}))
	defer system.Shutdown()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{}, 1)
	reg.WatchDisclosure(cfg.Disclosure)
	s := &sessionActor{ctx: ctx, cfg: cfg, sess: sess, reg: reg, done: done, role: role}
	pid, err := system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return s }, reg.Observe("session", "session")...), "session")
	if err != nil {
		return nil, fmt.Errorf("start session actor: %w", err)
	}
	if cfg.Lost != nil {
		go func() {
			select {
			case err := <-cfg.Lost:
				system.Root.Send(pid, lost{err})
			case <-ctx.Done():
			}
		}()
	}
	select {
	case <-done:
	case <-ctx.Done():
		sess.Abort(ctx, ctx.Err())
		return nil, ctx.Err()
	}
	if s.err != nil {
		return nil, s.err
	}
	return s.outcome, nil
}

// sessionActor runs the stages of steps 0–7 in order, then the regression.
type sessionActor struct {
	ctx     context.Context
	cfg     Config
	role    protocol.Role
	sess    *session.Session
	stages  []session.Stage
	current string // the stage running, as "step N (name)"
	reg     *Registry
	done    chan<- struct{}
	outcome *session.Outcome
	err     error
	started time.Time
	over    bool // finish has run
}

func (s *sessionActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		s.started = time.Now()
		s.stages = s.sess.Stages()
		for _, st := range s.stages {
			s.reg.PlanSteps(StepPlan{Name: st.Name, Steps: st.Steps})
		}
		if !s.sess.JoinOnly() {
			s.reg.PlanSteps(StepPlan{Name: "regression", Steps: "8", Unit: "iterations", Bounded: true})
		}
		s.reg.set("session", "session", func(st *ActorState) {
			st.Status, st.LastEvent = "running", fmt.Sprintf("%s: session started", s.role)
		})
		s.reg.watch("session", func(st *ActorState) { st.BytesSent = s.sess.Status().BytesSent })
		for _, r := range s.role.Others() {
			s.spawnPeer(c, r)
		}
		s.spawnStage(c, 0)
	case stageDone:
		if m.err != nil {
			s.finish(m.err)
			return
		}
		if m.index+1 < len(s.stages) {
			s.spawnStage(c, m.index+1)
			return
		}
		s.outcome = s.sess.Outcome()
		if s.sess.JoinOnly() {
			s.sess.TakeShares().Wipe()
			s.finish(nil)
			return
		}
		s.current = "step 8 (regression)"
		r := &regressionActor{session: s}
		if _, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return r }, s.reg.Observe("session/regression", "regression")...), "regression"); err != nil {
			s.finish(err)
		}
	case regressionDone:
		if m.err != nil {
			s.finish(fmt.Errorf("step 8 (regression): %w", m.err))
			return
		}
		s.outcome.Model, s.outcome.CV = &m.result, m.cv
		s.outcome.Stages = s.sess.Report()
		s.finish(nil)
	case lost:
		var ab *protocol.AbortedError
		if errors.As(m.err, &ab) {
			s.finish(m.err)
			return
		}
		s.finish(fmt.Errorf("%s: %w", s.current, m.err))
	}
}

// finish ends the session once: a failing party tells the others, then the state the
// console shows is updated and Run is released.
func (s *sessionActor) finish(err error) {
	if s.over {
		return
	}
	s.over = true
	s.err = err
	if err != nil {
		s.sess.Abort(s.ctx, err)
	}
	s.sess.Wipe()
	s.reg.set("session", "session", func(st *ActorState) {
		st.BytesSent = s.sess.Status().BytesSent
		if err != nil {
			st.Status, st.LastEvent = "failed", err.Error()
			return
		}
		st.Status = "done"
		st.LastEvent = fmt.Sprintf("session finished in %.1fs", time.Since(s.started).Seconds())
	})
	if err != nil {
		log.Debugw("session failed", "role", s.role.String(), "err", err)
	} else {
		log.Infow("session finished", "role", s.role.String(), "seconds", time.Since(s.started).Seconds())
	}
	s.done <- struct{}{}
}

// quiet passes on only warnings and errors of the actor system's own logging (it
// announces every system start at info level).
type quiet struct{ slog.Handler }

func (q quiet) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && q.Handler.Enabled(ctx, l)
}

func (q quiet) WithAttrs(attrs []slog.Attr) slog.Handler { return quiet{q.Handler.WithAttrs(attrs)} }
func (q quiet) WithGroup(name string) slog.Handler       { return quiet{q.Handler.WithGroup(name)} }
