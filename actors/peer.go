package actors

import (
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/triad-mpc/triad/protocol"
)

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
			peers := s.cfg.Peers()
			i := slices.IndexFunc(peers, func(p PeerState) bool { return p.Role == r.String() })
			if i < 0 {
				return
			}
			ps := peers[i]
			s.reg.set(path, "peer", func(a *ActorState) {
				a.BytesSent, a.BytesRecv = ps.BytesSent, ps.BytesRecv
				a.Status = "running"
				if !ps.Connected {
					a.Status = "waiting"
				}
				a.LastEvent = "link " + ps.State
				if ps.Error != "" {
					a.LastEvent += ": " + ps.Error
				}
			})
		case *actor.Stopping:
			s.reg.set(path, "peer", func(a *ActorState) { a.Status = "stopped" })
		}
	}, s.reg.Observe(path, "peer")...)
	if _, err := c.SpawnNamed(props, "peer-"+r.String()); err != nil {
		log.Warnw("peer actor not started", "peer", r.String(), "err", err)
	}
}
