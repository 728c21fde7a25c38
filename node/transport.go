package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/triad-mpc/triad/protocol"
)

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
