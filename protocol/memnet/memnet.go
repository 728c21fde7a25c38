// Package memnet connects Triad's three parties in memory, for tests and benchmarks:
// bounded links with optional latency, a tap on every message, and the abort semantics
// of protocol.Transport.
package memnet

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/triad-mpc/triad/protocol"
)

// Option configures an in-memory network.
type Option func(*Network)

// WithLatency delays every message by d, as a one-way network delay would.
func WithLatency(d time.Duration) Option { return func(n *Network) { n.latency = d } }

// WithQueue sets how many messages may wait undelivered on each directed link before
// Send blocks (default 4).
func WithQueue(k int) Option { return func(n *Network) { n.queue = k } }

// WithTap calls f with a copy of every message as it is sent (for tests that inspect
// what crosses the wire).
func WithTap(f func(from, to protocol.Role, msg []byte)) Option {
	return func(n *Network) { n.tap = f }
}

// Network connects three in-memory transports, for tests and benchmarks.
type Network struct {
	latency time.Duration
	queue   int
	tap     func(from, to protocol.Role, msg []byte)
	links   [3][3]chan memMsg
	aborts  [3]memAbort
	sent    [3]atomic.Int64
	msgs    [3]atomic.Int64
	done    chan struct{}
	once    sync.Once
}

// memAbort is one party's abort notice: closed once, with the reason set before.
type memAbort struct {
	once   sync.Once
	done   chan struct{}
	reason string
}

type memMsg struct {
	data []byte
	at   time.Time
}

// New returns a network of three parties joined by bounded in-memory links.
func New(opts ...Option) *Network {
	n := &Network{queue: 4, done: make(chan struct{})}
	for _, o := range opts {
		o(n)
	}
	for i := range n.aborts {
		n.aborts[i].done = make(chan struct{})
	}
	for i := range n.links {
		for j := range n.links[i] {
			if i != j {
				n.links[i][j] = make(chan memMsg, n.queue)
			}
		}
	}
	return n
}

// Transport returns the end of the network held by role r.
func (n *Network) Transport(r protocol.Role) protocol.Transport {
	return &memTransport{net: n, self: r}
}

// BytesSent returns how many payload bytes role r has sent so far.
func (n *Network) BytesSent(r protocol.Role) int64 { return n.sent[r].Load() }

// MessagesSent returns how many messages role r has sent so far.
func (n *Network) MessagesSent(r protocol.Role) int64 { return n.msgs[r].Load() }

// Close ends the network: blocked and later calls return protocol.ErrClosed.
func (n *Network) Close() { n.once.Do(func() { close(n.done) }) }

type memTransport struct {
	net  *Network
	self protocol.Role
}

func (t *memTransport) Self() protocol.Role { return t.self }

func (t *memTransport) Send(ctx context.Context, to protocol.Role, msg []byte) error {
	if !to.Valid() || to == t.self {
		return fmt.Errorf("send from %s to %s: no such link", t.self, to)
	}
	if len(msg) > protocol.MaxMessage {
		return fmt.Errorf("send to %s: message of %d bytes exceeds the limit of %d", to, len(msg), protocol.MaxMessage)
	}
	cp := append([]byte(nil), msg...)
	if t.net.tap != nil {
		t.net.tap(t.self, to, cp)
	}
	if err := t.aborted(); err != nil {
		return err
	}
	o := t.self.Others()
	select {
	case t.net.links[t.self][to] <- memMsg{data: cp, at: time.Now()}:
		t.net.sent[t.self].Add(int64(len(msg)))
		t.net.msgs[t.self].Add(1)
		return nil
	case <-t.net.aborts[o[0]].done:
		return t.aborted()
	case <-t.net.aborts[o[1]].done:
		return t.aborted()
	case <-ctx.Done():
		return fmt.Errorf("send to %s: %w", to, ctx.Err())
	case <-t.net.done:
		return fmt.Errorf("send to %s: %w", to, protocol.ErrClosed)
	}
}

// aborted returns the abort of another party, if one has aborted (the first in role
// order when both have).
func (t *memTransport) aborted() error {
	for _, r := range t.self.Others() {
		select {
		case <-t.net.aborts[r].done:
			return &protocol.AbortedError{Party: r, Reason: t.net.aborts[r].reason}
		default:
		}
	}
	return nil
}

func (t *memTransport) Abort(ctx context.Context, reason string) error {
	a := &t.net.aborts[t.self]
	a.once.Do(func() {
		a.reason = reason
		close(a.done)
	})
	return nil
}

func (t *memTransport) Recv(ctx context.Context, from protocol.Role) ([]byte, error) {
	if !from.Valid() || from == t.self {
		return nil, fmt.Errorf("receive at %s from %s: no such link", t.self, from)
	}
	if err := t.aborted(); err != nil {
		return nil, err
	}
	o := t.self.Others()
	select {
	case <-t.net.aborts[o[0]].done:
		return nil, t.aborted()
	case <-t.net.aborts[o[1]].done:
		return nil, t.aborted()
	case m := <-t.net.links[from][t.self]:
		if err := t.aborted(); err != nil {
			return nil, err
		}
		if wait := time.Until(m.at.Add(t.net.latency)); wait > 0 {
			timer := time.NewTimer(wait)
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-ctx.Done():
				return nil, fmt.Errorf("receive from %s: %w", from, ctx.Err())
			}
		}
		return m.data, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("receive from %s: %w", from, ctx.Err())
	case <-t.net.done:
		return nil, fmt.Errorf("receive from %s: %w", from, protocol.ErrClosed)
	}
}
