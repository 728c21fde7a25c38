package actors

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/lasso"
)

// TestSessionActors runs a whole session as actors for all three parties over the
// in-memory network, and checks the model against the plaintext reference and what the
// registry shows an operator.
func TestSessionActors(t *testing.T) {
	p := join.DefaultParams()
	p.PaillierBits = 1024
	p.Model.Alpha = 0.05
	a := &join.Table{Columns: []string{"x1", "y"}, Outcome: "y"}
	b := &join.Table{Columns: []string{"x2"}}
	var X [][]float64
	var y []float64
	for i := range 80 {
		x1 := float64(i%17) - 8
		x2 := float64((i*7)%13) * 0.5
		yy := 2*x1 - 3*x2 + float64(i%5)
		id := fmt.Sprintf("p%03d", i)
		enc := func(v float64) int64 {
			e, err := p.Fixed.Encode(v)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		a.IDs, a.Rows = append(a.IDs, []byte(id)), append(a.Rows, []int64{enc(x1), enc(yy)})
		if i >= 20 { // B has 20..79 only
			b.IDs, b.Rows = append(b.IDs, []byte(id)), append(b.Rows, []int64{enc(x2)})
			X, y = append(X, []float64{x1, x2}), append(y, yy)
		}
	}
	b0, coef, r2 := lasso.Reference(X, y, p.Model.Alpha)

	net := protocol.NewMemNetwork()
	defer net.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	regs := [3]*Registry{NewRegistry(), NewRegistry(), NewRegistry()}
	logs := [3]*protocol.Disclosure{}
	tables := map[protocol.Role]*join.Table{protocol.ControllerA: a, protocol.ControllerB: b}
	for _, r := range protocol.Roles {
		logs[r] = protocol.NewDisclosure(r, nil)
	}
	outs, err := protocol.RunParties(ctx, func(ctx context.Context, r protocol.Role) (*Outcome, error) {
		return Run(ctx, Config{Transport: net.Transport(r), Params: p, Table: tables[r], Disclosure: logs[r]}, regs[r])
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		m := o.Model
		if o.IntersectionSize != 60 || m == nil || m.Iterations < 1 {
			t.Fatalf("%s: intersection %d, model %+v", o.Role, o.IntersectionSize, m)
		}
		for i := range coef {
			if math.Abs(m.Coefficients[i]-coef[i]) > 1e-4*math.Max(1, math.Abs(coef[i])) {
				t.Fatalf("%s: coefficient %d = %g, reference %g", o.Role, i, m.Coefficients[i], coef[i])
			}
		}
		if math.Abs(m.Intercept-b0) > 1e-4 || math.Abs(m.R2-r2) > 1e-5 {
			t.Fatalf("%s: intercept %g R² %g, reference %g %g", o.Role, m.Intercept, m.R2, b0, r2)
		}
	}
	// Every party's disclosure log lists what step 8 opened, and nothing else of step 8.
	for r, l := range logs {
		got := map[string]any{}
		for _, e := range l.Entries() {
			if e.Step == 8 {
				got[e.What] = e.Value
			}
		}
		bits, _ := got["convergence_bits"].([]bool)
		if len(got) != 5 || got["iterations"] != outs[r].Model.Iterations || len(bits) == 0 || !bits[len(bits)-1] {
			t.Errorf("%s: step 8 disclosures %v", protocol.Role(r), got)
		}
		for _, b := range bits[:len(bits)-1] {
			if b {
				t.Errorf("%s: a convergence bit before the last one is set: %v", protocol.Role(r), bits)
			}
		}
	}
	// The registry shows every stage done and the regression finished.
	for r, reg := range regs {
		seen := map[string]string{}
		for _, s := range reg.Snapshot() {
			seen[s.Path] = s.Status
		}
		want := []string{"session", "session/handshake", "session/encryption", "session/intersection",
			"session/masking", "session/resharing", "session/regression"}
		if protocol.Role(r) != protocol.ThirdParty {
			want = append(want, "session/hashing")
		}
		for _, path := range want {
			if seen[path] != "done" {
				t.Errorf("%s: actor %s is %q, want done (%v)", protocol.Role(r), path, seen[path], seen)
			}
		}
	}
}

// TestSessionFailureIsReported checks that a party whose settings differ stops every
// party with an error, and the registry marks the session failed.
func TestSessionFailureIsReported(t *testing.T) {
	p := join.DefaultParams()
	p.PaillierBits = 1024
	q := p
	q.Model.Alpha = 0.5
	a := &join.Table{Columns: []string{"x", "y"}, Outcome: "y", IDs: [][]byte{[]byte("1")}, Rows: [][]int64{{1, 2}}}
	b := &join.Table{Columns: []string{"z"}, IDs: [][]byte{[]byte("1")}, Rows: [][]int64{{3}}}
	net := protocol.NewMemNetwork()
	defer net.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reg := NewRegistry()
	errs := make(chan error, 3)
	go func() {
		_, err := Run(ctx, Config{Transport: net.Transport(protocol.ControllerA), Params: p, Table: a}, reg)
		errs <- err
	}()
	go func() {
		_, err := Run(ctx, Config{Transport: net.Transport(protocol.ControllerB), Params: q, Table: b}, nil)
		errs <- err
	}()
	go func() {
		_, err := Run(ctx, Config{Transport: net.Transport(protocol.ThirdParty), Params: p}, nil)
		errs <- err
	}()
	for range 3 {
		if err := <-errs; err == nil {
			t.Fatal("a party finished a session with mismatched alpha")
		}
	}
	for _, s := range reg.Snapshot() {
		if s.Path == "session" && s.Status != "failed" {
			t.Fatalf("session actor is %q, want failed", s.Status)
		}
	}
}
