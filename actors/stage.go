package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
)

// spawnStage starts the actor for stage i. The stage's protocol work runs on its own
// goroutine so the actor's mailbox stays responsive; the result comes back as a message.
func (s *sessionActor) spawnStage(c actor.Context, i int) {
	st := s.stages[i]
	s.current = fmt.Sprintf("step %s (%s)", st.Steps, st.Name)
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
			ps := s.sess.Status()
			if ps.Stage == st.Name {
				a.Done, a.Total = ps.Done, ps.Total
			}
		})
		s.reg.StartStep(st.Name)
		s.reg.WatchStep(st.Name, func() (int64, int64) {
			if ps := s.sess.Status(); ps.Stage == st.Name {
				return ps.Done, ps.Total
			}
			return 0, 0
		})
		log.Infow("stage started", "role", s.role.String(), "stage", st.Name, "steps", st.Steps)
		self := ac.Self()
		system := ac.ActorSystem()
		go func() {
			err := s.sess.RunStage(s.ctx, st)
			rep := s.sess.Report()
			var sent int64
			if len(rep) > 0 {
				sent = rep[len(rep)-1].BytesSent
			}
			s.reg.EndStep(st.Name, sent, err)
			s.reg.set(path, "stage", func(a *ActorState) {
				if len(rep) > 0 {
					last := rep[len(rep)-1]
					a.BytesSent = last.BytesSent
					a.LastEvent = fmt.Sprintf("finished in %.2fs", last.Seconds())
				}
				a.Status = "done"
				if err != nil {
					a.Status, a.LastEvent = "failed", err.Error()
				}
			})
			system.Root.Send(parent, stageDone{index: i, err: err})
			system.Root.Stop(self)
		}()
	}, s.reg.Observe(path, "stage")...)
	if _, err := c.SpawnNamed(props, st.Name); err != nil {
		s.finish(err)
	}
}
