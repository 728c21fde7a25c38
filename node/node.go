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
// third-party). Both ends first exchange a hello naming their role and protocol
// version; the accepting end checks that the dialer's peer ID is the one configured
// for the role it claims. After that the stream carries length-prefixed frames of
// at most protocol.MaxMessage bytes. A reader goroutine per stream fills a bounded
// queue that Recv drains: a receiver that falls behind stops reading, libp2p's
// flow control stops its sender, and memory stays bounded; since reading never
// waits for writing, two parties can send each other large batches at once.
//
// A link that fails during a session is not re-established: messages in flight
// would be lost, so the session fails and is run again.
package node

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/triad-mpc/triad/protocol"
)

// ProtocolID names the session stream protocol. Its version changes whenever the
// framing or the hello changes, so mismatched builds refuse each other at once.
const ProtocolID = "/triad/session/1.0.0"

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

	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup // dial loops and stream readers
}

// New starts a node for cfg: it listens on cfg.Listen, accepts session streams from
// the configured peers, and keeps dialing the peers it must open streams to until
// they answer. ctx bounds that background dialing; Close stops everything.
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
	for _, r := range protocol.Roles {
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
	for _, r := range protocol.Roles {
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
		libp2p.ConnectionGater(newGater(others...)),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
	)
	if err != nil {
		rm.Close()
		cm.Close()
		return nil, fmt.Errorf("start libp2p host for %s: %w", self, err)
	}
	n := &Node{
		self:    self,
		host:    h,
		opts:    o,
		ids:     ids,
		closing: make(chan struct{}),
	}
	n.ctx, n.cancel = context.WithCancel(ctx)
	for _, r := range self.Others() {
		n.links[r] = newLink(n, r)
	}
	h.SetStreamHandler(ProtocolID, n.accept)
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
	return rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()))
}

// addPeer records a configured peer's addresses for good and shields its
// connections from the connection manager's trimming.
func (n *Node) addPeer(r protocol.Role, addrs []ma.Multiaddr) {
	id := n.ids[r]
	n.host.Peerstore().AddAddrs(id, addrs, peerstore.PermanentAddrTTL)
	n.host.ConnManager().Protect(id, protectTag)
}

// start dials the peers that come later in role order, and measures the round-trip
// time to both.
func (n *Node) start() {
	for _, r := range n.self.Others() {
		n.wg.Add(1)
		go n.measureRTT(r)
		if r > n.self {
			n.wg.Add(1)
			go n.dialLoop(r)
		}
	}
}

// dialLoop tries to open the session stream to r until it succeeds, backing off
// between attempts, or until the node's context ends.
func (n *Node) dialLoop(r protocol.Role) {
	defer n.wg.Done()
	wait := n.opts.backoffMin
	for attempt := 1; ; attempt++ {
		err := n.dial(r)
		if err == nil {
			return
		}
		if n.ctx.Err() != nil {
			return
		}
		log.Debugw("peer not reachable yet", "peer", r, "id", n.ids[r], "attempt", attempt, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-n.ctx.Done():
			t.Stop()
			return
		}
		wait = min(2*wait, n.opts.backoffMax)
	}
}

// dial connects to r, opens the session stream and exchanges hellos.
func (n *Node) dial(r protocol.Role) error {
	id := n.ids[r]
	// The swarm's own backoff grows to minutes for a peer that was down; this loop
	// does its own pacing, so a peer that comes up is reached on the next attempt.
	if sw, ok := n.host.Network().(*swarm.Swarm); ok {
		sw.Backoff().Clear(id)
	}
	ctx, cancel := context.WithTimeout(n.ctx, handshakeTimeout)
	defer cancel()
	if err := n.host.Connect(ctx, peer.AddrInfo{ID: id}); err != nil {
		return fmt.Errorf("connect to %s: %w", r, err)
	}
	s, err := n.host.NewStream(ctx, id, ProtocolID)
	if err != nil {
		return fmt.Errorf("open session stream to %s: %w", r, err)
	}
	fail := func(err error) error {
		s.Reset()
		return err
	}
	// The hello exchange gets its own deadline, not what is left of ctx: the
	// accepting side takes the link as up once it has answered, so the answer must
	// not be given up on merely because connecting was slow.
	if err := s.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return fail(fmt.Errorf("session stream to %s: %w", r, err))
	}
	bw := bufio.NewWriterSize(s, ioBuffer)
	if err := writeFrame(bw, frameHello, hello(n.self)); err != nil {
		return fail(fmt.Errorf("send hello to %s: %w", r, err))
	}
	br := bufio.NewReaderSize(s, ioBuffer)
	typ, payload, err := readFrame(br)
	if err != nil {
		return fail(fmt.Errorf("read hello from %s: %w", r, err))
	}
	if typ != frameHello {
		return fail(fmt.Errorf("read hello from %s: got frame type %d", r, typ))
	}
	got, err := parseHello(payload)
	if err != nil {
		return fail(fmt.Errorf("hello from %s: %w", r, err))
	}
	if got != r {
		return fail(fmt.Errorf("hello from %s: peer says it is %s", r, got))
	}
	if err := s.SetDeadline(time.Time{}); err != nil {
		return fail(fmt.Errorf("session stream to %s: %w", r, err))
	}
	if err := n.links[r].attach(s, br, bw); err != nil {
		return fail(err)
	}
	log.Infow("link up", "peer", r, "id", id, "addr", s.Conn().RemoteMultiaddr())
	return nil
}

