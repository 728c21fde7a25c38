package node

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/triad-mpc/triad/protocol"
)

// A frame on a session stream is a one-byte type, a four-byte big-endian payload
// length and the payload.
const frameHeader = 5

// Frame types. Only frameData carries session messages; the others are the
// stream's own bookkeeping and never reach the protocol.
const (
	frameData   byte = 0 // one session message
	frameHello  byte = 1 // "<protocol id> <role>": first frame each way
	frameBye    byte = 2 // the sender will send nothing more
	frameByeAck byte = 3 // the receiver has read everything up to a bye
	frameAbort  byte = 4 // the sender stopped the session, or refuses a hello; the payload says why
)

// maxControl bounds the payload of frames other than frameData and frameAbort.
const maxControl = 256

// maxReason bounds the payload of frameAbort; a longer reason is cut.
const maxReason = 4096

// ErrFrameTooLarge reports a message longer than protocol.MaxMessage, refused by the
// sender before it is written and by the receiver as soon as it reads the header.
var ErrFrameTooLarge = errors.New("frame exceeds the message size limit")

// writeFrame writes one frame and flushes it to the stream.
func writeFrame(w *bufio.Writer, typ byte, payload []byte) error {
	if limit := frameLimit(typ); len(payload) > limit {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(payload), limit)
	}
	var h [frameHeader]byte
	h[0] = typ
	binary.BigEndian.PutUint32(h[1:], uint32(len(payload)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	if _, err := w.Write(payload); err != nil {
		return err
	}
	return w.Flush()
}

// readFrame reads one frame. It checks the declared length against the limit for
// the frame's type before allocating anything, so a peer cannot make the node
// reserve more than protocol.MaxMessage for one frame. A stream that ends cleanly
// between frames gives io.EOF; one that ends inside a frame gives
// io.ErrUnexpectedEOF.
func readFrame(r io.Reader) (byte, []byte, error) {
	var h [frameHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	typ, n := h[0], binary.BigEndian.Uint32(h[1:])
	if typ > frameAbort {
		return 0, nil, fmt.Errorf("unknown frame type %d", typ)
	}
	if limit := frameLimit(typ); uint64(n) > uint64(limit) {
		return 0, nil, fmt.Errorf("%w: peer announced %d bytes, limit %d", ErrFrameTooLarge, n, limit)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return typ, buf, nil
}

func frameLimit(typ byte) int {
	switch typ {
	case frameData:
		return protocol.MaxMessage
	case frameAbort:
		return maxReason
	}
	return maxControl
}
