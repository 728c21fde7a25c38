package protocol

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// MaxMessage is the largest message a Transport must carry. Larger payloads are split
// by the sender into several messages.
const MaxMessage = 16 << 20

// Transport carries the messages of one session between the three parties. Messages
// between one ordered pair of parties arrive in the order they were sent. Send may block
// while the receiver is behind (back-pressure), so a party that must both send and
// receive a large batch at once sends from a separate goroutine (see Exchange).
type Transport interface {
	// Self is the role of the party that owns this end.
	Self() Role
	// Send delivers msg to the party playing role to. The transport may keep msg.
	Send(ctx context.Context, to Role, msg []byte) error
	// Recv returns the next message from the party playing role from.
	Recv(ctx context.Context, from Role) ([]byte, error)
	// Abort tells both other parties that this party has stopped the session, and
	// why, out of band of the session's messages: a receiver can never read an abort
	// as protocol data. It waits at most until ctx ends. reason must hold no data.
	//
	// An abort ends the session for its receiver: once either other party's abort
	// has arrived, every Send and Recv, blocked or later and whatever its peer,
	// returns that *AbortedError instead of any message still queued.
	Abort(ctx context.Context, reason string) error
}

// ErrClosed is returned by a transport whose session has ended.
var ErrClosed = errors.New("transport closed")

// AbortedError reports that another party stopped the session; Reason is its own
// account of why.
type AbortedError struct {
	Party  Role
	Reason string
}

func (e *AbortedError) Error() string {
	return fmt.Sprintf("%s stopped the session: %s", e.Party, e.Reason)
}

// Exchange sends out[r] to every role r in out while receiving one message from each of
// them, so that two parties that send to each other at once never wait on each other.
func Exchange(ctx context.Context, t Transport, out map[Role][]byte) (map[Role][]byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(out))
	for to, msg := range out {
		go func() { errc <- t.Send(ctx, to, msg) }()
	}
	in := make(map[Role][]byte, len(out))
	for from := range out {
		msg, err := t.Recv(ctx, from)
		if err != nil {
			return nil, err // the transport names the peer
		}
		in[from] = msg
	}
	for range out {
		if err := <-errc; err != nil {
			return nil, err
		}
	}
	return in, nil
}

// MemOption configures an in-memory network.
type MemOption func(*MemNetwork)

// WithLatency delays every message by d, as a one-way network delay would.
func WithLatency(d time.Duration) MemOption { return func(n *MemNetwork) { n.latency = d } }

// WithQueue sets how many messages may wait undelivered on each directed link before
// Send blocks (default 4).
func WithQueue(k int) MemOption { return func(n *MemNetwork) { n.queue = k } }

// WithTap calls f with a copy of every message as it is sent (for tests that inspect
// what crosses the wire).
func WithTap(f func(from, to Role, msg []byte)) MemOption {
	return func(n *MemNetwork) { n.tap = f }
}

// MemNetwork connects three in-memory transports, for tests and benchmarks.
type MemNetwork struct {
	latency time.Duration
	queue   int
	tap     func(from, to Role, msg []byte)
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

// NewMemNetwork returns a network of three parties joined by bounded in-memory links.
func NewMemNetwork(opts ...MemOption) *MemNetwork {
	n := &MemNetwork{queue: 4, done: make(chan struct{})}
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
func (n *MemNetwork) Transport(r Role) Transport { return &memTransport{net: n, self: r} }

// BytesSent returns how many payload bytes role r has sent so far.
func (n *MemNetwork) BytesSent(r Role) int64 { return n.sent[r].Load() }

// MessagesSent returns how many messages role r has sent so far.
func (n *MemNetwork) MessagesSent(r Role) int64 { return n.msgs[r].Load() }

// Close ends the network: blocked and later calls return ErrClosed.
func (n *MemNetwork) Close() { n.once.Do(func() { close(n.done) }) }

type memTransport struct {
	net  *MemNetwork
	self Role
}

func (t *memTransport) Self() Role { return t.self }

func (t *memTransport) Send(ctx context.Context, to Role, msg []byte) error {
	if !to.Valid() || to == t.self {
		return fmt.Errorf("send from %s to %s: no such link", t.self, to)
	}
	if len(msg) > MaxMessage {
		return fmt.Errorf("send to %s: message of %d bytes exceeds the limit of %d", to, len(msg), MaxMessage)
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
		return fmt.Errorf("send to %s: %w", to, ErrClosed)
	}
}

// aborted returns the abort of another party, if one has aborted (the first in role
// order when both have).
func (t *memTransport) aborted() error {
	for _, r := range t.self.Others() {
		select {
		case <-t.net.aborts[r].done:
			return &AbortedError{Party: r, Reason: t.net.aborts[r].reason}
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

func (t *memTransport) Recv(ctx context.Context, from Role) ([]byte, error) {
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
		return nil, fmt.Errorf("receive from %s: %w", from, ErrClosed)
	}
}

// RunParties runs f for the three roles at once, as an embedded session or a test
// does, and waits for all of them. A failing party tells the others through its
// transport's Abort, so they stop by themselves; the error returned is the cause: the
// first failure that is not another party's abort (or, if all are, the first).
func RunParties[T any](ctx context.Context, f func(ctx context.Context, r Role) (T, error)) ([3]T, error) {
	var out [3]T
	var mu sync.Mutex
	var cause, first error
	var wg sync.WaitGroup
	for _, r := range Roles() {
		wg.Go(func() {
			v, err := f(ctx, r)
			if err == nil {
				out[r] = v
				return
			}
			err = fmt.Errorf("%s: %w", r, err)
			var ab *AbortedError
			mu.Lock()
			defer mu.Unlock()
			if first == nil {
				first = err
			}
			if cause == nil && !errors.As(err, &ab) {
				cause = err
			}
		})
	}
	wg.Wait()
	if cause != nil {
		return out, cause
	}
	return out, first
}
