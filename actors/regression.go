package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/triad-mpc/triad/protocol/session"
)

// regressionActor runs step 8: it prepares the solver and spawns one actor per iteration.
type regressionActor struct {
	session *sessionActor
	reg     *session.Regression
	parent  *actor.PID
}

func (g *regressionActor) Receive(c actor.Context) {
	s := g.session
	const path = "session/regression"
	switch m := c.Message().(type) {
	case *actor.Started:
		g.parent = c.Parent()
		log.Infow("stage started", "role", s.role.String(), "stage", "regression", "steps", "8")
		s.reg.set(path, "regression", func(a *ActorState) {
			a.Status, a.Steps, a.LastEvent = "running", "8", "computing sufficient statistics"
		})
		s.reg.StartStep("regression")
		self, system := c.Self(), c.ActorSystem()
		go func() {
			reg, err := s.sess.Regression(s.ctx)
			if err == nil {
				g.reg = reg
				err = reg.Prepare(s.ctx)
			}
			system.Root.Send(self, iterationDone{k: 0, err: err})
		}()
	case iterationDone:
		if m.err != nil {
			s.reg.EndStep("regression", 0, m.err)
			c.Send(g.parent, regressionDone{err: m.err})
			return
		}
		if m.k > 0 { // the iteration is over: only the running one is shown
			s.reg.forget(fmt.Sprintf("%s/iteration-%d", path, m.k))
		}
		s.reg.set(path, "regression", func(a *ActorState) {
			a.Done, a.Total = int64(m.k), int64(g.reg.MaxIter())
			a.Rounds, a.BytesSent = int64(g.reg.Rounds()), g.reg.BytesSent()
			a.LastEvent = fmt.Sprintf("iteration %d", m.k)
		})
		s.reg.StepProgress("regression", int64(m.k), int64(g.reg.MaxIter()))
		if m.done {
			self, system := c.Self(), c.ActorSystem()
			go func() {
				res, err := g.reg.Finish(s.ctx)
				s.reg.EndStep("regression", g.reg.BytesSent(), err)
				s.reg.set(path, "regression", func(a *ActorState) {
					a.Status, a.LastEvent = "done", fmt.Sprintf("finished after %d iterations", res.Iterations)
					if err != nil {
						a.Status, a.LastEvent = "failed", err.Error()
					}
				})
				system.Root.Send(self, regressionDone{result: res, cv: g.reg.CV(), err: err})
			}()
			return
		}
		g.spawnIteration(c, m.k+1)
	case regressionDone:
		c.Send(g.parent, m)
	}
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
			done, err := g.reg.Step(s.ctx)
			system.Root.Send(parent, iterationDone{k: k, done: done, err: err})
			system.Root.Stop(self)
		}()
	}, s.reg.Observe(path, "iteration")...)
	if _, err := c.SpawnNamed(props, fmt.Sprintf("iteration-%d", k)); err != nil {
		c.Send(c.Self(), iterationDone{k: k, err: err})
	}
}
