package node

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/triad-mpc/triad/protocol"
)

// FuzzReadFrame feeds arbitrary bytes to the frame decoder: it must never accept a
// frame over its limit, and every frame it accepts must encode back to the same bytes.
func FuzzReadFrame(f *testing.F) {
	for _, seed := range [][]byte{
		{},
		{frameData, 0, 0, 0, 3, 'a', 'b', 'c'},
		{frameData, 0xff, 0xff, 0xff, 0xff},
		{frameByeAck + 1, 0, 0, 0, 0},
		append([]byte{frameData, 0, 0, 0, 4}, "ab"...),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, payload, err := readFrame(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(payload) > frameLimit(typ) {
			t.Fatalf("accepted a %d-byte frame of type %d", len(payload), typ)
		}
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		if err := writeFrame(w, typ, payload); err != nil {
			t.Fatalf("re-encoding an accepted frame: %v", err)
		}
		if !bytes.Equal(buf.Bytes(), data[:buf.Len()]) {
			t.Fatal("re-encoded frame differs from the input")
		}
	})
}

// FuzzParseHello checks that the hello parser accepts only what hello produces.
func FuzzParseHello(f *testing.F) {
	for _, r := range protocol.Roles() {
		f.Add(hello(r, r.Others()[0]))
	}
	f.Add([]byte("/triad/session/0.9.0 controller-a third-party"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		from, to, err := parseHello(b)
		if err == nil && !bytes.Equal(hello(from, to), b) {
			t.Fatalf("accepted %q as %s to %s", b, from, to)
		}
	})
}