// accept handles a session stream opened by a peer: the hello must come from a
// role that opens streams to this one, and from the peer ID configured for it.
func (n *Node) accept(s network.Stream) {
	remote, addr := s.Conn().RemotePeer(), s.Conn().RemoteMultiaddr()
	refuse := func(reason string) {
		log.Warnw("refused a session stream", "id", remote, "addr", addr, "reason", reason)
		s.Reset()
	}
	if err := s.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		refuse(err.Error())
		return
	}
	br := bufio.NewReaderSize(s, ioBuffer)
	typ, payload, err := readFrame(br)
	if err != nil {
		refuse("reading hello: " + err.Error())
		return
	}
	if typ != frameHello {
		refuse(fmt.Sprintf("first frame has type %d, not hello", typ))
		return
	}
	r, err := parseHello(payload)
	if err != nil {
		refuse(err.Error())
		return
	}
	if r >= n.self {
		refuse(fmt.Sprintf("%s does not open session streams to %s", r, n.self))
		return
	}
	if remote != n.ids[r] {
		refuse(fmt.Sprintf("peer claims to be %s, whose configured peer ID is %s", r, n.ids[r]))
		return
	}
	l := n.links[r]
	if st := l.state(); st != LinkWaiting {
		refuse(fmt.Sprintf("link to %s is already %s", r, st))
		return
	}
	bw := bufio.NewWriterSize(s, ioBuffer)
	if err := writeFrame(bw, frameHello, hello(n.self)); err != nil {
		refuse("sending hello: " + err.Error())
		return
	}
	if err := s.SetDeadline(time.Time{}); err != nil {
		refuse(err.Error())
		return
	}
	if err := l.attach(s, br, bw); err != nil {
		refuse(err.Error())
		return
	}
	log.Infow("link up", "peer", r, "id", remote, "addr", addr)
}

// Transport waits until the session streams to both other parties are up and
// returns the node's end of the session.
func (n *Node) Transport(ctx context.Context) (protocol.Transport, error) {
	if n.isClosing() {
		return nil, fmt.Errorf("node %s: %w", n.self, protocol.ErrClosed)
	}
	for _, r := range n.self.Others() {
		select {
		case <-n.links[r].up:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s (%s): %w", r, n.ids[r], ctx.Err())
		case <-n.closing:
			return nil, fmt.Errorf("waiting for %s: %w", r, protocol.ErrClosed)
		}
	}
	return transport{n}, nil
}

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

// LinkState is the state of a node's link to one peer.
type LinkState int

const (
	LinkWaiting    LinkState = iota // the session stream is not open yet
	LinkUp                          // the session stream carries messages
	LinkPeerClosed                  // the peer said goodbye: it sends nothing more
	LinkLost                        // the stream failed; it is not re-established
	LinkClosed                      // this node was closed
)

func (s LinkState) String() string {
	switch s {
	case LinkWaiting:
		return "waiting"
	case LinkUp:
		return "up"
	case LinkPeerClosed:
		return "closed by peer"
	case LinkLost:
		return "lost"
	case LinkClosed:
		return "closed"
	}
	return fmt.Sprintf("LinkState(%d)", int(s))
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
	Error            string // why the link was lost, if it was
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
		if l.st == LinkLost && l.err != nil {
			ps.Error = l.err.Error()
		}
		l.mu.Unlock()
		st.Peers[r] = ps
	}
	return st
}

// transport is a node's protocol.Transport.
type transport struct{ n *Node }

func (t transport) Self() protocol.Role { return t.n.self }

func (t transport) link(r protocol.Role) (*link, error) {
	if !r.Valid() || r == t.n.self {
		return nil, fmt.Errorf("%s has no link to %s", t.n.self, r)
	}
	return t.n.links[r], nil
}

