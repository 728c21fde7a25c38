// Package site holds what the triad commands need to run a party over a libp2p node:
// the debug console, progress lines, and the node's link statistics for the actors and
// the console.
package site

import (
	"fmt"
	"io"

	logging "github.com/ipfs/go-log/v2"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/actors/console"
	"github.com/triad-mpc/triad/cmd/internal/progress"
	"github.com/triad-mpc/triad/node"
)

var log = logging.Logger("triad/cmd")

// StartConsole serves the debug console on addr (host:port) until the returned stop
// function is called, and tells the operator where (with the token it needs when addr
// is not loopback). The console shows the session's state, never data.
func StartConsole(addr string, w io.Writer, parties ...console.Party) (stop func(), err error) {
	s, err := console.Start(addr, parties...)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "debug console: %s\n", s.URL())
	if s.Token() != "" {
		fmt.Fprintf(w, "debug console token (every request needs it; triad console %s --token %s): %s\n", s.Addr(), s.Token(), s.Token())
	}
	return func() {
		if err := s.Close(); err != nil {
			log.Warnw("console stopped", "err", err)
		}
	}, nil
}

// PeerLinks adapts a node's link statistics for the console's peer table.
func PeerLinks(n *node.Node) func() []actors.PeerState {
	return func() []actors.PeerState {
		st := n.Stats()
		out := make([]actors.PeerState, 0, len(st.Peers))
		for r, p := range st.Peers {
			out = append(out, actors.PeerState{
				Role: r.String(), PeerID: p.ID.String(), Address: p.Remote, State: p.State.String(),
				Connected: p.Connected, RTTMillis: p.RTT.Seconds() * 1000,
				BytesSent: p.BytesSent, BytesRecv: p.BytesReceived, Error: p.Error,
			})
		}
		return out
	}
}

// ShowProgress prints progress lines for reg's long steps to w until the returned
// function is called; with no w it does nothing.
func ShowProgress(w io.Writer, reg *actors.Registry) (stop func()) {
	if w == nil {
		return func() {}
	}
	return progress.Start(w, func() []actors.StepState { return reg.State().Steps })
}
