package node

import (
	"sync"

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
	allowed  map[peer.ID]bool
	stranger func(peer.ID, ma.Multiaddr) // told of every refused peer

	mu     sync.Mutex
	warned map[peer.ID]bool // strangers already logged at warning level
}

func newGater(stranger func(peer.ID, ma.Multiaddr), ids ...peer.ID) *gater {
	g := &gater{allowed: make(map[peer.ID]bool, len(ids)), stranger: stranger, warned: map[peer.ID]bool{}}
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

// refuse logs a stranger's connection, at warning level the first time only: a
// misconfigured site retries every few seconds.
func (g *gater) refuse(p peer.ID, addr ma.Multiaddr) {
	if g.stranger != nil {
		g.stranger(p, addr)
	}
	g.mu.Lock()
	first := !g.warned[p]
	g.warned[p] = true
	g.mu.Unlock()
	if first {
		log.Warnw("refused a connection from a peer that is not configured", "id", p, "addr", addr)
	} else {
		log.Debugw("refused a connection from a peer that is not configured", "id", p, "addr", addr)
	}
}

func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g.allowed[p] }

// InterceptAccept lets every inbound connection through to the handshake: it has no
// peer ID yet to check.
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool { return true }

func (g *gater) InterceptSecured(_ network.Direction, p peer.ID, addrs network.ConnMultiaddrs) bool {
	if !g.allowed[p] {
		g.refuse(p, addrs.RemoteMultiaddr())
		return false
	}
	return true
}

func (g *gater) InterceptUpgraded(c network.Conn) (bool, control.DisconnectReason) {
	if !g.allowed[c.RemotePeer()] {
		g.refuse(c.RemotePeer(), c.RemoteMultiaddr())
		return false, 0
	}
	return true, 0
}
