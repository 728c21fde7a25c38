package node

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"

	"github.com/triad-mpc/triad/protocol"
)

// start dials the peers that come later in role order.
func (n *Node) start() {
	for _, r := range n.self.Others() {
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

// hello is the payload of the first frame each way: the protocol version and the
// sender's role.
func hello(r protocol.Role) []byte { return []byte(ProtocolID + " " + r.String()) }

// parseHello checks the version and returns the role a hello names.
func parseHello(b []byte) (protocol.Role, error) {
	version, role, ok := strings.Cut(string(b), " ")
	if !ok {
		return 0, fmt.Errorf("malformed hello %q", b)
	}
	if version != ProtocolID {
		return 0, fmt.Errorf("peer speaks %q, this node %q", version, ProtocolID)
	}
	return protocol.ParseRole(role)
}
