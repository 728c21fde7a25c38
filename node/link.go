package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/triad-mpc/triad/protocol"
)

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
