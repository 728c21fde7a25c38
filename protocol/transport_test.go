package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestMemNetworkOrderAndCounts(t *testing.T) {
	n := NewMemNetwork()
	defer n.Close()
	ctx := context.Background()
	a, b := n.Transport(ControllerA), n.Transport(ThirdParty)
	go func() {
		for i := range 50 {
			if err := a.Send(ctx, ThirdParty, []byte(fmt.Sprint(i))); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range 50 {
		m, err := b.Recv(ctx, ControllerA)
		if err != nil {
			t.Fatal(err)
		}
		if string(m) != fmt.Sprint(i) {
			t.Fatalf("message %d is %q", i, m)
		}
	}
	if n.MessagesSent(ControllerA) != 50 || n.BytesSent(ControllerA) != 90 {
		t.Fatalf("counted %d messages, %d bytes", n.MessagesSent(ControllerA), n.BytesSent(ControllerA))
	}
	if err := a.Send(ctx, ControllerA, nil); err == nil {
		t.Fatal("a party sent to itself")
	}
	if err := a.Send(ctx, ThirdParty, make([]byte, MaxMessage+1)); err == nil {
		t.Fatal("an oversized message was accepted")
	}
}

func TestExchangeDoesNotDeadlock(t *testing.T) {
	n := NewMemNetwork(WithQueue(1))
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make(chan error, 3)
	for _, r := range Roles() {
		go func() {
			out := map[Role][]byte{}
			for _, o := range r.Others() {
				out[o] = []byte(r.String() + ">" + o.String())
			}
			in, err := Exchange(ctx, n.Transport(r), out)
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
	n := NewMemNetwork(WithLatency(30 * time.Millisecond))
	ctx := context.Background()
	start := time.Now()
	if err := n.Transport(ControllerA).Send(ctx, ControllerB, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Transport(ControllerB).Recv(ctx, ControllerA); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("message arrived after %v, before the configured latency", d)
	}
	n.Close()
	if _, err := n.Transport(ControllerB).Recv(ctx, ControllerA); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after Close: %v, want ErrClosed", err)
	}
}

func TestRoles(t *testing.T) {
	for _, r := range Roles() {
		got, err := ParseRole(r.String())
		if err != nil || got != r {
			t.Fatalf("ParseRole(%q) = %v, %v", r, got, err)
		}
		o := r.Others()
		if o[0] == r || o[1] == r || o[0] == o[1] {
			t.Fatalf("%s.Others() = %v", r, o)
		}
	}
	if _, err := ParseRole("hospital"); err == nil {
		t.Fatal("ParseRole accepted an unknown role")
	}
}

func TestDisclosure(t *testing.T) {
	var buf bytes.Buffer
	d := NewDisclosure(ThirdParty, &buf)
	if err := d.Record(4, ThirdParty, "intersection_size", 12); err != nil {
		t.Fatal(err)
	}
	var e DisclosureEntry
	if err := json.Unmarshal(buf.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if e.Party != "third-party" || e.Step != 4 || e.What != "intersection_size" || e.Value != float64(12) {
		t.Fatalf("entry = %+v", e)
	}
	if len(d.Entries()) != 1 {
		t.Fatal("entry not kept")
	}
	var nilLog *Disclosure
	if err := nilLog.Record(1, ControllerA, "x", 1); err != nil {
		t.Fatal("a nil log must accept records")
	}
}

func TestRunParties(t *testing.T) {
	out, err := RunParties(context.Background(), func(_ context.Context, r Role) (string, error) {
		return r.String(), nil
	})
	if err != nil || out[ThirdParty] != "third-party" {
		t.Fatalf("RunParties = %v, %v", out, err)
	}
	// The failing party aborts; the others stop on its abort, and the cause is the
	// failure, not the aborts, whichever returns first.
	boom := errors.New("boom")
	net := NewMemNetwork()
	defer net.Close()
	ctx := context.Background()
	_, err = RunParties(ctx, func(ctx context.Context, r Role) (int, error) {
		tr := net.Transport(r)
		if r == ControllerB {
			if err := tr.Abort(ctx, boom.Error()); err != nil {
				return 0, err
			}
			return 0, boom
		}
		_, err := tr.Recv(ctx, ControllerB)
		return 0, err
	})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "controller-b: ") {
		t.Fatalf("err = %v, want controller-b's failure", err)
	}
}