// Send writes msg to the session stream to role to. It returns once the frame is
// handed to the stream, blocking while the receiver is behind. If ctx ends while
// the frame is half written, the link is reset: the rest of the session cannot be
// told apart from the interrupted message.
func (t transport) Send(ctx context.Context, to protocol.Role, msg []byte) error {
	l, err := t.link(to)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if len(msg) > protocol.MaxMessage {
		return fmt.Errorf("send to %s: %w: %d bytes, limit %d", to, ErrFrameTooLarge, len(msg), protocol.MaxMessage)
	}
	if t.n.isClosing() {
		return fmt.Errorf("send to %s: %w", to, protocol.ErrClosed)
	}
	if err := l.writable(); err != nil {
		return fmt.Errorf("send to %s: %w", to, err)
	}
	if err := l.write(ctx, frameData, msg); err != nil {
		return fmt.Errorf("send to %s: %w", to, err)
	}
	l.sentBytes.Add(int64(len(msg)))
	l.sentMsgs.Add(1)
	return nil
}

// Recv returns the next message from role from. Messages that arrived before the
// peer said goodbye or the link failed are still returned; after them Recv reports
// why no more will come.
func (t transport) Recv(ctx context.Context, from protocol.Role) ([]byte, error) {
	l, err := t.link(from)
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	if t.n.isClosing() {
		return nil, fmt.Errorf("receive from %s: %w", from, protocol.ErrClosed)
	}
	if ab := l.abortNotice(); ab != nil {
		return nil, ab
	}
	select {
	case msg, ok := <-l.in:
		if ab := l.abortNotice(); ab != nil {
			return nil, ab
		}
		if !ok {
			return nil, fmt.Errorf("receive from %s: %w", from, l.cause())
		}
		return msg, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("receive from %s: %w", from, ctx.Err())
	case <-t.n.closing:
		return nil, fmt.Errorf("receive from %s: %w", from, protocol.ErrClosed)
	}
}

// Abort sends an abort frame to both peers, each bounded by ctx.
func (t transport) Abort(ctx context.Context, reason string) error {
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	var errs []error
	for _, r := range t.n.self.Others() {
		l := t.n.links[r]
		if err := l.writable(); err != nil {
			errs = append(errs, fmt.Errorf("abort to %s: %w", r, err))
			continue
		}
		if err := l.write(ctx, frameAbort, []byte(reason)); err != nil {
			errs = append(errs, fmt.Errorf("abort to %s: %w", r, err))
		}
	}
	return errors.Join(errs...)
}

// link is the session stream to one peer and its bookkeeping.
type link struct {
	n    *Node
	role protocol.Role

	up    chan struct{} // closed once the stream is attached
	dead  chan struct{} // closed when nothing more can be written
	acked chan struct{} // closed when the peer acknowledges this node's goodbye
	ackd  chan struct{} // closed when this node has acknowledged the peer's goodbye
	in    chan []byte   // received messages; closed once no more will come
	wmu   chan struct{} // holds a token while a frame is being written

	deadOnce, ackOnce sync.Once

	mu     sync.Mutex
	st     LinkState
	err    error                  // why no more messages come or go
	abort  *protocol.AbortedError // the peer's abort notice, once received
	stream network.Stream
	bw     *bufio.Writer

	sentBytes, sentMsgs, recvBytes, recvMsgs atomic.Int64
	rtt                                      atomic.Int64 // last round-trip time, in ns; 0 until measured
}

func newLink(n *Node, r protocol.Role) *link {
	return &link{
		n:     n,
		role:  r,
		up:    make(chan struct{}),
		dead:  make(chan struct{}),
		acked: make(chan struct{}),
		ackd:  make(chan struct{}),
		in:    make(chan []byte, n.opts.queue),
		wmu:   make(chan struct{}, 1),
	}
}

// abortNotice returns the peer's abort notice, if it sent one.
func (l *link) abortNotice() *protocol.AbortedError {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.abort
}

func (l *link) state() LinkState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

func (l *link) cause() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		return fmt.Errorf("link to %s is %s", l.role, l.st)
	}
	return l.err
}

// attach makes s the link's session stream and starts its reader.
func (l *link) attach(s network.Stream, br *bufio.Reader, bw *bufio.Writer) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != LinkWaiting {
		return fmt.Errorf("link to %s is already %s", l.role, l.st)
	}
	if l.n.isClosing() {
		return fmt.Errorf("link to %s: %w", l.role, protocol.ErrClosed)
	}
	l.stream, l.bw, l.st = s, bw, LinkUp
	l.n.wg.Add(1)
	go l.read(s, br)
	close(l.up)
	return nil
}

// fail records that the link broke; the first cause wins.
func (l *link) fail(err error) {
	l.mu.Lock()
	switch {
	case l.n.isClosing():
		l.st = LinkClosed
	case l.st == LinkUp:
		l.st, l.err = LinkLost, err
		log.Warnw("link lost", "peer", l.role, "err", err)
	}
	// A link whose peer has said goodbye keeps that state: the stream ending
	// afterwards is the expected end of the session.
	l.mu.Unlock()
	l.deadOnce.Do(func() { close(l.dead) })
}

