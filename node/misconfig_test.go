package node

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/triad-mpc/triad/protocol"
)

// peers is a peer book for tests: role → multiaddr ending in /p2p/<id>.
type peers = map[protocol.Role]string

// fastRetry makes nodes retry quickly and give up after timeout.
func fastRetry(timeout time.Duration) []Option {
	return []Option{WithBackoff(20*time.Millisecond, 100*time.Millisecond), WithCloseTimeout(100 * time.Millisecond),
		func(o *options) { o.peerTimeout = timeout }}
}

// startNode starts a node that is closed when the test ends.
func startNode(t *testing.T, cfg Config, opts ...Option) *Node {
	t.Helper()
	if cfg.Listen == nil && cfg.Role != protocol.ControllerA {
		cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	n, err := New(context.Background(), cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// givenUp waits until n gives up on its link to r and returns the error.
func givenUp(t *testing.T, n *Node, r protocol.Role) error {
	t.Helper()
	l := n.links[r]
	select {
	case <-l.unreached:
	case <-l.up:
		t.Fatalf("%s reached %s", n.self, r)
	}
	err := l.cause()
	var pe *PeerError
	if !errors.As(err, &pe) || pe.Peer != r {
		t.Fatalf("%s's error about %s: %v, want a *PeerError for %s", n.self, r, err, r)
	}
	if st := n.Stats().Peers[r]; st.State != LinkUnreachable || st.Error != err.Error() {
		t.Errorf("%s's stats for %s: %+v", n.self, r, st)
	}
	return err
}

func wantFragments(t *testing.T, what string, err error, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("%s: %q does not say %q", what, err, f)
		}
	}
}

// TestPeerNotReached configures sites wrongly in the ways operators do and checks
// that each node that cannot reach a peer gives up after the peer timeout with an
// error that names the peer and says why, and that the correct links still form.
func TestPeerNotReached(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	a, b, tp, other := newSite(t), newSite(t), newSite(t), newSite(t)
	A, B, T := protocol.ControllerA, protocol.ControllerB, protocol.ThirdParty

	t.Run("refused", func(t *testing.T) {
		n := startNode(t, Config{Role: A, Key: a.key, Peers: peers{
			B: deadAddr(t) + "/p2p/" + b.id.String(),
			T: deadAddr(t) + "/p2p/" + tp.id.String(),
		}}, fastRetry(timeout)...)
		_, err := n.Transport(context.Background())
		wantFragments(t, "Transport", err, "gave up on controller-b", b.id.String(), "connection refused", "1.5s")
		givenUp(t, n, T)
	})

	t.Run("wrong peer ID at the address", func(t *testing.T) {
		nt := startNode(t, Config{Role: T, Key: tp.key, Peers: peers{
			A: deadAddr(t) + "/p2p/" + a.id.String(),
			B: deadAddr(t) + "/p2p/" + b.id.String(),
		}}, fastRetry(timeout)...)
		na := startNode(t, Config{Role: A, Key: a.key, Peers: peers{
			B: deadAddr(t) + "/p2p/" + b.id.String(),
			T: nt.host.Addrs()[0].String() + "/p2p/" + other.id.String(),
		}}, fastRetry(timeout)...)
		err := givenUp(t, na, T)
		wantFragments(t, "controller-a", err, "wrong peer ID", tp.id.String(), other.id.String())
		// The third party never learns who dialed: to it, controller-a never came.
		err = givenUp(t, nt, A)
		wantFragments(t, "third party", err, "no session stream from it", a.id.String())
	})

	t.Run("unknown key at the dialer", func(t *testing.T) {
		// The third party's book has another key for controller-a than the one
		// controller-a runs with.
		nt := startNode(t, Config{Role: T, Key: tp.key, Peers: peers{
			A: deadAddr(t) + "/p2p/" + other.id.String(),
			B: deadAddr(t) + "/p2p/" + b.id.String(),
		}}, fastRetry(timeout)...)
		na := startNode(t, Config{Role: A, Key: a.key, Peers: peers{
			B: deadAddr(t) + "/p2p/" + b.id.String(),
			T: p2pAddr(nt),
		}}, fastRetry(timeout)...)
		err := givenUp(t, na, T)
		wantFragments(t, "controller-a", err, "dropped the connection", a.id.String())
		err = givenUp(t, nt, A)
		wantFragments(t, "third party", err, "unknown ID "+a.id.String(), "its key is not the one")
	})

	t.Run("role configured twice", func(t *testing.T) {
		// Controller-a's site was set up as controller-b: it dials the third party
		// as controller-b with controller-a's key.
		nt := startNode(t, Config{Role: T, Key: tp.key, Peers: peers{
			A: deadAddr(t) + "/p2p/" + a.id.String(),
			B: deadAddr(t) + "/p2p/" + b.id.String(),
		}}, fastRetry(timeout)...)
		nx := startNode(t, Config{Role: B, Key: a.key, Peers: peers{
			A: deadAddr(t) + "/p2p/" + b.id.String(),
			T: p2pAddr(nt),
		}}, fastRetry(timeout)...)
		err := givenUp(t, nx, T)
		wantFragments(t, "the misconfigured site", err, "third-party refused this node's hello", "says it is controller-b", "configured here for controller-a")
		err = givenUp(t, nt, A)
		wantFragments(t, "third party", err, "refused its session stream", "says it is controller-b")
	})

	t.Run("swapped peer labels", func(t *testing.T) {
		nt := startNode(t, Config{Role: T, Key: tp.key, Peers: peers{
			A: deadAddr(t) + "/p2p/" + a.id.String(),
			B: deadAddr(t) + "/p2p/" + b.id.String(),
		}}, fastRetry(timeout)...)
		nb := startNode(t, Config{Role: B, Key: b.key, Peers: peers{
			A: deadAddr(t) + "/p2p/" + a.id.String(),
			T: p2pAddr(nt),
		}}, fastRetry(timeout)...)
		// Controller-a has the other two sites' lines the wrong way round.
		na := startNode(t, Config{Role: A, Key: a.key, Peers: peers{
			B: p2pAddr(nt),
			T: p2pAddr(nb),
		}}, fastRetry(timeout)...)
		select {
		case <-nb.links[T].up:
		case <-nb.links[T].unreached:
			t.Fatal("the correctly configured pair did not connect")
		}
		err := givenUp(t, na, B)
		wantFragments(t, "controller-a about controller-b", err, "refused this node's hello", "this node is third-party, not controller-b")
		// The third party, whose link to controller-b is up, is told why the session
		// cannot start once it gives up on controller-a.
		var ab *protocol.AbortedError
		if err := <-nb.Lost(); !errors.As(err, &ab) || ab.Party != T || !strings.Contains(ab.Reason, "gave up on controller-a") {
			t.Errorf("controller-b's Lost: %v, want the third party's notice that it gave up on controller-a", err)
		}
		err = givenUp(t, na, T)
		wantFragments(t, "controller-a about third-party", err, "this node is controller-b, not third-party")
		err = givenUp(t, nb, A)
		wantFragments(t, "controller-b", err, "refused its session stream", "this node is controller-b, not third-party")
	})
}

// TestPeerReachedLate checks that a node keeps trying: a peer that starts after it
// is reached.
func TestPeerReachedLate(t *testing.T) {
	a, b, tp := newSite(t), newSite(t), newSite(t)
	A, B, T := protocol.ControllerA, protocol.ControllerB, protocol.ThirdParty
	nb := startNode(t, Config{Role: B, Key: b.key, Peers: peers{
		A: deadAddr(t) + "/p2p/" + a.id.String(),
		T: deadAddr(t) + "/p2p/" + tp.id.String(),
	}}, fastRetry(time.Hour)...)
	// Controller-a dials a controller-b that is up and a third party that is not:
	// wait until it has failed to reach the third party, then start it.
	tAddr := deadAddr(t)
	refused := make(chan string, 1)
	na := startNode(t, Config{Role: A, Key: a.key, Peers: peers{
		B: p2pAddr(nb),
		T: tAddr + "/p2p/" + tp.id.String(),
	}}, append(fastRetry(time.Hour), func(o *options) {
		o.failedDial = func(r protocol.Role, why string) {
			if r == T {
				select {
				case refused <- why:
				default:
				}
			}
		}
	})...)
	if why := <-refused; !strings.Contains(why, "connection refused") {
		t.Fatalf("controller-a's first attempt to reach the third party: %s", why)
	}
	startNode(t, Config{Role: T, Key: tp.key, Listen: []string{tAddr}, Peers: peers{
		A: deadAddr(t) + "/p2p/" + a.id.String(),
		B: p2pAddr(nb),
	}}, fastRetry(time.Hour)...)
	if _, err := na.Transport(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := na.Stats().Peers[T]; st.State != LinkUp || st.Error != "" {
		t.Fatalf("controller-a's link to the late third party: %+v", st)
	}
}
