package node

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/p2p/protocol/ping"

	"github.com/triad-mpc/triad/protocol"
)

// rttEvery is how often a node measures the round-trip time to each peer, for the
// console: often enough to see a link slow down, rarely enough to cost nothing.
const rttEvery = 5 * time.Second

// measureRTT pings peer r with libp2p's ping protocol (on a stream of its own, never
// the session's) every rttEvery once the session stream is up, until the node closes.
func (n *Node) measureRTT(r protocol.Role) {
	defer n.wg.Done()
	l := n.links[r]
	select {
	case <-l.up:
	case <-n.ctx.Done():
		return
	}
	t := time.NewTicker(rttEvery)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(n.ctx, rttEvery)
		res, ok := <-ping.Ping(ctx, n.host, n.ids[r])
		cancel()
		if ok && res.Error == nil {
			l.rtt.Store(int64(res.RTT))
		}
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
	}
}
