package node

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/triad-mpc/triad/protocol"
)

func TestFrameRoundTrip(t *testing.T) {
	frames := []struct {
		typ     byte
		payload []byte
	}{
		{frameHello, hello(protocol.ControllerB, protocol.ThirdParty)},
		{frameAbort, []byte("stopped")},
		{frameData, nil},
		{frameData, []byte("x")},
		{frameData, bytes.Repeat([]byte{0xa5}, 3*ioBuffer+7)},
		{frameBye, nil},
		{frameByeAck, nil},
	}
	var buf bytes.Buffer
	w := bufio.NewWriterSize(&buf, 16)
	for _, f := range frames {
		if err := writeFrame(w, f.typ, f.payload); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range frames {
		typ, payload, err := readFrame(&buf)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if typ != f.typ || !bytes.Equal(payload, f.payload) {
			t.Fatalf("frame %d: got type %d and %d bytes, want type %d and %d bytes", i, typ, len(payload), f.typ, len(f.payload))
		}
	}
	if _, _, err := readFrame(&buf); err != io.EOF {
		t.Fatalf("after the last frame: got %v, want io.EOF", err)
	}
}

func TestFrameErrors(t *testing.T) {
	header := func(typ byte, n uint32) []byte {
		h := make([]byte, frameHeader)
		h[0] = typ
		binary.BigEndian.PutUint32(h[1:], n)
		return h
	}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"data over the limit", header(frameData, protocol.MaxMessage+1), ErrFrameTooLarge},
		{"control over the limit", header(frameBye, maxControl+1), ErrFrameTooLarge},
		{"truncated header", header(frameData, 4)[:3], io.ErrUnexpectedEOF},
		{"truncated payload", append(header(frameData, 4), 1, 2), io.ErrUnexpectedEOF},
		{"unknown type", header(9, 0), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readFrame(bytes.NewReader(c.in))
			if err == nil {
				t.Fatal("readFrame accepted a bad frame")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}

	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := writeFrame(w, frameData, make([]byte, protocol.MaxMessage+1)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("writing an oversized frame: got %v, want ErrFrameTooLarge", err)
	}
	if buf.Len() != 0 || w.Buffered() != 0 {
		t.Fatal("an oversized frame was partly written")
	}
}

func TestHello(t *testing.T) {
	for _, from := range protocol.Roles() {
		for _, to := range from.Others() {
			f, r, err := parseHello(hello(from, to))
			if err != nil || f != from || r != to {
				t.Fatalf("hello(%s, %s) parses as %v, %v, %v", from, to, f, r, err)
			}
		}
	}
	for _, c := range []struct{ hello, want string }{
		{"", "malformed"},
		{"controller-a", "malformed"},
		{ProtocolID + " controller-a", "malformed"},
		{"/triad/session/1.0.0 controller-a third-party", "peer speaks"},
		{ProtocolID + " auditor third-party", "auditor"},
		{ProtocolID + " controller-a controller-a", "both ends"},
		{ProtocolID + " controller-a third-party extra", "malformed"},
	} {
		_, _, err := parseHello([]byte(c.hello))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseHello(%q): got %v, want an error containing %q", c.hello, err, c.want)
		}
	}
}
