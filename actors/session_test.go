package actors

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/join/jointest"
	"github.com/triad-mpc/triad/protocol/lasso"
	"github.com/triad-mpc/triad/protocol/lasso/lassotest"
	"github.com/triad-mpc/triad/protocol/memnet"
	"github.com/triad-mpc/triad/protocol/session"
	"github.com/triad-mpc/triad/protocol/wire"
)

// TestSessionActors runs a whole session as actors for all three parties over the
// in-memory network, and checks the model against the plaintext reference and what the
// registry shows an operator.
func TestSessionActors(t *testing.T) {
	p := session.Default()
	p.Join.PaillierBits = 1024
	p.Model.Alpha = 0.05
	p.Model.MinRows = 20
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
			e, err := p.Join.Fixed.Encode(v)
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
	b0, coef, r2 := lassotest.Reference(X, y, p.Model.Alpha)

	net := memnet.New()
	defer net.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	regs := [3]*Registry{NewRegistry(), NewRegistry(), NewRegistry()}
	logs := [3]*protocol.Disclosure{}
	tables := map[protocol.Role]*join.Table{protocol.ControllerA: a, protocol.ControllerB: b}
	for _, r := range protocol.Roles() {
		logs[r] = protocol.NewDisclosure(r, nil)
	}
	outs, err := protocol.RunParties(ctx, func(ctx context.Context, r protocol.Role) (*session.Outcome, error) {
		return Run(ctx, Config{Transport: net.Transport(r), Settings: p, Options: []session.Option{session.WithTestKeys()},
			Table: tables[r], Disclosure: logs[r]}, regs[r])
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
	// Every party's disclosure log lists what step 8 opened, as it was opened, and
	// nothing else.
	for r, l := range logs {
		if err := session.CheckDisclosures(protocol.Role(r), p.Model, l.Entries()); err != nil {
			t.Error(err)
		}
		got := map[string]any{}
		var bits []bool
		for _, e := range l.Entries() {
			if e.Step == 8 {
				got[e.What] = e.Value
			}
			if e.What == lasso.RevealConverged {
				bits = append(bits, e.Value.(bool))
			}
		}
		if len(got) != 6 || got["iterations"] != outs[r].Model.Iterations || got["r2"] != outs[r].Model.R2 || len(bits) == 0 || !bits[len(bits)-1] {
			t.Errorf("%s: step 8 disclosures %v, bits %v", protocol.Role(r), got, bits)
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
			"session/cohort", "session/masking", "session/resharing", "session/regression"}
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

// faultyTransport fails the first send of one kind of message, as a party whose link
// or disk fails mid-session would.
type faultyTransport struct {
	protocol.Transport
	kind  func([]byte) bool
	fired atomic.Bool
}

var errInjected = errors.New("injected send failure")

func (f *faultyTransport) Send(ctx context.Context, to protocol.Role, msg []byte) error {
	if f.kind(msg) && f.fired.CompareAndSwap(false, true) {
		return errInjected
	}
	return f.Transport.Send(ctx, to, msg)
}

// TestFailureInEachStageAborts makes one party fail in each stage and checks that it
// tells the others, with and without a registry watching: both survivors stop with
// the failing party's abort, not at their deadline, and the failing party's own
// state is "failed" with its error.
func TestFailureInEachStageAborts(t *testing.T) {
	for _, c := range []struct {
		stage string
		who   protocol.Role
		kind  func([]byte) bool
	}{
		{"handshake", protocol.ControllerB, jointest.IsEnvelope[*wire.Envelope_Hello]},
		{"hashing", protocol.ControllerA, jointest.IsEnvelope[*wire.Envelope_Opening]},
		{"encryption", protocol.ControllerB, jointest.IsEnvelope[*wire.Envelope_Rows]},
		{"intersection", protocol.ThirdParty, jointest.IsEnvelope[*wire.Envelope_Count]},
		{"masking", protocol.ThirdParty, jointest.IsEnvelope[*wire.Envelope_Ciphertexts]},
		{"resharing", protocol.ControllerA, jointest.IsEnvelope[*wire.Envelope_Shares]},
		{"regression", protocol.ControllerB, func(msg []byte) bool {
			env := new(wire.Envelope)
			return proto.Unmarshal(msg, env) != nil || env.GetBody() == nil
		}},
	} {
		for _, watched := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/registry=%v", c.stage, watched), func(t *testing.T) {
				f := newTwoTables(t, 80, 20) // a session consumes its tables
				net := memnet.New()
				defer net.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				var reg *Registry
				if watched {
					reg = NewRegistry()
				}
				errs := [3]error{}
				rows := [2][][]int64{slices.Clone(f.tables[0].Rows), slices.Clone(f.tables[1].Rows)}
				var wg sync.WaitGroup
				for _, r := range protocol.Roles() {
					wg.Go(func() {
						tr := net.Transport(r)
						var rg *Registry
						if r == c.who {
							tr = &faultyTransport{Transport: tr, kind: c.kind}
							rg = reg
						}
						_, errs[r] = Run(ctx, Config{Transport: tr, Settings: f.settings, Options: []session.Option{session.WithTestKeys()},
							Table: f.tables[r]}, rg)
					})
				}
				wg.Wait()
				// However it ended, no controller's session left its rows in memory.
				for k, rs := range rows {
					for _, row := range rs {
						if slices.ContainsFunc(row, func(v int64) bool { return v != 0 }) {
							t.Fatalf("%s's rows survived the failed session", protocol.Role(k))
						}
					}
				}
				if !errors.Is(errs[c.who], errInjected) || !strings.Contains(errs[c.who].Error(), c.stage) {
					t.Fatalf("%s: err = %v, want the injected failure in %s", c.who, errs[c.who], c.stage)
				}
				for _, r := range c.who.Others() {
					var ab *protocol.AbortedError
					if !errors.As(errs[r], &ab) || ab.Party != c.who || !strings.Contains(ab.Reason, errInjected.Error()) {
						t.Fatalf("%s: err = %v, want %s's abort", r, errs[r], c.who)
					}
				}
				if watched {
					st := stateOf(reg, "session")
					if st == nil || st.Status != "failed" || !strings.Contains(st.LastEvent, errInjected.Error()) {
						t.Fatalf("session state %+v, want failed with the injected error", st)
					}
				}
			})
		}
	}
}

// TestSettingsMismatchIsReported checks that a party whose settings differ stops every
// party with an error naming the setting, and the registry marks the session failed.
func TestSettingsMismatchIsReported(t *testing.T) {
	f := newTwoTables(t, 30, 5)
	q := f.settings
	q.Model.Alpha = 0.5
	net := memnet.New()
	defer net.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reg := NewRegistry()
	var errs [3]error
	var wg sync.WaitGroup
	for _, r := range protocol.Roles() {
		wg.Go(func() {
			s, rg := f.settings, (*Registry)(nil)
			if r == protocol.ControllerB {
				s = q
			}
			if r == protocol.ControllerA {
				rg = reg
			}
			_, errs[r] = Run(ctx, Config{Transport: net.Transport(r), Settings: s, Options: []session.Option{session.WithTestKeys()},
				Table: f.tables[r]}, rg)
		})
	}
	wg.Wait()
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "model.alpha") {
			t.Fatalf("%s: err = %v, want one naming model.alpha", protocol.Role(r), err)
		}
	}
	st := stateOf(reg, "session")
	if st == nil || st.Status != "failed" || !strings.Contains(st.LastEvent, "model.alpha") {
		t.Fatalf("session state %+v, want failed naming model.alpha", st)
	}
}

