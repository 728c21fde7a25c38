package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/sec"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"

	"github.com/triad-mpc/triad/protocol"
)

// start dials the peers that come later in role order and watches every link until
// it comes up or the peer timeout passes.
func (n *Node) start() {
	for _, r := range n.self.Others() {
		n.wg.Add(1)
		go n.await(n.links[r])
		n.wg.Add(1)
		go n.measureRTT(r)
		if r > n.self {
			n.wg.Add(1)
			go n.dialLoop(r)
		}
	}
}

// await reports, at warning level, a peer that is still not reached after the
// report interval (again whenever the reason changes, and every minute), and gives
// up on it once the peer timeout passes.
func (n *Node) await(l *link) {
	defer n.wg.Done()
	report := time.NewTicker(n.opts.reportEvery)
	defer report.Stop()
	giveUp := time.NewTimer(n.opts.peerTimeout)
	defer giveUp.Stop()
	var said string
	var saidAt time.Duration
	for {
		select {
		case <-l.up:
			if said != "" {
				log.Warnw("peer reached", "peer", l.role, "id", n.ids[l.role], "after", n.since().Round(time.Second))
			}
			return
		case <-n.ctx.Done():
			return
		case <-report.C:
			why := l.whyWaiting()
			if why == said && n.since()-saidAt < time.Minute {
				continue
			}
			said, saidAt = why, n.since()
			log.Warnw("peer not reached yet; still trying", "peer", l.role, "id", n.ids[l.role],
				"addrs", n.host.Peerstore().Addrs(n.ids[l.role]), "waited", n.since().Round(time.Second),
				"gives_up_in", (n.opts.peerTimeout - n.since()).Round(time.Second), "reason", why)
		case <-giveUp.C:
			if done, ok := l.giveUp(n.opts.peerTimeout); ok {
				log.Errorw("gave up on peer", "peer", l.role, "id", n.ids[l.role], "err", l.cause())
				n.abortOthers(l) // before Transport returns and its caller closes the node
				done()
			}
			return
		}
	}
}

// abortOthers tells the peers whose links are up that the session cannot start
// because lost was given up on, so that they stop with that reason instead of
// waiting for this node's goodbye.
func (n *Node) abortOthers(lost *link) {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.closeTimeout)
	defer cancel()
	reason := lost.cause().Error()
	for _, r := range n.self.Others() {
		if l := n.links[r]; l != lost && l.writable() == nil {
			if err := l.write(ctx, frameAbort, []byte(reason)); err != nil {
				log.Debugw("could not tell a peer why the session cannot start", "peer", r, "err", err)
			}
		}
	}
}

// dialLoop tries to open the session stream to r until it succeeds, backing off
// between attempts, or until the node's context ends or the peer is given up on.
func (n *Node) dialLoop(r protocol.Role) {
	defer n.wg.Done()
	l := n.links[r]
	wait := n.opts.backoffMin
	for attempt := 1; ; attempt++ {
		err := n.dial(r)
		if err == nil {
			return
		}
		if n.ctx.Err() != nil {
			return
		}
		why := n.explain(r, err)
		l.setWhy(why)
		if n.opts.failedDial != nil {
			n.opts.failedDial(r, why)
		}
		log.Debugw("peer not reachable yet", "peer", r, "id", n.ids[r], "attempt", attempt, "retry_in", wait, "reason", why, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-n.ctx.Done():
			t.Stop()
			return
		case <-l.unreached:
			t.Stop()
			return
		}
		wait = min(2*wait, n.opts.backoffMax)
	}
}

// dialError is a failed attempt to reach a peer, with the stage it failed at.
type dialError struct {
	stage string // "connect", "stream", "hello", "refused"
	err   error
}

func (e *dialError) Error() string { return e.stage + ": " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

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
		return &dialError{"connect", err}
	}
	s, err := n.host.NewStream(ctx, id, ProtocolID)
	if err != nil {
		return &dialError{"stream", err}
	}
	fail := func(stage string, err error) error {
		s.Reset()
		return &dialError{stage, err}
	}
	// The hello exchange gets its own deadline, not what is left of ctx: the
	// accepting side takes the link as up once it has answered, so the answer must
	// not be given up on merely because connecting was slow.
	if err := s.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return fail("hello", err)
	}
	bw := bufio.NewWriterSize(s, ioBuffer)
	if err := writeFrame(bw, frameHello, hello(n.self, r)); err != nil {
		return fail("hello", err)
	}
	br := bufio.NewReaderSize(s, ioBuffer)
	typ, payload, err := readFrame(br)
	if err != nil {
		return fail("hello", err)
	}
	switch typ {
	case frameHello:
	case frameAbort:
		return fail("refused", errors.New(string(payload)))
	default:
		return fail("hello", fmt.Errorf("got frame type %d, not a hello", typ))
	}
	from, to, err := parseHello(payload)
	if err != nil {
		return fail("hello", err)
	}
	if from != r || to != n.self {
		return fail("hello", fmt.Errorf("the peer answers as %s to %s, not as %s to %s", from, to, r, n.self))
	}
	if err := s.SetDeadline(time.Time{}); err != nil {
		return fail("hello", err)
	}
	l := n.links[r]
	if err := l.attach(s, br, bw); err != nil {
		return fail("hello", err)
	}
	log.Infow("link up", "peer", r, "id", id, "addr", s.Conn().RemoteMultiaddr())
	// The link is up: a heartbeat stream that cannot be opened fails it.
	beats, err := n.host.NewStream(ctx, id, beatProtocol)
	if err == nil {
		if err = l.attachBeats(beats); err != nil {
			beats.Reset()
		}
	}
	if err != nil {
		l.fail(fmt.Errorf("open the heartbeat stream: %w", err))
	}
	return nil
}

