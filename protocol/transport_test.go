package protocol_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/memnet"
)

func TestMemNetworkOrderAndCounts(t *testing.T) {
	n := memnet.New()
	defer n.Close()
	ctx := context.Background()
	a, b := n.Transport(protocol.ControllerA), n.Transport(protocol.ThirdParty)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := range 50 {
			if err := a.Send(ctx, protocol.ThirdParty, []byte(fmt.Sprint(i))); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range 50 {
		m, err := b.Recv(ctx, protocol.ControllerA)
		if err != nil {
			t.Fatal(err)
		}
		if string(m) != fmt.Sprint(i) {
			t.Fatalf("message %d is %q", i, m)
		}
	}
	<-sent // the sender counts a message once its Send has returned
	if n.MessagesSent(protocol.ControllerA) != 50 || n.BytesSent(protocol.ControllerA) != 90 {
		t.Fatalf("counted %d messages, %d bytes", n.MessagesSent(protocol.ControllerA), n.BytesSent(protocol.ControllerA))
	}
	if err := a.Send(ctx, protocol.ControllerA, nil); err == nil {
		t.Fatal("a party sent to itself")
	}
	if err := a.Send(ctx, protocol.ThirdParty, make([]byte, protocol.MaxMessage+1)); err == nil {
		t.Fatal("an oversized message was accepted")
	}
}

func TestExchangeDoesNotDeadlock(t *testing.T) {
	n := memnet.New(memnet.WithQueue(1))
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make(chan error, 3)
	for _, r := range protocol.Roles() {
		go func() {
			out := map[protocol.Role][]byte{}
			for _, o := range r.Others() {
				out[o] = []byte(r.String() + ">" + o.String())
			}
			in, err := protocol.Exchange(ctx, n.Transport(r), out)
			if err == nil {
				for _, o := range r.Others() {
					if want := o.String() + ">" + r.String(); string(in[o]) != want {
						err = fmt.Errorf("%s got %q from %s, want %q", r, in[o], o, want)
					}
				}
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestLatencyAndClose(t *testing.T) {
	n := memnet.New(memnet.WithLatency(30 * time.Millisecond))
	ctx := context.Background()
	start := time.Now()
	if err := n.Transport(protocol.ControllerA).Send(ctx, protocol.ControllerB, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Transport(protocol.ControllerB).Recv(ctx, protocol.ControllerA); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("message arrived after %v, before the configured latency", d)
	}
	n.Close()
	if _, err := n.Transport(protocol.ControllerB).Recv(ctx, protocol.ControllerA); !errors.Is(err, protocol.ErrClosed) {
		t.Fatalf("Recv after Close: %v, want protocol.ErrClosed", err)
	}
}

func TestRoles(t *testing.T) {
	for _, r := range protocol.Roles() {
		got, err := protocol.ParseRole(r.String())
		if err != nil || got != r {
			t.Fatalf("protocol.ParseRole(%q) = %v, %v", r, got, err)
		}
		o := r.Others()
		if o[0] == r || o[1] == r || o[0] == o[1] {
			t.Fatalf("%s.Others() = %v", r, o)
		}
	}
	if _, err := protocol.ParseRole("hospital"); err == nil {
		t.Fatal("protocol.ParseRole accepted an unknown role")
	}
}

func TestDisclosure(t *testing.T) {
	var buf bytes.Buffer
	d := protocol.NewDisclosure(protocol.ThirdParty, &buf)
	if err := d.Record(4, protocol.ThirdParty, "intersection_size", 12); err != nil {
		t.Fatal(err)
	}
	var e protocol.DisclosureEntry
	if err := json.Unmarshal(buf.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if e.Party != "third-party" || e.Step != 4 || e.What != "intersection_size" || e.Value != float64(12) {
		t.Fatalf("entry = %+v", e)
	}
	if len(d.Entries()) != 1 {
		t.Fatal("entry not kept")
	}
	var nilLog *protocol.Disclosure
	if err := nilLog.Record(1, protocol.ControllerA, "x", 1); err != nil {
		t.Fatal("a nil log must accept records")
	}
}

func TestRunParties(t *testing.T) {
	out, err := protocol.RunParties(context.Background(), func(_ context.Context, r protocol.Role) (string, error) {
		return r.String(), nil
	})
	if err != nil || out[protocol.ThirdParty] != "third-party" {
		t.Fatalf("protocol.RunParties = %v, %v", out, err)
	}
	// The failing party aborts; the others stop on its abort, and the cause is the
	// failure, not the aborts, whichever returns first.
	boom := errors.New("boom")
	net := memnet.New()
	defer net.Close()
	ctx := context.Background()
	_, err = protocol.RunParties(ctx, func(ctx context.Context, r protocol.Role) (int, error) {
		tr := net.Transport(r)
		if r == protocol.ControllerB {
			if err := tr.Abort(ctx, boom.Error()); err != nil {
				return 0, err
			}
			return 0, boom
		}
		_, err := tr.Recv(ctx, protocol.ControllerB)
		return 0, err
	})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "controller-b: ") {
		t.Fatalf("err = %v, want controller-b's failure", err)
	}
}