// TestInvalidSettingsFailBeforeAnyActor checks that Run refuses invalid settings.
func TestInvalidSettingsFailBeforeAnyActor(t *testing.T) {
	f := newTwoTables(t, 30, 5)
	s := f.settings
	s.Model.Tol = math.NaN()
	net := memnet.New()
	defer net.Close()
	reg := NewRegistry()
	_, err := Run(context.Background(), Config{Transport: net.Transport(protocol.ControllerA), Settings: s,
		Options: []session.Option{session.WithTestKeys()}, Table: f.tables[protocol.ControllerA]}, reg)
	var se *session.SettingError
	if !errors.As(err, &se) || se.Key != "model.tol" {
		t.Fatalf("err = %v, want a SettingError for model.tol", err)
	}
	if got := reg.Snapshot(); len(got) != 0 {
		t.Fatalf("actors ran: %+v", got)
	}
}

func stateOf(reg *Registry, path string) *ActorState {
	for _, s := range reg.Snapshot() {
		if s.Path == path {
			return &s
		}
	}
	return nil
}

// twoTables is a small session's input: two controllers' tables, n rows at A of which
// B holds all but skip.
type twoTables struct {
	settings session.Settings
	tables   [3]*join.Table
}

func newTwoTables(t *testing.T, n, skip int) twoTables {
	t.Helper()
	p := session.Default()
	p.Join.PaillierBits = 1024
	p.Model.MinRows = 20
	p.Model.MaxIter = 50
	return twoTables{settings: p, tables: jointest.Tables(t, p.Join.Fixed, n, skip)}
}
