package node

import (
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/triad-mpc/triad/protocol"
)

// Config says who a node is and whom it talks to.
type Config struct {
	// Role is the part this node plays in the session.
	Role protocol.Role
	// Listen holds the multiaddrs to listen on, TCP (/ip4/0.0.0.0/tcp/4001) and QUIC
	// (/ip4/0.0.0.0/udp/4001/quic-v1). Only controller-a may leave it empty: it dials
	// both other parties and accepts no connections.
	Listen []string
	// Key is the node's identity; its peer ID is what the other sites configure.
	Key crypto.PrivKey
	// Peers holds, for each of the two other roles, a multiaddr ending in
	// /p2p/<peer id>. The node talks to these peers and to no one else.
	Peers map[protocol.Role]string
	// PeerTimeout bounds how long the node keeps trying to reach each peer before
	// Transport gives up with an error naming it; zero means DefaultPeerTimeout.
	PeerTimeout time.Duration
}

// DefaultPeerTimeout is how long a node waits for a peer unless Config.PeerTimeout
// says otherwise: long enough for three sites' operators to start their nodes by
// hand, short enough that a misconfigured session ends on its own.
const DefaultPeerTimeout = 10 * time.Minute

// Validate checks c and names the first field or value that is wrong.
func (c Config) Validate() error {
	if !c.Role.Valid() {
		return fmt.Errorf("node config: Role: %v is not a role", c.Role)
	}
	if c.PeerTimeout < 0 {
		return fmt.Errorf("node config: PeerTimeout: %v is negative", c.PeerTimeout)
	}
	if c.Key == nil {
		return errors.New("node config: Key: no identity key")
	}
	self, err := peer.IDFromPrivateKey(c.Key)
	if err != nil {
		return fmt.Errorf("node config: Key: %w", err)
	}
	if _, err := parseListen(c.Listen); err != nil {
		return err
	}
	if len(c.Listen) == 0 && c.Role != protocol.ControllerA {
		return fmt.Errorf("node config: Listen: %s accepts connections and needs at least one listen address", c.Role)
	}
	infos, err := parsePeers(c.Role, c.Peers)
	if err != nil {
		return err
	}
	for r, info := range infos {
		if info.ID == self {
			return fmt.Errorf("node config: Peers[%s]: peer ID %s is this node's own", r, info.ID)
		}
	}
	o := c.Role.Others()
	if infos[o[0]].ID == infos[o[1]].ID {
		return fmt.Errorf("node config: Peers: %s and %s have the same peer ID %s", o[0], o[1], infos[o[0]].ID)
	}
	return nil
}

// parseListen parses listen multiaddrs; a /p2p/ part is refused because the node's
// own ID comes from its key.
func parseListen(listen []string) ([]ma.Multiaddr, error) {
	out := make([]ma.Multiaddr, 0, len(listen))
	for i, s := range listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, fmt.Errorf("node config: Listen[%d]: %q is not a multiaddr: %w", i, s, err)
		}
		if _, err := a.ValueForProtocol(ma.P_P2P); err == nil {
			return nil, fmt.Errorf("node config: Listen[%d]: %q names a peer ID; listen addresses must not", i, s)
		}
		out = append(out, a)
	}
	return out, nil
}

// parsePeers checks that peers names exactly the two roles other than self, each
// with a multiaddr that ends in /p2p/<id>.
func parsePeers(self protocol.Role, peers map[protocol.Role]string) (map[protocol.Role]*peer.AddrInfo, error) {
	for r := range peers {
		if !r.Valid() {
			return nil, fmt.Errorf("node config: Peers: %v is not a role", r)
		}
		if r == self {
			return nil, fmt.Errorf("node config: Peers[%s]: a node does not list itself as a peer", r)
		}
	}
	out := make(map[protocol.Role]*peer.AddrInfo, 2)
	for _, r := range self.Others() {
		s, ok := peers[r]
		if !ok || s == "" {
			return nil, fmt.Errorf("node config: Peers[%s]: missing (want a multiaddr ending in /p2p/<peer id>)", r)
		}
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, fmt.Errorf("node config: Peers[%s]: %q is not a multiaddr: %w", r, s, err)
		}
		info, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil {
			return nil, fmt.Errorf("node config: Peers[%s]: %q does not end in /p2p/<peer id>: %w", r, s, err)
		}
		if len(info.Addrs) == 0 {
			return nil, fmt.Errorf("node config: Peers[%s]: %q has a peer ID but no address to dial", r, s)
		}
		out[r] = info
	}
	return out, nil
}

// Option configures a Node.
type Option func(*options)

type options struct {
	tap          func(from, to protocol.Role, msg []byte)
	queue        int
	backoffMin   time.Duration
	backoffMax   time.Duration
	closeTimeout time.Duration
	peerTimeout  time.Duration // from Config.PeerTimeout
	beatEvery    time.Duration
	beatTimeout  time.Duration
	reportEvery  time.Duration                     // how often a peer not reached yet is reported
	failedDial   func(r protocol.Role, why string) // tests: called after each failed attempt
}

func defaultOptions() options {
	return options{
		queue:        4,
		backoffMin:   100 * time.Millisecond,
		backoffMax:   5 * time.Second,
		closeTimeout: 2 * time.Second,
		peerTimeout:  DefaultPeerTimeout,
		beatEvery:    time.Second,
		beatTimeout:  4 * time.Second,
		reportEvery:  10 * time.Second,
	}
}

// WithTap calls f with every message the node receives, as it comes off the wire and
// before Recv returns it. f runs on the link's reader goroutine and must not modify
// msg; a slow f slows that link down.
func WithTap(f func(from, to protocol.Role, msg []byte)) Option {
	return func(o *options) { o.tap = f }
}

// WithQueue sets how many received messages may wait for Recv on each link (default
// 4). When the queue is full the link's reader stops and libp2p flow control stops
// the sender, so memory per link stays below about n·protocol.MaxMessage plus the
// stream window.
func WithQueue(n int) Option {
	return func(o *options) { o.queue = max(n, 1) }
}

// WithBackoff sets the first and the longest wait between attempts to reach a peer
// that is not up yet (default 100 ms doubling up to 5 s).
func WithBackoff(first, longest time.Duration) Option {
	return func(o *options) {
		o.backoffMin = max(first, time.Millisecond)
		o.backoffMax = max(longest, o.backoffMin)
	}
}

// WithCloseTimeout bounds how long Close waits for each peer to acknowledge that it
// has read everything this node sent (default 2 s).
func WithCloseTimeout(d time.Duration) Option {
	return func(o *options) { o.closeTimeout = max(d, 0) }
}

// WithHeartbeat sets how often a quiet link carries a heartbeat (default 1 s) and how
// long a reader that waits on the stream may hear nothing before it takes the peer as
// lost (default 4 s). The timeout must leave room for a few heartbeats to be late
// on a loaded machine.
func WithHeartbeat(every, timeout time.Duration) Option {
	return func(o *options) {
		o.beatEvery = max(every, time.Millisecond)
		o.beatTimeout = max(timeout, 2*o.beatEvery)
	}
}
