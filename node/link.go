package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/triad-mpc/triad/protocol"
)

// LinkState is the state of a node's link to one peer.
type LinkState int

const (
	LinkWaiting     LinkState = iota // the session stream is not open yet
	LinkUp                           // the session stream carries messages
	LinkPeerClosed                   // the peer said goodbye: it sends nothing more
	LinkLost                         // the stream failed; it is not re-established
	LinkClosed                       // this node was closed
	LinkUnreachable                  // the peer was not reached within the peer timeout
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
	case LinkUnreachable:
		return "unreachable"
	}
	return fmt.Sprintf("LinkState(%d)", int(s))
}

// PeerError reports a link that failed, or never came up, because of the peer at its
// other end: Peer is the party to blame. Errors that this node causes itself (a
// cancelled context, Close) are never PeerErrors.
type PeerError struct {
	Peer protocol.Role
	op   string // what happened to the link: "lost", "gave up on"
	Err  error  // why
}

func (e *PeerError) Error() string { return fmt.Sprintf("%s %s: %v", e.op, e.Peer, e.Err) }
func (e *PeerError) Unwrap() error { return e.Err }

// link is the session stream to one peer and its bookkeeping.
type link struct {
	n    *Node
	role protocol.Role

	up        chan struct{} // closed once the stream is attached
	unreached chan struct{} // closed if the peer timeout passes first
	dead      chan struct{} // closed when nothing more can be written
	acked     chan struct{} // closed when the peer acknowledges this node's goodbye
	ackd      chan struct{} // closed when this node has acknowledged the peer's goodbye
	in        chan []byte   // received messages; closed once no more will come
	wmu       chan struct{} // holds a token while a frame is being written

	deadOnce, ackOnce sync.Once

	mu     sync.Mutex
	st     LinkState
	err    error                  // why no more messages come or go
	abort  *protocol.AbortedError // the peer's abort notice, once received
	why    string                 // while waiting: why the peer is not reached yet
	stream network.Stream
	bw     *bufio.Writer
	beats  network.Stream // the heartbeat stream, once open

	heard atomic.Int64 // when the last heartbeat came, in nanoseconds since the node started

	sentBytes, sentMsgs, recvBytes, recvMsgs atomic.Int64
	rtt                                      atomic.Int64 // last round-trip time, in ns; 0 until measured
}

func newLink(n *Node, r protocol.Role) *link {
	return &link{
		n:         n,
		role:      r,
		up:        make(chan struct{}),
		unreached: make(chan struct{}),
		dead:      make(chan struct{}),
		acked:     make(chan struct{}),
		ackd:      make(chan struct{}),
		in:        make(chan []byte, n.opts.queue),
		wmu:       make(chan struct{}, 1),
	}
}

// failure returns the peer's abort notice, or else why the link was lost, if
// either happened: the errors that end a session at once.
func (l *link) failure() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.abort != nil {
		return l.abort
	}
	if l.st == LinkLost {
		return l.err
	}
	return nil
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

// setWhy records why the peer is not reached yet; the first reason stays until a
// later attempt finds another one.
func (l *link) setWhy(why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st == LinkWaiting {
		l.why = why
	}
}

// whyWaiting says why the link is not up yet.
func (l *link) whyWaiting() string {
	l.mu.Lock()
	why := l.why
	l.mu.Unlock()
	if why != "" {
		return why
	}
	if l.role > l.n.self {
		return "no attempt has finished yet"
	}
	why = fmt.Sprintf("%s has not opened a session stream to this node (it is the one that dials)", l.role)
	if s := l.n.stranger.Load(); s != nil {
		why += fmt.Sprintf("; %v ago a peer with an unknown ID %s connected from %s: if that was %s, its key is not the one whose peer ID this node has configured",
			(l.n.since() - s.at).Round(time.Second), s.id, s.addr, l.role)
	}
	return why
}

