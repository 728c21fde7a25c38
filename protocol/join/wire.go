package join

import (
	"context"
	"fmt"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/wire"
)

// batchBytes bounds the payload of one bulk message, well below protocol.MaxMessage, so
// that a step streams its data in pieces and memory on both sides stays bounded.
const batchBytes = 1 << 20

// link wraps a transport with envelope encoding and a count of the bytes this party sent.
type link struct {
	t    protocol.Transport
	sent atomic.Int64
}

func (l *link) send(ctx context.Context, to protocol.Role, env *wire.Envelope) error {
	b, err := proto.Marshal(env)
	if err != nil {
		return fmt.Errorf("encode message for %s: %w", to, err)
	}
	if err := l.t.Send(ctx, to, b); err != nil {
		return err // the transport names the peer
	}
	l.sent.Add(int64(len(b)))
	return nil
}

// recv decodes the next message from a party. Decoding copies the message's bytes; for
// a message that carries a secret (secret set) the frame it came in is zeroed at once,
// so that the decoded copy, which the caller wipes, is the only one left.
func (l *link) recv(ctx context.Context, from protocol.Role, secret bool) (*wire.Envelope, error) {
	b, err := l.t.Recv(ctx, from)
	if err != nil {
		return nil, err // the transport names the peer
	}
	env := new(wire.Envelope)
	err = proto.Unmarshal(b, env)
	if secret {
		clear(b)
	}
	if err != nil {
		return nil, fmt.Errorf("malformed message from %s: %w", from, err)
	}
	return env, nil
}

// expect receives the next message from a party and checks it is of the wanted kind.
func expect[T any](ctx context.Context, l *link, from protocol.Role, get func(*wire.Envelope) *T, want string) (*T, error) {
	return expectFrom(ctx, l, from, get, want, false)
}

// expectSecret is expect for a message that carries a secret; see recv.
func expectSecret[T any](ctx context.Context, l *link, from protocol.Role, get func(*wire.Envelope) *T, want string) (*T, error) {
	return expectFrom(ctx, l, from, get, want, true)
}

func expectFrom[T any](ctx context.Context, l *link, from protocol.Role, get func(*wire.Envelope) *T, want string, secret bool) (*T, error) {
	env, err := l.recv(ctx, from, secret)
	if err != nil {
		return nil, err
	}
	m := get(env)
	if m == nil {
		return nil, fmt.Errorf("expected %s from %s, got %T", want, from, env.GetBody())
	}
	return m, nil
}

// sendStream sends n items to a party in messages of at most per items each; msg
// builds the message of items [lo, hi), which is the last when hi == n. A stream of no
// items is one empty last message. It sends from its own goroutine, so the caller can
// receive meanwhile; the channel yields the first error, or nil once all are sent.
func (l *link) sendStream(ctx context.Context, to protocol.Role, n, per int, msg func(lo, hi int) (*wire.Envelope, error)) <-chan error {
	per = max(1, per)
	done := make(chan error, 1)
	go func() {
		for lo := 0; ; lo += per {
			hi := min(lo+per, n)
			env, err := msg(lo, hi)
			if err == nil {
				err = l.send(ctx, to, env)
			}
			if err != nil || hi == n {
				done <- err
				return
			}
		}
	}()
	return done
}

// recvStream receives messages of one kind from a party, handing each to use, until
// one says it is the last.
func recvStream[T any](ctx context.Context, l *link, from protocol.Role, get func(*wire.Envelope) *T, want string,
	last func(*T) bool, use func(*T) error) error {
	for {
		m, err := expect(ctx, l, from, get, want)
		if err != nil {
			return err
		}
		if err := use(m); err != nil {
			return err
		}
		if last(m) {
			return nil
		}
	}
}

func envCommitment(m *wire.Commitment) *wire.Envelope {
	return &wire.Envelope{Body: &wire.Envelope_Commitment{Commitment: m}}
}
func envOpening(m *wire.Opening) *wire.Envelope {
	return &wire.Envelope{Body: &wire.Envelope_Opening{Opening: m}}
}
func envPublicKey(m *wire.PublicKey) *wire.Envelope {
	return &wire.Envelope{Body: &wire.Envelope_PublicKey{PublicKey: m}}
}
func envRows(m *wire.Rows) *wire.Envelope { return &wire.Envelope{Body: &wire.Envelope_Rows{Rows: m}} }
func envCount(m *wire.Count) *wire.Envelope {
	return &wire.Envelope{Body: &wire.Envelope_Count{Count: m}}
}
func envCiphertexts(m *wire.Ciphertexts) *wire.Envelope {
	return &wire.Envelope{Body: &wire.Envelope_Ciphertexts{Ciphertexts: m}}
}
func envShares(m *wire.Shares) *wire.Envelope {
	return &wire.Envelope{Body: &wire.Envelope_Shares{Shares: m}}
}
