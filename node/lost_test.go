package node

import (
	"bufio"
	"context"
	"errors"
	"strings"
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

// crash ends n's host without a goodbye, the way a killed process's connections end.
func crash(t *testing.T, n *Node) {
	t.Helper()
	if err := n.host.Close(); err != nil {
		t.Fatal(err)
	}
}

// wantLost checks that err is a *PeerError that blames peer, and names it once.
func wantLost(t *testing.T, what string, err error, peer protocol.Role, fragment string) {
	t.Helper()
	var pe *PeerError
	if !errors.As(err, &pe) || pe.Peer != peer {
		t.Errorf("%s: got %v, want a *PeerError blaming %s", what, err, peer)
		return
	}
	if !strings.Contains(err.Error(), fragment) {
		t.Errorf("%s: %q does not say %q", what, err, fragment)
	}
	if c := strings.Count(err.Error(), peer.String()); c != 1 {
		t.Errorf("%s: %q names %s %d times, want once", what, err, peer, c)
	}
}

// TestLostPeerWhileBlockedInRecv kills a peer while a survivor waits for its next
// message: Lost fires, the pending Recv fails, later Sends fail, all naming the dead
// peer, and the survivors' own link carries on.
func TestLostPeerWhileBlockedInRecv(t *testing.T) {
	nodes, ts := loopback(t)
	A, B, T := protocol.ControllerA, protocol.ControllerB, protocol.ThirdParty
	ctx := context.Background()
	recv := make(chan error, 1)
	go func() {
		_, err := ts[B].Recv(ctx, A)
		recv <- err
	}()
	crash(t, nodes[A])
	for _, r := range []protocol.Role{B, T} {
		wantLost(t, r.String()+"'s Lost", <-nodes[r].Lost(), A, "lost controller-a")
	}
	wantLost(t, "the pending Recv", <-recv, A, "lost controller-a")
	wantLost(t, "a later Send", ts[T].Send(ctx, A, []byte("x")), A, "lost controller-a")
	wantLost(t, "a later Recv", func() error { _, err := ts[T].Recv(ctx, A); return err }(), A, "lost controller-a")
	if st := nodes[B].Stats().Peers[A]; st.State != LinkLost || !strings.Contains(st.Error, "lost controller-a") {
		t.Errorf("controller-b's stats for the dead peer: %+v", st)
	}
	if err := ts[B].Send(ctx, T, []byte("on")); err != nil {
		t.Fatal(err)
	}
	if got, err := ts[T].Recv(ctx, B); err != nil || string(got) != "on" {
		t.Fatalf("controller-b → third party after controller-a died: %q, %v", got, err)
	}
}

// TestLostPeerWhileBusy kills a peer while a survivor is not reading from it (its
// queue is full and nobody calls Recv, as while it decrypts): the loss is noticed
// all the same, from the connection or the heartbeat stream ending, and Recv fails
// at once instead of returning what is still queued.
func TestLostPeerWhileBusy(t *testing.T) {
	A, B := protocol.ControllerA, protocol.ControllerB
	held := make(chan struct{})
	nodes, ts := loopback(t, WithQueue(1), WithTap(func(from, to protocol.Role, msg []byte) {
		if from == A && to == B && len(msg) == len(message(A, B, 1)) {
			close(held)
		}
	}))
	ctx := context.Background()
	for i := range 2 {
		if err := ts[A].Send(ctx, B, message(A, B, i)); err != nil {
			t.Fatal(err)
		}
	}
	// The first message is queued and the reader holds the second: it waits for the
	// queue, not on the stream, and cannot see the stream end.
	<-held
	crash(t, nodes[A])
	wantLost(t, "controller-b's Lost", <-nodes[B].Lost(), A, "lost controller-a")
	_, err := ts[B].Recv(ctx, A)
	wantLost(t, "Recv with messages queued", err, A, "lost controller-a")
}

// fakePeer is a libp2p host that speaks the session protocol by hand, as role from
// with key, to a node under test: the test decides what it sends, and when it falls
// silent.
type fakePeer struct {
	session, beats network.Stream
	bw             *bufio.Writer
}

func dialAs(t *testing.T, key crypto.PrivKey, from protocol.Role, n *Node) *fakePeer {
	t.Helper()
	h, err := libp2p.New(libp2p.Identity(key), libp2p.NoListenAddrs, libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New), libp2p.DisableRelay(), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx := context.Background()
	if err := h.Connect(ctx, peer.AddrInfo{ID: n.ID(), Addrs: n.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	f := &fakePeer{}
	if f.session, err = h.NewStream(ctx, n.ID(), ProtocolID); err != nil {
		t.Fatal(err)
	}
	f.bw = bufio.NewWriter(f.session)
	if err := writeFrame(f.bw, frameHello, hello(from, n.self)); err != nil {
		t.Fatal(err)
	}
	if typ, _, err := readFrame(f.session); err != nil || typ != frameHello {
		t.Fatalf("%s's answer to the hello: type %d, %v", n.self, typ, err)
	}
	if f.beats, err = h.NewStream(ctx, n.ID(), beatProtocol); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSilentPeerLost has a peer fall silent, heartbeats included, while its
// connection stays up (a stopped process, a cut cable) and while the node is busy:
// its queue from that peer is full and nobody reads it. The node takes the peer as
// lost once the heartbeat timeout passes, and not while heartbeats come.
func TestSilentPeerLost(t *testing.T) {
	a, b, tp := newSite(t), newSite(t), newSite(t)
	A, B, T := protocol.ControllerA, protocol.ControllerB, protocol.ThirdParty
	const beats = 40 // 4 heartbeat timeouts
	held := make(chan struct{})
	nb := startNode(t, Config{Role: B, Key: b.key, Peers: peers{
		A: deadAddr(t) + "/p2p/" + a.id.String(),
		T: deadAddr(t) + "/p2p/" + tp.id.String(),
	}}, WithHeartbeat(25*time.Millisecond, 250*time.Millisecond), WithQueue(1), WithTap(func(_, _ protocol.Role, msg []byte) {
		if string(msg) == "second" {
			close(held)
		}
	}))
	f := dialAs(t, a.key, A, nb)
	// The first message fills the queue; the reader holds the second.
	for _, m := range []string{"first", "second"} {
		if err := writeFrame(f.bw, frameData, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	<-held
	// The peer beats at its own pace for many heartbeat timeouts: the busy node keeps
	// the link.
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for i := range beats {
		select {
		case err := <-nb.Lost():
			t.Fatalf("lost a peer that beats, after %d heartbeats: %v", i, err)
		case <-tick.C:
		}
		if _, err := f.beats.Write([]byte{0}); err != nil {
			t.Fatal(err)
		}
	}
	// Then it falls silent.
	wantLost(t, "controller-b's Lost", <-nb.Lost(), A, "no heartbeat for")
	// What is queued is not handed out: Recv would fail at once.
	wantLost(t, "the link's failure", nb.links[A].failure(), A, "no heartbeat for")
	if st := nb.Stats().Peers[A]; st.State != LinkLost || !strings.Contains(st.Error, "no heartbeat") {
		t.Errorf("controller-b's stats for the silent peer: %+v", st)
	}
}

// TestAbortWhileBlockedInRecv aborts while the other parties wait for a message: both
// receive the abort notice, from their pending Recv and from Lost.
func TestAbortWhileBlockedInRecv(t *testing.T) {
	nodes, ts := loopback(t)
	A, B, T := protocol.ControllerA, protocol.ControllerB, protocol.ThirdParty
	ctx := context.Background()
	recv := map[protocol.Role]chan error{B: make(chan error, 1), T: make(chan error, 1)}
	for r, c := range recv {
		go func() {
			_, err := ts[r].Recv(ctx, A)
			c <- err
		}()
	}
	if err := ts[A].Abort(ctx, "step 6: decryption failed"); err != nil {
		t.Fatal(err)
	}
	for r, c := range recv {
		for what, err := range map[string]error{"Recv": <-c, "Lost": <-nodes[r].Lost()} {
			var ab *protocol.AbortedError
			if !errors.As(err, &ab) || ab.Party != A || ab.Reason != "step 6: decryption failed" {
				t.Errorf("%s's %s: got %v, want controller-a's abort", r, what, err)
			}
		}
	}
}

// TestAbortBeatsQueuedData sends messages that the receiver has not read yet, then
// aborts: the receiver's next Recv returns the abort, not the queued data.
func TestAbortBeatsQueuedData(t *testing.T) {
	nodes, ts := loopback(t, WithQueue(8))
	A, B := protocol.ControllerA, protocol.ControllerB
	ctx := context.Background()
	for i := range 3 {
		if err := ts[A].Send(ctx, B, message(A, B, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts[A].Abort(ctx, "stopped by the operator"); err != nil {
		t.Fatal(err)
	}
	// The abort frame follows the three messages on the stream: once Lost reports
	// it, all three are queued.
	var ab *protocol.AbortedError
	if err := <-nodes[B].Lost(); !errors.As(err, &ab) {
		t.Fatalf("Lost: %v, want the abort", err)
	}
	if n := len(nodes[B].links[A].in); n != 3 {
		t.Fatalf("%d messages queued, want 3", n)
	}
	for range 2 {
		if _, err := ts[B].Recv(ctx, A); !errors.As(err, &ab) || ab.Party != A || ab.Reason != "stopped by the operator" {
			t.Fatalf("Recv with data queued after an abort: got %v, want the abort", err)
		}
	}
}

// TestCloseIsNoLoss checks that a peer's goodbye at the end of a session is not
// reported as a loss.
func TestCloseIsNoLoss(t *testing.T) {
	nodes, ts := loopback(t)
	A, B := protocol.ControllerA, protocol.ControllerB
	if err := nodes[A].Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ts[B].Recv(context.Background(), A); !errors.Is(err, protocol.ErrClosed) {
		t.Fatalf("Recv from a closed peer: %v", err)
	}
	var pe *PeerError
	if _, err := ts[B].Recv(context.Background(), A); errors.As(err, &pe) {
		t.Errorf("a peer that said goodbye is blamed: %v", err)
	}
	select {
	case err := <-nodes[B].Lost():
		t.Errorf("Lost reported %v after a goodbye", err)
	default:
	}
}