// writable reports why nothing can be sent on the link, if so.
func (l *link) writable() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch l.st {
	case LinkUp:
		return nil
	case LinkWaiting:
		return fmt.Errorf("link to %s is not up yet", l.role)
	}
	if l.err != nil {
		return l.err
	}
	return fmt.Errorf("link to %s is %s", l.role, l.st)
}

// write sends one frame, holding the write token so that frames never interleave.
func (l *link) write(ctx context.Context, typ byte, payload []byte) error {
	select {
	case l.wmu <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-l.dead:
		return l.cause()
	}
	defer func() { <-l.wmu }()
	select {
	case <-l.dead:
		return l.cause()
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	s, bw := l.stream, l.bw
	l.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		l.fail(fmt.Errorf("link to %s reset: a send was cancelled mid-frame: %w", l.role, ctx.Err()))
		s.Reset()
	})
	err := writeFrame(bw, typ, payload)
	if !stop() {
		return ctx.Err()
	}
	if err != nil {
		if errors.Is(err, ErrFrameTooLarge) {
			return err // refused before anything was written
		}
		l.fail(fmt.Errorf("link to %s lost: %w", l.role, err))
		s.Reset()
		return l.cause()
	}
	return nil
}

// read moves frames from the stream into the queue until the stream ends.
func (l *link) read(s network.Stream, br *bufio.Reader) {
	defer l.n.wg.Done()
	inOpen := true
	endInput := func(err error) {
		if !inOpen {
			return
		}
		l.mu.Lock()
		if l.err == nil {
			l.err = err
		}
		l.mu.Unlock()
		close(l.in)
		inOpen = false
	}
	defer func() { endInput(l.cause()) }()
	for {
		typ, msg, err := readFrame(br)
		if err != nil && !inOpen {
			// The peer said goodbye, so its stream ending now is expected; it only
			// means nothing more can be written either.
			l.deadOnce.Do(func() { close(l.dead) })
			return
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("%s ended the stream without a goodbye: %w", l.role, io.ErrUnexpectedEOF)
			}
			l.fail(fmt.Errorf("link to %s lost: %w", l.role, err))
			s.Reset()
			return
		}
		switch typ {
		case frameData:
			if !inOpen {
				l.fail(fmt.Errorf("link to %s lost: message after goodbye", l.role))
				s.Reset()
				return
			}
			l.recvBytes.Add(int64(len(msg)))
			l.recvMsgs.Add(1)
			if l.n.opts.tap != nil {
				l.n.opts.tap(l.role, l.n.self, msg)
			}
			select {
			case l.in <- msg:
			case <-l.n.closing: // no one will receive it; keep reading to the goodbye
			}
		case frameBye:
			l.mu.Lock()
			if l.st == LinkUp {
				l.st = LinkPeerClosed
			}
			l.mu.Unlock()
			endInput(fmt.Errorf("%s closed the session: %w", l.role, protocol.ErrClosed))
			l.n.wg.Add(1)
			go l.acknowledge()
		case frameByeAck:
			l.ackOnce.Do(func() { close(l.acked) })
		case frameAbort:
			ab := &protocol.AbortedError{Party: l.role, Reason: string(msg)}
			l.mu.Lock()
			if l.abort == nil {
				l.abort = ab
			}
			l.mu.Unlock()
			endInput(ab)
		default:
			l.fail(fmt.Errorf("link to %s lost: unexpected frame type %d", l.role, typ))
			s.Reset()
			return
		}
	}
}

// acknowledge tells the peer that everything it sent up to its goodbye was read.
func (l *link) acknowledge() {
	defer l.n.wg.Done()
	defer close(l.ackd)
	ctx, cancel := context.WithTimeout(context.Background(), max(l.n.opts.closeTimeout, time.Second))
	defer cancel()
	if err := l.write(ctx, frameByeAck, nil); err != nil {
		log.Debugw("could not acknowledge goodbye", "peer", l.role, "err", err)
	}
}

// shutdown says goodbye and waits for the acknowledgement, or finishes
// acknowledging the peer's goodbye, then marks the link closed.
func (l *link) shutdown(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if l.state() == LinkUp {
		if err := l.write(ctx, frameBye, nil); err == nil {
			select {
			case <-l.acked:
			case <-l.dead:
			case <-ctx.Done():
				log.Infow("peer did not acknowledge goodbye in time", "peer", l.role, "timeout", timeout)
			}
		}
	}
	if l.state() == LinkPeerClosed {
		select {
		case <-l.ackd:
		case <-l.dead:
		case <-ctx.Done():
		}
	}
	// The stream stays open until the host closes, so that a goodbye the peer
	// sends meanwhile is still acknowledged: two nodes closing at once each wait
	// for the other's acknowledgement.
	l.mu.Lock()
	l.st = LinkClosed
	l.mu.Unlock()
}