// explain turns a failed attempt to reach r into what an operator should check.
func (n *Node) explain(r protocol.Role, err error) string {
	id := n.ids[r]
	addrs := n.host.Peerstore().Addrs(id)
	var mismatch sec.ErrPeerIDMismatch
	var de *dialError
	stage := ""
	if errors.As(err, &de) {
		stage = de.stage
	}
	switch {
	case errors.As(err, &mismatch):
		return fmt.Sprintf("wrong peer ID at %v: the node there has peer ID %s, not the %s configured for %s", addrs, mismatch.Actual, mismatch.Expected, r)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused at %v: is %s's node running and listening there?", addrs, r)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("no route to %v: %v", addrs, err)
	case stage == "refused":
		return fmt.Sprintf("%s refused this node's hello: %v", r, de.err)
	case stage == "stream" && strings.Contains(err.Error(), "protocols not supported"):
		return fmt.Sprintf("the node at %v does not speak %s: is it another version of Triad?", addrs, ProtocolID)
	case isTimeout(err):
		return fmt.Sprintf("no answer from %v within %v", addrs, handshakeTimeout)
	case stage == "stream":
		return fmt.Sprintf("%s's node at %v dropped the connection after the security handshake (%v): "+
			"it probably does not list this node's peer ID %s in its [peers] table", r, addrs, err, n.host.ID())
	case stage == "hello":
		return fmt.Sprintf("the hello exchange with %s at %v failed: %v", r, addrs, err)
	}
	return err.Error()
}

func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || os.IsTimeout(err)
}

// accept handles a session stream opened by a peer: the hello must come from a
// role that opens streams to this one, from the peer ID configured for it, and
// expect this node's role. A refusal is sent back with its reason, so that the
// dialer's operator sees what is wrong.
func (n *Node) accept(s network.Stream) {
	remote, addr := s.Conn().RemotePeer(), s.Conn().RemoteMultiaddr()
	bw := bufio.NewWriterSize(s, ioBuffer)
	refuse := func(reason string) {
		log.Warnw("refused a session stream", "id", remote, "addr", addr, "reason", reason)
		for _, r := range n.self.Others() {
			if n.ids[r] == remote && r < n.self {
				n.links[r].setWhy("refused its session stream: " + reason)
			}
		}
		// The dialer resets the stream once it has read the reason; until then the
		// stream stays open, or the reason could be lost with it.
		if err := writeFrame(bw, frameAbort, []byte(reason)); err == nil && s.CloseWrite() == nil {
			io.Copy(io.Discard, io.LimitReader(s, maxControl))
		}
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
	from, to, err := parseHello(payload)
	if err != nil {
		refuse(err.Error())
		return
	}
	if to != n.self {
		refuse(fmt.Sprintf("this node is %s, not %s: the dialer's [peers] entry for %s has %s's address and peer ID", n.self, to, to, n.self))
		return
	}
	if from >= n.self {
		refuse(fmt.Sprintf("%s does not open session streams to %s (is a role configured twice?)", from, n.self))
		return
	}
	if remote != n.ids[from] {
		configured := "no role"
		for _, r := range n.self.Others() {
			if n.ids[r] == remote {
				configured = r.String()
			}
		}
		refuse(fmt.Sprintf("the dialer says it is %s, but its peer ID %s is configured here for %s (is a role configured twice, or are two sites' keys swapped?)", from, remote, configured))
		return
	}
	l := n.links[from]
	if st := l.state(); st != LinkWaiting {
		refuse(fmt.Sprintf("link to %s is already %s", from, st))
		return
	}
	if err := writeFrame(bw, frameHello, hello(n.self, from)); err != nil {
		s.Reset()
		return
	}
	if err := s.SetDeadline(time.Time{}); err != nil {
		s.Reset()
		return
	}
	if err := l.attach(s, br, bw); err != nil {
		s.Reset()
		return
	}
	log.Infow("link up", "peer", from, "id", remote, "addr", addr)
}

// acceptBeats takes the heartbeat stream that a peer opens once its session stream
// is up; the peer ID says whose it is.
func (n *Node) acceptBeats(s network.Stream) {
	remote := s.Conn().RemotePeer()
	for _, r := range n.self.Others() {
		if n.ids[r] != remote || r > n.self {
			continue
		}
		l := n.links[r]
		// The dialer opens it as soon as it has this node's hello, which may be
		// just before this node has attached the session stream.
		t := time.NewTimer(handshakeTimeout)
		defer t.Stop()
		select {
		case <-l.up:
			if err := l.attachBeats(s); err == nil {
				return
			}
		case <-t.C:
		case <-n.closing:
		}
	}
	s.Reset()
}

// hello is the payload of the first frame each way: the protocol version, the
// sender's role and the role it takes the receiver to have.
func hello(self, peer protocol.Role) []byte {
	return []byte(ProtocolID + " " + self.String() + " " + peer.String())
}

// parseHello checks the version and returns the two roles a hello names.
func parseHello(b []byte) (from, to protocol.Role, err error) {
	f := strings.Split(string(b), " ")
	if len(f) != 3 {
		return 0, 0, fmt.Errorf("malformed hello %q", b)
	}
	if f[0] != ProtocolID {
		return 0, 0, fmt.Errorf("peer speaks %q, this node %q", f[0], ProtocolID)
	}
	if from, err = protocol.ParseRole(f[1]); err != nil {
		return 0, 0, err
	}
	if to, err = protocol.ParseRole(f[2]); err != nil {
		return 0, 0, err
	}
	if from == to {
		return 0, 0, fmt.Errorf("malformed hello %q: one role at both ends", b)
	}
	return from, to, nil
}
