package node

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/triad-mpc/triad/protocol"
)

// loopback starts three connected nodes and returns them with their transports;
// they are closed when the test ends.
func loopback(t *testing.T, opts ...Option) ([3]*Node, [3]protocol.Transport) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nodes, err := Loopback(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll(nodes[:]...) })
	var ts [3]protocol.Transport
	for _, r := range protocol.Roles() {
		if ts[r], err = nodes[r].Transport(ctx); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
	}
	return nodes, ts
}

func closeAll(nodes ...*Node) {
	var wg sync.WaitGroup
	for _, n := range nodes {
		if n != nil {
			wg.Go(func() { n.Close() })
		}
	}
	wg.Wait()
}

// message returns the i-th test message from one role to another: its length
// varies with i and its bytes depend on all three values.
func message(from, to protocol.Role, i int) []byte {
	msg := make([]byte, 8+(i*7919)%70000)
	seed := sha256.Sum256(fmt.Appendf(nil, "%d/%d/%d", from, to, i))
	for j := range msg {
		msg[j] = seed[j%len(seed)] ^ byte(j>>5)
	}
	binary.BigEndian.PutUint64(msg, uint64(i))
	return msg
}

func TestMessagesArriveInOrder(t *testing.T) {
	const count = 150
	var tapped [3][3]atomic.Int64
	nodes, ts := loopback(t, WithTap(func(from, to protocol.Role, msg []byte) {
		tapped[from][to].Add(int64(len(msg)))
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var sent [3][3]int64
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for _, from := range protocol.Roles() {
		for _, to := range from.Others() {
			for i := range count {
				sent[from][to] += int64(len(message(from, to, i)))
			}
			wg.Go(func() {
				for i := range count {
					if err := ts[from].Send(ctx, to, message(from, to, i)); err != nil {
						errs <- fmt.Errorf("%s→%s message %d: %w", from, to, i, err)
						return
					}
				}
			})
			wg.Go(func() {
				for i := range count {
					got, err := ts[to].Recv(ctx, from)
					if err != nil {
						errs <- fmt.Errorf("%s→%s message %d: %w", from, to, i, err)
						return
					}
					if want := message(from, to, i); !bytes.Equal(got, want) {
						errs <- fmt.Errorf("%s→%s message %d: got %d bytes (sequence %d), want %d bytes", from, to, i, len(got), binary.BigEndian.Uint64(got), len(want))
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	for _, from := range protocol.Roles() {
		for _, to := range from.Others() {
			out, in := nodes[from].Stats().Peers[to], nodes[to].Stats().Peers[from]
			if out.BytesSent != sent[from][to] || out.MessagesSent != count {
				t.Errorf("%s counts %d bytes in %d messages sent to %s, want %d in %d", from, out.BytesSent, out.MessagesSent, to, sent[from][to], count)
			}
			if in.BytesReceived != sent[from][to] || in.MessagesReceived != count {
				t.Errorf("%s counts %d bytes in %d messages received from %s, want %d in %d", to, in.BytesReceived, in.MessagesReceived, from, sent[from][to], count)
			}
			if got := tapped[from][to].Load(); got != sent[from][to] {
				t.Errorf("tap saw %d bytes %s→%s, want %d", got, from, to, sent[from][to])
			}
			if in.State != LinkUp || !in.Connected || in.Remote == "" {
				t.Errorf("%s's link to %s: %+v, want up and connected", to, from, in)
			}
		}
	}
}

func TestLargeMessagesBothWaysAtOnce(t *testing.T) {
	_, ts := loopback(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	// Each side sends its whole batch before it receives anything, the pattern
	// that deadlocks a transport whose reads wait on its writes.
	const batch = 2
	a, b := protocol.ControllerA, protocol.ThirdParty
	payload := map[protocol.Role][][]byte{}
	for _, r := range []protocol.Role{a, b} {
		for range batch {
			m := make([]byte, protocol.MaxMessage)
			rand.Read(m)
			payload[r] = append(payload[r], m)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, pair := range [][2]protocol.Role{{a, b}, {b, a}} {
		self, peer := pair[0], pair[1]
		wg.Go(func() {
			for _, m := range payload[self] {
				if err := ts[self].Send(ctx, peer, m); err != nil {
					errs <- fmt.Errorf("%s sends: %w", self, err)
					return
				}
			}
			for i, want := range payload[peer] {
				got, err := ts[self].Recv(ctx, peer)
				if err != nil {
					errs <- fmt.Errorf("%s receives: %w", self, err)
					return
				}
				if !bytes.Equal(got, want) {
					errs <- fmt.Errorf("%s: message %d from %s differs", self, i, peer)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSlowReceiverHoldsSenderBack(t *testing.T) {
	const (
		size  = 1 << 20
		count = 96
	)
	_, ts := loopback(t, WithQueue(1))
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	a, b := protocol.ControllerA, protocol.ControllerB

	var sent atomic.Int64
	done := make(chan error, 1)
	go func() {
		for i := range count {
			m := make([]byte, size)
			binary.BigEndian.PutUint64(m, uint64(i))
			if err := ts[a].Send(ctx, b, m); err != nil {
				done <- err
				return
			}
			sent.Add(1)
		}
		done <- nil
	}()

	// Wait until the sender makes no progress while nobody receives.
	last := int64(-1)
	for sent.Load() != last {
		last = sent.Load()
		select {
		case err := <-done:
			t.Fatalf("the sender finished (%v) although the receiver read nothing", err)
		case <-time.After(400 * time.Millisecond):
		}
	}
	// What the receiver holds: one queued message, one in the reader, at most a
	// 16 MiB stream window and the kernel's socket buffers.
	if held := last * size; held > 48<<20 {
		t.Fatalf("the sender got %d MiB ahead of a receiver that read nothing", held>>20)
	}
	t.Logf("sender stalled after %d MiB", last)

	for i := range count {
		m, err := ts[b].Recv(ctx, a)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if got := binary.BigEndian.Uint64(m); got != uint64(i) || len(m) != size {
			t.Fatalf("message %d: got sequence %d, %d bytes", i, got, len(m))
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFrameLimitEnforced(t *testing.T) {
	nodes, ts := loopback(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := protocol.ControllerA, protocol.ControllerB

	// The sender refuses an oversized message and the link stays usable.
	err := ts[a].Send(ctx, b, make([]byte, protocol.MaxMessage+1))
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("sending MaxMessage+1 bytes: got %v, want ErrFrameTooLarge", err)
	}
	if err := ts[a].Send(ctx, b, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if got, err := ts[b].Recv(ctx, a); err != nil || string(got) != "still here" {
		t.Fatalf("after the refused message: got %q, %v", got, err)
	}

	// A peer that announces an oversized frame anyway is cut off by the receiver.
	l := nodes[a].links[b]
	l.wmu <- struct{}{}
	var h [frameHeader]byte
	binary.BigEndian.PutUint32(h[1:], protocol.MaxMessage+1)
	l.bw.Write(h[:])
	l.bw.Flush()
	<-l.wmu
	if _, err := ts[b].Recv(ctx, a); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("receiving an oversized frame: got %v, want ErrFrameTooLarge", err)
	}
	if st := nodes[b].Stats().Peers[a]; st.State != LinkLost || st.Error == "" {
		t.Fatalf("receiver's link after an oversized frame: %+v, want lost with a reason", st)
	}
}

// intruder is a libp2p host with a key no Triad node knows.
func intruder(t *testing.T) (*peer.AddrInfo, func(context.Context, *Node) error) {
	t.Helper()
	h, err := libp2p.New(
		libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	info := &peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}

	// try attempts to reach n and push a session message through, at once after
	// its dial returns (the refusal may reach the dialer just after Connect
	// returns), and checks that no connection survives.
	try := func(ctx context.Context, n *Node) error {
		// gone is closed once the intruder has no connection to n left.
		gone := make(chan struct{})
		var once sync.Once
		h.Network().Notify(&network.NotifyBundle{DisconnectedF: func(net network.Network, c network.Conn) {
			if c.RemotePeer() == n.ID() && net.Connectedness(n.ID()) != network.Connected {
				once.Do(func() { close(gone) })
			}
		}})
		target := peer.AddrInfo{ID: n.ID(), Addrs: n.host.Addrs()}
		err := h.Connect(ctx, target)
		t.Logf("intruder's dial to %s: %v", n.self, err)
		if s, err := h.NewStream(ctx, n.ID(), ProtocolID); err == nil {
			s.SetDeadline(time.Now().Add(2 * time.Second))
			frame := func(typ byte, p []byte) []byte {
				var h [frameHeader]byte
				h[0] = typ
				binary.BigEndian.PutUint32(h[1:], uint32(len(p)))
				return append(h[:], p...)
			}
			s.Write(frame(frameHello, hello(protocol.ControllerA, n.self)))
			s.Write(frame(frameData, []byte("intruding")))
			_, _, err := readFrame(s)
			s.Reset()
			if err == nil {
				return fmt.Errorf("%s answered the intruder's hello", n.self)
			}
			t.Logf("intruder's session stream to %s: %v", n.self, err)
		} else {
			t.Logf("intruder's stream to %s: %v", n.self, err)
		}
		if h.Network().Connectedness(n.ID()) != network.Connected {
			return nil
		}
		select {
		case <-gone:
		case <-ctx.Done():
			if h.Network().Connectedness(n.ID()) == network.Connected {
				return fmt.Errorf("the intruder's connection to %s stayed up", n.self)
			}
		}
		return nil
	}
	return info, try
}

func TestUnknownPeerRefused(t *testing.T) {
	var received atomic.Int64
	nodes, err := Loopback(context.Background(), WithTap(func(_, _ protocol.Role, _ []byte) { received.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(nodes[:]...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	info, try := intruder(t)
	for _, n := range nodes {
		if err := try(ctx, n); err != nil {
			t.Error(err)
		}
		if err := n.host.Connect(ctx, *info); err == nil {
			t.Errorf("%s dialed a peer that is not configured", n.self)
		}
		for _, ps := range n.Stats().Peers {
			if ps.ID == info.ID {
				t.Errorf("%s lists the intruder among its peers", n.self)
			}
		}
	}
	if got := received.Load(); got != 0 {
		t.Fatalf("%d messages reached the nodes before the session started", got)
	}

	// The configured peers are unaffected.
	var ts [3]protocol.Transport
	for _, r := range protocol.Roles() {
		if ts[r], err = nodes[r].Transport(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, from := range protocol.Roles() {
		for _, to := range from.Others() {
			if err := ts[from].Send(ctx, to, message(from, to, 1)); err != nil {
				t.Fatal(err)
			}
			if got, err := ts[to].Recv(ctx, from); err != nil || !bytes.Equal(got, message(from, to, 1)) {
				t.Fatalf("%s→%s after the intrusion: %v", from, to, err)
			}
		}
	}
	if got := received.Load(); got != 6 {
		t.Fatalf("the nodes received %d messages, want the 6 sent", got)
	}
}

// site is one party's identity for tests that configure nodes by hand.
type site struct {
	key crypto.PrivKey
	id  peer.ID
}

func newSite(t *testing.T) site {
	t.Helper()
	sk, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	return site{sk, id}
}

// deadAddr returns a loopback TCP address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close()
	return fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", addr.Port)
}

func p2pAddr(n *Node) string { return n.Addrs()[0].String() }

func TestTransportHonoursContext(t *testing.T) {
	a, b, tp := newSite(t), newSite(t), newSite(t)
	n, err := New(context.Background(), Config{Role: protocol.ControllerA, Key: a.key, Peers: map[protocol.Role]string{
		protocol.ControllerB: deadAddr(t) + "/p2p/" + b.id.String(),
		protocol.ThirdParty:  deadAddr(t) + "/p2p/" + tp.id.String(),
	}}, WithBackoff(20*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()

	// A context that ends while Transport waits ends the wait, with the context's
	// error and the peer awaited, and blames no peer.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := n.Transport(ctx)
		done <- err
	}()
	cancel()
	err = <-done
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for controller-b") {
		t.Errorf("got %v, want context.Canceled naming controller-b", err)
	}
	var pe *PeerError
	if errors.As(err, &pe) {
		t.Errorf("a cancelled wait blames a peer: %v", err)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	if _, err := n.Transport(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want a deadline error", err)
	}
}

func TestClose(t *testing.T) {
	nodes, ts := loopback(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := protocol.ControllerA, protocol.ControllerB

	// A message sent just before Close is still delivered.
	last := message(a, b, 42)
	if err := ts[a].Send(ctx, b, last); err != nil {
		t.Fatal(err)
	}
	if err := nodes[a].Close(); err != nil {
		t.Fatal(err)
	}
	if err := ts[a].Send(ctx, b, []byte("late")); !errors.Is(err, protocol.ErrClosed) {
		t.Errorf("Send after Close: got %v, want ErrClosed", err)
	}
	if _, err := ts[a].Recv(ctx, b); !errors.Is(err, protocol.ErrClosed) {
		t.Errorf("Recv after Close: got %v, want ErrClosed", err)
	}
	if _, err := nodes[a].Transport(ctx); !errors.Is(err, protocol.ErrClosed) {
		t.Errorf("Transport after Close: got %v, want ErrClosed", err)
	}

	if got, err := ts[b].Recv(ctx, a); err != nil || !bytes.Equal(got, last) {
		t.Fatalf("the message sent before Close: %v", err)
	}
	if _, err := ts[b].Recv(ctx, a); !errors.Is(err, protocol.ErrClosed) {
		t.Errorf("Recv from a closed peer: got %v, want ErrClosed", err)
	}
	if err := ts[b].Send(ctx, a, []byte("anyone?")); !errors.Is(err, protocol.ErrClosed) {
		t.Errorf("Send to a closed peer: got %v, want ErrClosed", err)
	}
	if st := nodes[b].Stats().Peers[a].State; st != LinkPeerClosed {
		t.Errorf("controller-b's link to a closed controller-a is %s", st)
	}
	// The other links carry on.
	tp := protocol.ThirdParty
	if err := ts[b].Send(ctx, tp, []byte("on")); err != nil {
		t.Fatal(err)
	}
	if got, err := ts[tp].Recv(ctx, b); err != nil || string(got) != "on" {
		t.Fatalf("controller-b → third party after controller-a closed: %q, %v", got, err)
	}
}

// stallWriter stands in for a session stream that takes a frame's first bytes and
// then accepts nothing more until the link ends, like a peer that stopped reading.
type stallWriter struct {
	l       *link
	entered chan struct{}
	once    sync.Once
}

func (w *stallWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.l.dead
	return 0, errors.New("stream reset")
}

func TestCancelledSendResetsLink(t *testing.T) {
	nodes, ts := loopback(t)
	a, b := protocol.ControllerA, protocol.ThirdParty
	l := nodes[a].links[b]
	stall := &stallWriter{l: l, entered: make(chan struct{})}
	l.wmu <- struct{}{} // no frame may be written while the writer is swapped
	l.bw = bufio.NewWriterSize(stall, 16)
	<-l.wmu

	// The send is cancelled once it is stuck inside its frame; the link must not
	// carry anything after the half-written frame.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-stall.entered
		cancel()
	}()
	err := ts[a].Send(ctx, b, make([]byte, 4<<10))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "mid-frame") {
		t.Fatalf("stalled Send: got %v, want a cancellation mid-frame", err)
	}
	var pe *PeerError
	if errors.As(err, &pe) {
		t.Errorf("a send this node cancelled blames %s: %v", pe.Peer, err)
	}
	if err := ts[a].Send(context.Background(), b, []byte("x")); err == nil {
		t.Fatal("a link with a half-written frame accepted another message")
	}
	if st := nodes[a].Stats().Peers[b].State; st != LinkLost {
		t.Errorf("the link is %s after a cancelled send, want lost", st)
	}
	// The node's own cancellation is not a lost peer.
	select {
	case err := <-nodes[a].Lost():
		t.Errorf("Lost reported %v after this node cancelled a send", err)
	default:
	}
}

// BenchmarkSend measures one-way throughput between two loopback nodes.
func BenchmarkSend(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20, protocol.MaxMessage} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			nodes, err := Loopback(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			defer closeAll(nodes[:]...)
			ctx := context.Background()
			ta, err := nodes[protocol.ControllerA].Transport(ctx)
			if err != nil {
				b.Fatal(err)
			}
			tb, err := nodes[protocol.ControllerB].Transport(ctx)
			if err != nil {
				b.Fatal(err)
			}
			msg := make([]byte, size)
			done := make(chan error, 1)
			b.SetBytes(int64(size))
			b.ResetTimer()
			go func() {
				for range b.N {
					if _, err := tb.Recv(ctx, protocol.ControllerA); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			for range b.N {
				if err := ta.Send(ctx, protocol.ControllerB, msg); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkRoundTrip measures the time for a small message to go to a peer and back,
// the cost of one round of the protocol on loopback.
func BenchmarkRoundTrip(b *testing.B) {
	nodes, err := Loopback(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer closeAll(nodes[:]...)
	ctx := context.Background()
	a, c := protocol.ControllerA, protocol.ThirdParty
	ta, err := nodes[a].Transport(ctx)
	if err != nil {
		b.Fatal(err)
	}
	tc, err := nodes[c].Transport(ctx)
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for {
			m, err := tc.Recv(ctx, a)
			if err != nil || tc.Send(ctx, a, m) != nil {
				return
			}
		}
	}()
	msg := make([]byte, 64)
	b.ResetTimer()
	for range b.N {
		if err := ta.Send(ctx, c, msg); err != nil {
			b.Fatal(err)
		}
		if _, err := ta.Recv(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}
