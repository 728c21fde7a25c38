// Package node connects one Triad party to the other two over libp2p and carries the
// session's messages between them as a protocol.Transport.
//
// The three parties find each other through a static peer book: for each other role,
// a multiaddr ending in /p2p/<peer id>. There is no relay, no NAT port mapping, no
// DHT and no mDNS. A connection gater admits the two configured peer IDs and no one
// else, whichever side dials, and libp2p's security handshake (Noise or TLS 1.3)
// proves each peer's ID with its Ed25519 key.
//
// Each pair of parties shares one long-lived stream of protocol ProtocolID, opened
// by the party that comes first in role order (controller-a, controller-b,
// third-party). The dialer's hello names its own role and the role it expects to
// reach; the accepting end checks both, and that the dialer's peer ID is the one
// configured for the role it claims, and answers with its own hello or with the
// reason it refuses, so that a misconfigured site learns what is wrong at once.
// After that the stream carries length-prefixed frames of at most
// protocol.MaxMessage bytes. A reader goroutine per stream fills a bounded queue
// that Recv drains: a receiver that falls behind stops reading, libp2p's flow
// control stops its sender, and memory stays bounded; since reading never waits for
// writing, two parties can send each other large batches at once.
//
// A node that cannot reach a peer says so at warning level, with the reason
// (connection refused, another peer ID at that address, a refused hello), keeps
// trying, and gives up after Config.PeerTimeout.
//
// Beside each session stream runs a heartbeat stream, opened by the same party,
// that carries one byte each way every second. It is never held back by flow
// control, so a node that hears no heartbeat for the heartbeat timeout (4 s) knows
// the peer, or the path to it, is gone, however busy either party is and however
// full the session stream's queue; the link fails then, and at once when the
// connection under it closes. A peer that was killed, stopped or cut off is noticed
// within seconds whatever the session is doing, and Lost reports it. A link that fails during a session is not re-established:
// messages in flight would be lost, so the session fails and is run again.
package node

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/triad-mpc/triad/protocol"
)

// ProtocolID names the session stream protocol. Its version changes whenever the
// framing or the hello changes, so mismatched builds refuse each other at once.
const ProtocolID = "/triad/session/1.1.0"

// beatProtocol names the heartbeat stream that runs beside each session stream.
const beatProtocol = "/triad/heartbeat/1.1.0"

const (
	// handshakeTimeout bounds one attempt to connect, open the session stream and
	// exchange hellos.
	handshakeTimeout = 15 * time.Second
	// ioBuffer is the size of each stream's read and write buffers.
	ioBuffer = 64 << 10
	// protectTag marks the configured peers' connections in the connection manager.
	protectTag = "triad-peer"
)

// Node is one party's libp2p host together with its links to the two other parties.
type Node struct {
	self  protocol.Role
	host  host.Host
	opts  options
	ids   [3]peer.ID // indexed by role, own ID included
	links [3]*link   // indexed by role, nil at self

	ctx     context.Context // background dialing; cancelled by Close
	cancel  context.CancelFunc
	closing chan struct{} // closed when Close starts

	epoch    time.Time                // when the node started; link clocks count from it
	stranger atomic.Pointer[stranger] // the last unknown peer that tried to connect

	lostOnce sync.Once

	abortOnce sync.Once
	aborted   chan struct{}          // closed when either peer aborts the session
	abort     *protocol.AbortedError // the first abort notice, set before aborted closes
	lost      chan error             // receives the first link failure, once
	broken    chan struct{}          // closed with that failure
	lostErr   error

	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup // dial loops, stream readers, heartbeats and watchdogs
}

// New starts a node for cfg: it listens on cfg.Listen, accepts session streams from
// the configured peers, and keeps dialing the peers it must open streams to until
// they answer or cfg.PeerTimeout passes. ctx bounds that background dialing; Close
// stops everything.
func New(ctx context.Context, cfg Config, opts ...Option) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	listen, err := parseListen(cfg.Listen)
	if err != nil {
		return nil, err
	}
	infos, err := parsePeers(cfg.Role, cfg.Peers)
	if err != nil {
		return nil, err
	}
	var ids [3]peer.ID
	if ids[cfg.Role], err = peer.IDFromPrivateKey(cfg.Key); err != nil {
		return nil, err
	}
	for r, info := range infos {
		ids[r] = info.ID
	}
	if cfg.PeerTimeout > 0 {
		o.peerTimeout = cfg.PeerTimeout
	}
	n, err := newNode(ctx, cfg.Role, cfg.Key, listen, ids, o)
	if err != nil {
		return nil, err
	}
	for r, info := range infos {
		n.addPeer(r, info.Addrs)
	}
	n.start()
	return n, nil
}

// Loopback starts three nodes on 127.0.0.1 (TCP, ports chosen by the system) with
// fresh in-memory identities, each configured with the other two, indexed by role.
// It is the network of an embedded session that runs all parties in one process.
func Loopback(ctx context.Context, opts ...Option) ([3]*Node, error) {
	var nodes [3]*Node
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	var keys [3]crypto.PrivKey
	var ids [3]peer.ID
	for _, r := range protocol.Roles() {
		sk, _, err := crypto.GenerateEd25519Key(rand.Reader)
		if err != nil {
			return nodes, fmt.Errorf("loopback: generate key: %w", err)
		}
		if ids[r], err = peer.IDFromPrivateKey(sk); err != nil {
			return nodes, fmt.Errorf("loopback: %w", err)
		}
		keys[r] = sk
	}
	listen := []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")}
	for _, r := range protocol.Roles() {
		n, err := newNode(ctx, r, keys[r], listen, ids, o)
		if err != nil {
			for _, m := range nodes {
				if m != nil {
					m.Close()
				}
			}
			return [3]*Node{}, fmt.Errorf("loopback: %w", err)
		}
		nodes[r] = n
	}
	for _, n := range nodes {
		for _, r := range n.self.Others() {
			n.addPeer(r, nodes[r].host.Addrs())
		}
	}
	for _, n := range nodes {
		n.start()
	}
	return nodes, nil
}

