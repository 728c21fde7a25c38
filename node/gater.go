package node

import (
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// gater admits connections with the configured peers only, on dial and on accept.
// The peer ID of an inbound connection is known only once the security handshake
// has authenticated it, so InterceptSecured is where strangers are turned away; the
// dialer's Connect may still return before the refusal reaches it, which is why a
// Triad link counts as up only after the hello exchange on the session stream.
type gater struct {
	allowed map[peer.ID]bool
}

func newGater(ids ...peer.ID) *gater {
	g := &gater{allowed: make(map[peer.ID]bool, len(ids))}
	for _, id := range ids {
		g.allowed[id] = true
	}
	return g
}

func (g *gater) InterceptPeerDial(p peer.ID) bool {
	if !g.allowed[p] {
		log.Warnw("refused to dial a peer that is not configured", "id", p)
		return false
	}
	return true
}

func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g.allowed[p] }

// InterceptAccept lets every inbound connection through to the handshake: it has no
// peer ID yet to check.
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool { return true }

func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, addrs network.ConnMultiaddrs) bool {
	if !g.allowed[p] {
		log.Warnw("refused a connection from a peer that is not configured", "id", p, "addr", addrs.RemoteMultiaddr(), "direction", dir)
		return false
	}
	return true
}

func (g *gater) InterceptUpgraded(c network.Conn) (bool, control.DisconnectReason) {
	if !g.allowed[c.RemotePeer()] {
		log.Warnw("refused a connection from a peer that is not configured", "id", c.RemotePeer(), "addr", c.RemoteMultiaddr())
		return false, 0
	}
	return true, 0
}