// giveUp marks a link that never came up as unreachable, if it is still waiting.
// Transport learns of it only once done is called.
func (l *link) giveUp(after time.Duration) (done func(), ok bool) {
	why := l.whyWaiting()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != LinkWaiting {
		return nil, false
	}
	if l.role < l.n.self {
		why = fmt.Sprintf("no session stream from it in %v (peer ID %s): %s", after, l.n.ids[l.role], why)
	} else {
		why = fmt.Sprintf("not reached in %v (peer ID %s): %s", after, l.n.ids[l.role], why)
	}
	l.st, l.err = LinkUnreachable, &PeerError{Peer: l.role, op: "gave up on", Err: errors.New(why)}
	return func() { close(l.unreached) }, true
}

// attach makes s the link's session stream and starts its reader and its watchdog;
// the heartbeat stream follows.
func (l *link) attach(s network.Stream, br *bufio.Reader, bw *bufio.Writer) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != LinkWaiting {
		return fmt.Errorf("link to %s is already %s", l.role, l.st)
	}
	if l.n.isClosing() {
		return fmt.Errorf("link to %s: %w", l.role, protocol.ErrClosed)
	}
	l.stream, l.bw, l.st, l.why = s, bw, LinkUp, ""
	l.hear()
	l.n.wg.Add(2)
	go l.read(br)
	go l.watch()
	close(l.up)
	return nil
}

// attachBeats makes s the link's heartbeat stream and starts beating on it and
// listening to it.
func (l *link) attachBeats(s network.Stream) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != LinkUp || l.beats != nil {
		return fmt.Errorf("link to %s is %s and has a heartbeat stream: %v", l.role, l.st, l.beats != nil)
	}
	l.beats = s
	l.n.wg.Add(2)
	go l.beat(s)
	go l.listen(s)
	return nil
}

func (l *link) hear() { l.heard.Store(int64(l.n.since())) }

// fail records that the peer broke the link: the first cause wins, the stream is
// reset, and the node reports the loss. A link whose peer has said goodbye keeps
// that state: its stream ending afterwards is the expected end of the session.
func (l *link) fail(err error) {
	l.end(&PeerError{Peer: l.role, op: "lost", Err: err}, true)
}

// reset ends the link for a reason of this node's own, without blaming the peer.
func (l *link) reset(err error) {
	l.end(fmt.Errorf("link to %s reset: %w", l.role, err), false)
}

func (l *link) end(err error, blame bool) {
	l.mu.Lock()
	s, beats := l.stream, l.beats
	lost := false
	switch {
	case l.n.isClosing():
		l.st = LinkClosed
	case l.st == LinkUp:
		l.st, l.err = LinkLost, err
		lost = blame
	}
	l.mu.Unlock()
	l.deadOnce.Do(func() { close(l.dead) })
	if s != nil {
		s.Reset()
	}
	if beats != nil {
		beats.Reset()
	}
	if lost {
		log.Warnw("link lost", "peer", l.role, "id", l.n.ids[l.role], "err", err)
		l.n.lose(err)
	}
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
// Its errors name the peer.
func (l *link) write(ctx context.Context, typ byte, payload []byte) error {
	select {
	case l.wmu <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("send to %s: %w", l.role, ctx.Err())
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
		return fmt.Errorf("send to %s: %w", l.role, err)
	}
	l.mu.Lock()
	bw := l.bw
	l.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		l.reset(fmt.Errorf("a send was cancelled mid-frame: %w", ctx.Err()))
	})
	err := writeFrame(bw, typ, payload)
	if !stop() {
		return l.cause()
	}
	if err != nil {
		if errors.Is(err, ErrFrameTooLarge) {
			return fmt.Errorf("send to %s: %w", l.role, err) // refused before anything was written
		}
		l.fail(err)
		return l.cause()
	}
	return nil
}

