package protocol

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
