package node

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/triad-mpc/triad/protocol"
)

// newNode builds the host and registers the stream handler; it neither knows the
// peers' addresses nor dials yet.
func newNode(ctx context.Context, self protocol.Role, key crypto.PrivKey, listen []ma.Multiaddr, ids [3]peer.ID, o options) (*Node, error) {
	var others []peer.ID
	for _, r := range self.Others() {
		others = append(others, ids[r])
	}
	rm, err := newResourceManager()
	if err != nil {
		return nil, fmt.Errorf("resource manager: %w", err)
	}
	cm, err := connmgr.NewConnManager(4, 16)
	if err != nil {
		rm.Close()
		return nil, fmt.Errorf("connection manager: %w", err)
	}
	n := &Node{
		self:    self,
		opts:    o,
		ids:     ids,
		epoch:   time.Now(),
		lost:    make(chan error, 1),
		broken:  make(chan struct{}),
		aborted: make(chan struct{}),
		closing: make(chan struct{}),
	}
	listenOpt := libp2p.NoListenAddrs
	if len(listen) > 0 {
		listenOpt = libp2p.ListenAddrs(listen...)
	}
	h, err := libp2p.New(
		libp2p.Identity(key),
		listenOpt,
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Security(libp2ptls.ID, libp2ptls.New),
		libp2p.DisableRelay(),
		libp2p.Ping(true), // answers the peers' round-trip measurements
		libp2p.DisableMetrics(),
		libp2p.ConnectionGater(newGater(n.sawStranger, others...)),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
	)
	if err != nil {
		rm.Close()
		cm.Close()
		return nil, fmt.Errorf("start libp2p host for %s: %w", self, err)
	}
	n.host = h
	n.ctx, n.cancel = context.WithCancel(ctx)
	for _, r := range self.Others() {
		n.links[r] = newLink(n, r)
	}
	h.SetStreamHandler(ProtocolID, n.accept)
	h.SetStreamHandler(beatProtocol, n.acceptBeats)
	h.Network().Notify(&network.NotifyBundle{DisconnectedF: n.disconnected})
	log.Infow("node started", "role", self, "id", h.ID(), "addrs", h.Addrs())
	return n, nil
}

// newResourceManager spells out the limits for Triad's traffic instead of relying
// on defaults: the session protocol needs one stream per peer pair, so a handful
// per peer leaves room for a retried handshake and nothing for a flood.
func newResourceManager() (network.ResourceManager, error) {
	limits := rcmgr.DefaultLimits // a copy; its per-protocol maps start out nil
	libp2p.SetDefaultServiceLimits(&limits)
	limits.AddProtocolLimit(ProtocolID,
		rcmgr.BaseLimit{StreamsInbound: 8, StreamsOutbound: 8, Streams: 16, Memory: 256 << 20},
		rcmgr.BaseLimitIncrease{})
	limits.AddProtocolPeerLimit(ProtocolID,
		rcmgr.BaseLimit{StreamsInbound: 4, StreamsOutbound: 4, Streams: 8, Memory: 128 << 20},
		rcmgr.BaseLimitIncrease{})
	limits.AddProtocolLimit(beatProtocol,
		rcmgr.BaseLimit{StreamsInbound: 8, StreamsOutbound: 8, Streams: 16, Memory: 1 << 20},
		rcmgr.BaseLimitIncrease{})
	limits.AddProtocolPeerLimit(beatProtocol,
		rcmgr.BaseLimit{StreamsInbound: 4, StreamsOutbound: 4, Streams: 8, Memory: 1 << 20},
		rcmgr.BaseLimitIncrease{})
	return rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()))
}

// addPeer records a configured peer's addresses for good and shields its
// connections from the connection manager's trimming.
func (n *Node) addPeer(r protocol.Role, addrs []ma.Multiaddr) {
	id := n.ids[r]
	n.host.Peerstore().AddAddrs(id, addrs, peerstore.PermanentAddrTTL)
	n.host.ConnManager().Protect(id, protectTag)
}

// disconnected fails the link whose session stream ran over a connection that has
// just closed: a peer that was killed is noticed at once, even while the link's
// reader waits for Recv to make room and so does not read.
func (n *Node) disconnected(_ network.Network, c network.Conn) {
	for _, r := range n.self.Others() {
		l := n.links[r]
		l.mu.Lock()
		s, st := l.stream, l.st
		l.mu.Unlock()
		if s != nil && st == LinkUp && s.Conn().ID() == c.ID() {
			go l.fail(fmt.Errorf("its connection closed (%s)", c.RemoteMultiaddr()))
		}
	}
}

// stranger is the last peer that the gater turned away.
type stranger struct {
	id   peer.ID
	addr string
	at   time.Duration // since the node started
}

// sawStranger records a peer that is not configured and tried to connect: if a
// configured peer never comes, that may be it, under a key the peer book does not
// know.
func (n *Node) sawStranger(id peer.ID, addr ma.Multiaddr) {
	s := &stranger{id: id, at: n.since()}
	if addr != nil {
		s.addr = addr.String()
	}
	n.stranger.Store(s)
}