// beat writes one byte to the heartbeat stream every heartbeat interval. The
// heartbeat has a stream of its own so that it never waits behind session data
// that flow control holds back: a peer that is busy, with its queue full, still
// hears it and is heard.
func (l *link) beat(s network.Stream) {
	defer l.n.wg.Done()
	t := time.NewTicker(l.n.opts.beatEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-l.dead:
			return
		case <-l.n.closing:
			return
		}
		s.SetWriteDeadline(time.Now().Add(l.n.opts.beatTimeout))
		if _, err := s.Write([]byte{0}); err != nil {
			l.fail(fmt.Errorf("heartbeat: %w", readLoss(err)))
			return
		}
	}
}

// listen records every heartbeat that arrives.
func (l *link) listen(s network.Stream) {
	defer l.n.wg.Done()
	buf := make([]byte, 64)
	for {
		if _, err := s.Read(buf); err != nil {
			l.fail(fmt.Errorf("heartbeat: %w", readLoss(err)))
			return
		}
		l.hear()
	}
}

// watch fails the link when no heartbeat has come for the heartbeat timeout: the
// peer, or the path to it, is gone, whatever the session is doing at either end. A
// watchdog that itself did not run for a while (this process was stopped or
// starved) blames no peer for that silence: it starts counting again.
func (l *link) watch() {
	defer l.n.wg.Done()
	timeout := l.n.opts.beatTimeout
	every := max(timeout/16, time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	last := l.n.since()
	for {
		select {
		case <-t.C:
		case <-l.dead:
			return
		case <-l.n.closing:
			return
		}
		now := l.n.since()
		if now-last > timeout/4 {
			log.Infow("heartbeat watchdog was not running; restarting its count", "peer", l.role, "gap", (now - last).Round(time.Millisecond))
			l.hear()
		}
		last = now
		if silent := now - time.Duration(l.heard.Load()); silent >= timeout && l.state() == LinkUp {
			l.fail(fmt.Errorf("no heartbeat for %v", silent.Round(time.Millisecond)))
			return
		}
	}
}

// read moves frames from the stream into the queue until the stream ends.
func (l *link) read(br *bufio.Reader) {
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
			// The peer said goodbye or aborted, so its stream ending now is expected;
			// it only means nothing more can be written either.
			l.deadOnce.Do(func() { close(l.dead) })
			return
		}
		if err != nil {
			l.fail(readLoss(err))
			return
		}
		switch typ {
		case frameData:
			if !inOpen {
				l.fail(errors.New("message after goodbye"))
				return
			}
			l.recvBytes.Add(int64(len(msg)))
			l.recvMsgs.Add(1)
			if l.n.opts.tap != nil {
				l.n.opts.tap(l.role, l.n.self, msg)
			}
			select {
			case l.in <- msg:
			case <-l.dead:
				return
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
			first := l.abort == nil
			if first {
				l.abort = ab
			}
			l.mu.Unlock()
			endInput(ab)
			if first {
				l.n.noteAbort(ab)
				l.n.lose(ab)
			}
		default:
			l.fail(fmt.Errorf("unexpected frame type %d", typ))
			return
		}
	}
}

// readLoss says in a few words why a stream could not be read; the wrapped error
// keeps libp2p's long account of it.
func readLoss(err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return &shortError{"it ended the stream without a goodbye", io.ErrUnexpectedEOF}
	case errors.Is(err, syscall.ECONNRESET):
		return &shortError{"its connection was reset", err}
	case errors.Is(err, network.ErrReset):
		return &shortError{"it reset the stream", err}
	}
	return err
}

// shortError is an error whose message leaves out the one it wraps.
type shortError struct {
	msg string
	err error
}

func (e *shortError) Error() string { return e.msg }
func (e *shortError) Unwrap() error { return e.err }

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
	// A peer that has not been heard for two heartbeats is not waited for: it is
	// stopped or cut off, and would only hold this node up.
	if l.n.since()-time.Duration(l.heard.Load()) >= 2*l.n.opts.beatEvery {
		cancel()
	}
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