// Transport waits until the session streams to both other parties are up and
// returns the node's end of the session. It fails with a *PeerError naming the peer
// if a peer is not reached within the peer timeout, or if a link that came up is
// lost while the other is awaited.
func (n *Node) Transport(ctx context.Context) (protocol.Transport, error) {
	if n.isClosing() {
		return nil, fmt.Errorf("node %s: %w", n.self, protocol.ErrClosed)
	}
	for _, r := range n.self.Others() {
		l := n.links[r]
		select {
		case <-l.up:
		case <-l.unreached:
			return nil, l.cause()
		case <-n.broken:
			return nil, n.lostErr
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s (%s): %w (%s)", r, n.ids[r], ctx.Err(), l.whyWaiting())
		case <-n.closing:
			return nil, fmt.Errorf("waiting for %s: %w", r, protocol.ErrClosed)
		}
	}
	select {
	case <-n.broken:
		return nil, n.lostErr
	default:
	}
	return transport{n}, nil
}

// Lost returns a channel that receives the first failure of a link after it came up,
// once, and is never closed: a *PeerError when a peer was lost (its connection
// closed, its stream failed, or nothing came from it for the heartbeat timeout while
// this node waited to read), or a *protocol.AbortedError when a peer stopped the
// session. A session that is busy computing selects on it to stop at once instead
// of at its next Send or Recv, which fail with the same error. Closing this node,
// and a peer's goodbye, are not failures.
func (n *Node) Lost() <-chan error { return n.lost }

// lose records the first link failure and reports it on Lost.
func (n *Node) lose(err error) {
	n.lostOnce.Do(func() {
		n.lostErr = err
		close(n.broken)
		n.lost <- err
	})
}

// since returns the time since the node started, on the monotonic clock.
func (n *Node) since() time.Duration { return time.Since(n.epoch) }

// Close says goodbye on every link, waits (up to the close timeout) for each peer to
// confirm it has read everything this node sent, then shuts the host down. Calls to
// Send and Recv made after Close return an error wrapping protocol.ErrClosed.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		close(n.closing)
		n.cancel()
		var wg sync.WaitGroup
		for _, l := range n.links {
			if l != nil {
				wg.Add(1)
				go func() {
					defer wg.Done()
					l.shutdown(n.opts.closeTimeout)
				}()
			}
		}
		wg.Wait()
		if err := n.host.Close(); err != nil {
			n.closeErr = fmt.Errorf("close libp2p host: %w", err)
		}
		for _, l := range n.links {
			if l != nil {
				l.deadOnce.Do(func() { close(l.dead) })
			}
		}
		n.wg.Wait()
	})
	return n.closeErr
}

func (n *Node) isClosing() bool {
	select {
	case <-n.closing:
		return true
	default:
		return false
	}
}

// Role returns the role the node plays.
func (n *Node) Role() protocol.Role { return n.self }

// ID returns the node's peer ID.
func (n *Node) ID() peer.ID { return n.host.ID() }

// Addrs returns the addresses the node listens on, each ending in /p2p/<id>: what
// the other sites put in their peer books. Unspecified listen addresses (0.0.0.0)
// appear expanded to the machine's interface addresses.
func (n *Node) Addrs() []ma.Multiaddr {
	addrs, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()})
	if err != nil {
		return nil
	}
	return addrs
}

// Stats is a snapshot of a node's links, for a debug console.
type Stats struct {
	Role  protocol.Role
	ID    peer.ID
	Peers map[protocol.Role]PeerStats
}

// PeerStats describes the link to one peer. Byte counts are message payloads,
// without framing.
type PeerStats struct {
	ID               peer.ID
	State            LinkState
	Connected        bool   // libp2p has a live connection to the peer
	Remote           string // the peer's address on the link's connection, if up
	Error            string // why the link was lost or given up on, or while waiting, why the peer is not reached yet
	BytesSent        int64
	BytesReceived    int64
	MessagesSent     int64
	MessagesReceived int64
	RTT              time.Duration // last measured round-trip time; 0 until measured
}

// Stats returns a snapshot of the node's links; it is safe to call at any time from
// any goroutine.
func (n *Node) Stats() Stats {
	st := Stats{Role: n.self, ID: n.host.ID(), Peers: make(map[protocol.Role]PeerStats, 2)}
	for _, r := range n.self.Others() {
		l := n.links[r]
		ps := PeerStats{
			ID:               n.ids[r],
			Connected:        n.host.Network().Connectedness(n.ids[r]) == network.Connected,
			BytesSent:        l.sentBytes.Load(),
			BytesReceived:    l.recvBytes.Load(),
			MessagesSent:     l.sentMsgs.Load(),
			MessagesReceived: l.recvMsgs.Load(),
			RTT:              time.Duration(l.rtt.Load()),
		}
		l.mu.Lock()
		ps.State = l.st
		if l.stream != nil && l.st == LinkUp {
			ps.Remote = l.stream.Conn().RemoteMultiaddr().String()
		}
		if (l.st == LinkLost || l.st == LinkUnreachable) && l.err != nil {
			ps.Error = l.err.Error()
		}
		l.mu.Unlock()
		if ps.State == LinkWaiting {
			ps.Error = l.whyWaiting()
		}
		st.Peers[r] = ps
	}
	return st
}
