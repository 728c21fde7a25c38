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
// told apart from the interrupted message. Its errors name the peer once; a
// *PeerError means the link failed because of the peer.
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
	if err := t.n.ended(l); err != nil {
		return err
	}
	if err := l.writable(); err != nil {
		return err
	}
	if err := l.write(ctx, frameData, msg); err != nil {
		return err
	}
	l.sentBytes.Add(int64(len(msg)))
	l.sentMsgs.Add(1)
	return nil
}

// Recv returns the next message from role from. Messages that arrived before the
// peer said goodbye are still returned; after them Recv reports that no more will
// come. Once the peer has aborted or the link is lost, Recv returns that error at
// once, whatever is still queued: the session cannot go on. Its errors name the
// peer once.
func (t transport) Recv(ctx context.Context, from protocol.Role) ([]byte, error) {
	l, err := t.link(from)
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	if t.n.isClosing() {
		return nil, fmt.Errorf("receive from %s: %w", from, protocol.ErrClosed)
	}
	if err := t.n.ended(l); err != nil {
		return nil, err
	}
	select {
	case <-t.n.aborted:
		return nil, t.n.ended(l)
	case msg, ok := <-l.in:
		if err := t.n.ended(l); err != nil {
			return nil, err
		}
		if !ok {
			return nil, l.cause()
		}
		return msg, nil
	case <-l.dead:
		if err := l.failure(); err != nil {
			return nil, err
		}
		// A goodbye: what the peer sent before it is still queued.
		msg, ok := <-l.in
		if !ok {
			return nil, l.cause()
		}
		return msg, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("receive from %s: %w", from, ctx.Err())
	case <-t.n.closing:
		return nil, fmt.Errorf("receive from %s: %w", from, protocol.ErrClosed)
	}
}

// ended returns why nothing more can cross l, if so: l's own failure, or a peer's
// abort, which ends the session on every link.
func (n *Node) ended(l *link) error {
	if err := l.failure(); err != nil {
		return err
	}
	select {
	case <-n.aborted:
		return n.abort
	default:
		return nil
	}
}

// noteAbort records the first abort notice from either peer.
func (n *Node) noteAbort(ab *protocol.AbortedError) {
	n.abortOnce.Do(func() {
		n.abort = ab
		close(n.aborted)
	})
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
			errs = append(errs, err)
			continue
		}
		if err := l.write(ctx, frameAbort, []byte(reason)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
