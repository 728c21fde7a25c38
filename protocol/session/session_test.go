package session

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/join/jointest"
	"github.com/triad-mpc/triad/protocol/lasso"
	"github.com/triad-mpc/triad/protocol/memnet"
	"github.com/triad-mpc/triad/protocol/wire"
)

func testSettings() Settings {
	s := Default()
	s.Join.PaillierBits = testKeyBits
	s.Model.MinRows = 20
	s.Model.MaxIter = 200
	return s
}

func TestValidateNamesTheKey(t *testing.T) {
	for _, c := range []struct {
		key  string
		edit func(*Settings)
		opts []Option
	}{
		{"crypto.paillier_bits", func(s *Settings) { s.Join.PaillierBits = 1024 }, nil},
		{"crypto.paillier_bits", func(s *Settings) { s.Join.PaillierBits = 4096 }, []Option{WithTestKeys()}},
		{"crypto.kappa", func(s *Settings) { s.Join.Kappa = 39 }, nil},
		{"crypto.frac_bits", func(s *Settings) { s.Join.Fixed.Frac = 70 }, nil},
		{"model.alpha", func(s *Settings) { s.Model.Alpha = math.NaN() }, nil},
		{"model.alpha", func(s *Settings) { s.Model.Alpha = -1 }, nil},
		{"model.alpha", func(s *Settings) { s.Model.Alpha = math.Inf(1) }, nil},
		{"model.max_iter", func(s *Settings) { s.Model.MaxIter = 0 }, nil},
		{"model.tol", func(s *Settings) { s.Model.Tol = math.NaN() }, nil},
		{"model.tol", func(s *Settings) { s.Model.Tol = 0 }, nil},
		{"model.tol", func(s *Settings) { s.Model.Tol = math.Inf(1) }, nil},
		{"model.min_rows", func(s *Settings) { s.Model.MinRows = 0 }, nil},
		{"model.cv", func(s *Settings) { s.Model.CV = 1 }, nil},
		{"model.cv", func(s *Settings) { s.Model.CV = -5 }, nil},
		{"model.n_alphas", func(s *Settings) { s.Model.NAlphas = 0 }, nil},
		{"model.alphas", func(s *Settings) { s.Model.Alphas = []float64{0.1, math.NaN()} }, nil},
		{"model.alphas", func(s *Settings) { s.Model.Alphas = []float64{0} }, nil},
		{"model.cv_rule", func(s *Settings) { s.Model.CVRule = "max" }, nil},
	} {
		s := Default()
		c.edit(&s)
		err := s.Validate(c.opts...)
		var se *SettingError
		if !errors.As(err, &se) || se.Key != c.key {
			t.Errorf("%+v: err = %v, want a SettingError for %s", s, err, c.key)
		}
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("the defaults are invalid: %v", err)
	}
	s := Default()
	s.Join.PaillierBits = 1024
	if err := s.Validate(WithTestKeys()); err != nil {
		t.Fatalf("1024-bit keys with WithTestKeys: %v", err)
	}
	if err := (&SettingError{Key: "model.alpha", Value: math.NaN(), Want: "a finite number ≥ 0"}).Error(); err != "model.alpha = NaN: want a finite number ≥ 0" {
		t.Fatalf("message %q", err)
	}
}

// hellos returns what the three parties of a session with these settings announce.
func hellos(s Settings) [3]*wire.Hello {
	a := &join.Table{Columns: []string{"age", "days"}, Outcome: "days"}
	b := &join.Table{Columns: []string{"visits"}}
	var out [3]*wire.Hello
	for _, r := range protocol.Roles() {
		tables := [3]*join.Table{a, b, nil}
		out[r] = (&Session{role: r, settings: s, opts: options{testKeys: true}, table: tables[r]}).hello()
	}
	return out
}

func TestCheckHelloNamesEveryMismatch(t *testing.T) {
	A, B, T := protocol.ControllerA, protocol.ControllerB, protocol.ThirdParty
	for _, c := range []struct {
		name     string
		edit     func(*Settings)
		hello    func(*wire.Hello)
		me, from protocol.Role
		want     string // "" when the hellos agree
	}{
		{"same", nil, nil, A, B, ""},
		{"version", nil, func(h *wire.Hello) { h.Version++ }, A, B, "protocol version"},
		{"role", nil, func(h *wire.Hello) { h.Role = "third-party" }, A, B, `says it is "third-party"`},
		{"paillier bits", func(s *Settings) { s.Join.PaillierBits = 2048 }, nil, B, T, "crypto.paillier_bits = 2048"},
		{"kappa", func(s *Settings) { s.Join.Kappa = 48 }, nil, A, T, "crypto.kappa = 48"},
		{"alpha", func(s *Settings) { s.Model.Alpha = 0.5 }, nil, A, B, "model.alpha = 0.5"},
		{"max_iter", func(s *Settings) { s.Model.MaxIter = 7 }, nil, T, A, "model.max_iter = 7"},
		{"tol", func(s *Settings) { s.Model.Tol = 1e-3 }, nil, B, A, "model.tol = 0.001"},
		{"min_rows", func(s *Settings) { s.Model.MinRows = 500 }, nil, T, B, "model.min_rows = 500"},
		{"cv", func(s *Settings) { s.Model.CV = 5 }, nil, A, T, "model.cv = 5"},
		{"alphas", func(s *Settings) { s.Model.Alphas = []float64{0.5, 0.05} }, nil, B, A, "model.alphas = 0.5,0.05"},
		{"cv_rule", func(s *Settings) { s.Model.CVRule = "1se" }, nil, T, A, "model.cv_rule = 1se"},
		{"case folding between controllers", func(s *Settings) { s.Join.CaseFold = false }, nil, A, B, "data.case_fold = false"},
		{"case folding is no business of the third party", func(s *Settings) { s.Join.CaseFold = false }, nil, T, B, ""},
		{"a setting this site does not know", nil, func(h *wire.Hello) {
			h.Settings = append(h.Settings, &wire.Setting{Key: "model.future", Value: "1"})
		}, A, B, "model.future = 1, which this site does not know"},
		{"a setting left out", nil, func(h *wire.Hello) { h.Settings = h.Settings[1:] }, A, B, "does not announce crypto.paillier_bits"},
		{"third party with columns", nil, func(h *wire.Hello) { h.Columns = []string{"x"} }, A, T, "must hold none"},
		{"controller without columns", nil, func(h *wire.Hello) { h.Columns = nil }, T, B, "announced no attribute columns"},
	} {
		t.Run(c.name, func(t *testing.T) {
			mine := hellos(testSettings())[c.me]
			theirs := testSettings()
			if c.edit != nil {
				c.edit(&theirs)
			}
			h := hellos(theirs)[c.from]
			if c.hello != nil {
				c.hello(h)
			}
			err := checkHello(mine, h, c.from)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("err = %v, want none", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestJoinSchemaRules(t *testing.T) {
	h := func(outcome string, cols ...string) *wire.Hello { return &wire.Hello{Columns: cols, Outcome: outcome} }
	for _, c := range []struct {
		name string
		a, b *wire.Hello
		want string
	}{
		{"outcome at A", h("y", "x1", "y"), h("", "x2"), ""},
		{"outcome at B", h("", "x1"), h("y", "y", "x2"), ""},
		{"both name an outcome", h("y", "x1", "y"), h("z", "z"), "both controllers name an outcome"},
		{"neither names one", h("", "x1"), h("", "x2"), "neither controller names an outcome"},
		{"outcome not a column", h("y", "x1"), h("", "x2"), `outcome "y" is not among`},
		{"a column at both", h("y", "x", "y"), h("", "x"), `column "x" is in both`},
		{"no feature", h("y", "y"), &wire.Hello{}, "no feature besides"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := joinSchema(c.a, c.b)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(s.Columns) != len(c.a.Columns)+len(c.b.Columns) || s.Outcome != "y" {
					t.Fatalf("schema %+v", s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// tables returns two controllers' tables of n and n-skip rows sharing n-skip
// identifiers.
func tables(t *testing.T, s Settings, n, skip int) [3]*join.Table {
	return jointest.Tables(t, s.Join.Fixed, n, skip)
}

// runAll runs a whole session, step 8 included, for the three parties over tr.
func runAll(t *testing.T, s Settings, tabs [3]*join.Table, tr func(protocol.Role) protocol.Transport) ([3]*Outcome, [3]*protocol.Disclosure, [3]error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var outs [3]*Outcome
	var logs [3]*protocol.Disclosure
	var errs [3]error
	var wg sync.WaitGroup
	for _, r := range protocol.Roles() {
		logs[r] = protocol.NewDisclosure(r, nil)
		wg.Go(func() { outs[r], errs[r] = runOne(ctx, tr(r), s, tabs[r], logs[r]) })
	}
	wg.Wait()
	return outs, logs, errs
}

func runOne(ctx context.Context, t protocol.Transport, s Settings, table *join.Table, log *protocol.Disclosure) (out *Outcome, err error) {
	sess, err := New(t, s, table, log, WithTestKeys())
	if err != nil {
		return nil, err
	}
	defer func() { sess.Abort(ctx, err) }()
	for _, st := range sess.Stages() {
		if err := sess.RunStage(ctx, st); err != nil {
			return nil, err
		}
	}
	g, err := sess.Regression(ctx)
	if err != nil {
		return nil, err
	}
	cols := slices.Clone(g.shares.Cols)
	if err := g.Prepare(ctx); err != nil {
		return nil, err
	}
	// The joined table's shares are gone once the statistics are made.
	for _, c := range cols {
		for i := range c {
			if !c[i].IsZero() {
				return nil, fmt.Errorf("a share of the joined table survived step 8's statistics")
			}
		}
	}
	for {
		done, err := g.Step(ctx)
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
	}
	res, err := g.Finish(ctx)
	if err != nil {
		return nil, err
	}
	out = sess.Outcome()
	out.Model = &res
	return out, nil
}

func TestSessionDisclosesWhatThePolicyAllows(t *testing.T) {
	cv := testSettings()
	cv.Model.CV, cv.Model.NAlphas = 3, 4
	for _, s := range []Settings{testSettings(), cv} {
		t.Run(fmt.Sprintf("cv=%d", s.Model.CV), func(t *testing.T) { checkPolicy(t, s) })
	}
}

func checkPolicy(t *testing.T, s Settings) {
	net := memnet.New()
	defer net.Close()
	outs, logs, errs := runAll(t, s, tables(t, s, 60, 10), net.Transport)
	for r, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", protocol.Role(r), err)
		}
	}
	for _, r := range protocol.Roles() {
		if outs[r].IntersectionSize != 50 || outs[r].Model == nil {
			t.Fatalf("%s: outcome %+v", r, outs[r])
		}
		entries := logs[r].Entries()
		if err := CheckDisclosures(r, s.Model, entries); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		// Every kind the policy lists is there: nothing is learned unrecorded.
		got := map[Disclosure]bool{}
		for _, e := range entries {
			from, _ := parseFrom(e.From)
			got[Disclosure{e.Step, from, e.What}] = true
		}
		for _, d := range Policy(r, s.Model) {
			if !got[d] {
				t.Errorf("%s: no disclosure %+v", r, d)
			}
		}
		// The coefficients are recorded by feature name, exactly as opened, and the
		// convergence bits are all clear but the last.
		coef := map[string]float64{}
		var bits []bool
		for _, e := range entries {
			switch e.What {
			case lasso.RevealCoefficient:
				c := e.Value.(lasso.Coefficient)
				coef[c.Feature] = c.Value
			case lasso.RevealConverged:
				bits = append(bits, e.Value.(bool))
			}
		}
		if len(coef) != 2 || coef["x1"] != outs[r].Model.Coefficients[0] || coef["x2"] != outs[r].Model.Coefficients[1] {
			t.Errorf("%s: coefficients recorded as %v, opened as %v", r, coef, outs[r].Model.Coefficients)
		}
		if len(bits) == 0 || !bits[len(bits)-1] || slices.Contains(bits[:len(bits)-1], true) {
			t.Errorf("%s: convergence bits %v", r, bits)
		}
	}
	// A forged entry is caught.
	forged := append(logs[protocol.ThirdParty].Entries(), protocol.DisclosureEntry{Party: "third-party", Step: 5, From: "controller-a", What: "masks"})
	if err := CheckDisclosures(protocol.ThirdParty, s.Model, forged); err == nil || !strings.Contains(err.Error(), `"masks"`) {
		t.Fatalf("err = %v, want the forged entry named", err)
	}
}

func TestMinimumCohort(t *testing.T) {
	for _, c := range []struct {
		name    string
		minRows int
		rows    int // in the intersection
		need    int
	}{
		{"below min_rows", 40, 30, 40},
		{"below ten per feature", 5, 15, 20}, // two features
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testSettings()
			s.Model.MinRows = c.minRows
			net := memnet.New()
			defer net.Close()
			_, logs, errs := runAll(t, s, tables(t, s, c.rows+5, 5), net.Transport)
			for _, r := range protocol.Roles() {
				var ce *CohortError
				if !errors.As(errs[r], &ce) || ce.Rows != c.rows || ce.Need() != c.need {
					t.Fatalf("%s: err = %v, want a CohortError for %d rows needing %d", r, errs[r], c.rows, c.need)
				}
				if !strings.Contains(ce.Error(), "model.min_rows") {
					t.Fatalf("the message does not name the rule: %v", ce)
				}
				for _, e := range logs[r].Entries() {
					switch e.What {
					case "columns", "input_rows", "intersection_size":
					default:
						t.Fatalf("%s learned %q although no model was fitted", r, e.What)
					}
				}
			}
		})
	}
}

// corrupt replaces the first message a party sends that match with junk, as a
// misbehaving or broken peer would.
type corrupt struct {
	protocol.Transport
	match func([]byte) bool
	once  sync.Once
}

func (c *corrupt) Send(ctx context.Context, to protocol.Role, msg []byte) error {
	if c.match(msg) {
		done := false
		c.once.Do(func() { done = true })
		if done {
			msg = []byte{0xff, 0xff, 0xff, 0x07, 0x01}
		}
	}
	return c.Transport.Send(ctx, to, msg)
}

// TestMalformedMessages sends junk in place of a hello, of encrypted rows and of a
// step-8 message: the receiver stops with an error naming the sender, and the others
// stop too.
func TestMalformedMessages(t *testing.T) {
	for _, c := range []struct {
		name  string
		from  protocol.Role
		match func([]byte) bool
		want  string
	}{
		{"hello", protocol.ControllerB, jointest.IsEnvelope[*wire.Envelope_Hello], "malformed hello from controller-b"},
		{"rows", protocol.ControllerA, jointest.IsEnvelope[*wire.Envelope_Rows], "malformed message from controller-a"},
		{"step 8", protocol.ThirdParty, func(msg []byte) bool {
			return !jointest.IsEnvelope[*wire.Envelope_Hello](msg) && len(msg) > 0 && !isJoin(msg)
		}, "third-party"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testSettings()
			net := memnet.New()
			defer net.Close()
			tr := func(r protocol.Role) protocol.Transport {
				if r == c.from {
					return &corrupt{Transport: net.Transport(r), match: c.match}
				}
				return net.Transport(r)
			}
			_, _, errs := runAll(t, s, tables(t, s, 40, 5), tr)
			named := false
			for r, err := range errs {
				if err == nil {
					t.Fatalf("%s finished a session with a malformed message", protocol.Role(r))
				}
				named = named || strings.Contains(err.Error(), c.want)
			}
			if !named {
				t.Fatalf("no party's error contains %q: %v", c.want, errs)
			}
		})
	}
}

// isJoin reports whether msg is a message of steps 0–7.
func isJoin(msg []byte) bool {
	env := new(wire.Envelope)
	return proto.Unmarshal(msg, env) == nil && env.GetBody() != nil
}

// FuzzCheckHello feeds arbitrary bytes to the handshake as another party's hello: it
// must be refused or accepted with an error naming the difference, never panic, and
// a hello equal to this party's own settings must be accepted.
func FuzzCheckHello(f *testing.F) {
	for _, h := range hellos(testSettings()) {
		b, _ := proto.Marshal(&wire.Envelope{Body: &wire.Envelope_Hello{Hello: h}})
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0x02, 0x08, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		env := new(wire.Envelope)
		if proto.Unmarshal(b, env) != nil || env.GetHello() == nil {
			return
		}
		h := env.GetHello()
		from, err := protocol.ParseRole(h.Role)
		if err != nil {
			from = protocol.ControllerB
		}
		me := protocol.ControllerA
		if from == me {
			me = protocol.ThirdParty
		}
		mine := hellos(testSettings())[me]
		if err := checkHello(mine, h, from); err == nil && h.Version != mine.Version {
			t.Fatalf("accepted a hello of version %d", h.Version)
		}
		if len(h.Columns) > 0 || h.Outcome != "" {
			_, _ = joinSchema(h, mine)
		}
	})
}

// failingLog is a disclosure log's file that fails once a value named what is written.
type failingLog struct{ what string }

var errDisk = errors.New("disk full")

func (f failingLog) Write(b []byte) (int, error) {
	if strings.Contains(string(b), `"what":"`+f.what+`"`) {
		return 0, errDisk
	}
	return len(b), nil
}

// TestStepEightRecordsAsItOpens makes controller B's disclosure log fail on the first
// convergence bit: the fit stops there, during its iterations, before any coefficient
// is opened, so each value reaches the log the moment it is opened, not at the end.
func TestStepEightRecordsAsItOpens(t *testing.T) {
	s := testSettings()
	net := memnet.New()
	defer net.Close()
	tabs := tables(t, s, 60, 10)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs [3]error
	var logs [3]*protocol.Disclosure
	var wg sync.WaitGroup
	for _, r := range protocol.Roles() {
		logs[r] = protocol.NewDisclosure(r, nil)
		if r == protocol.ControllerB {
			logs[r] = protocol.NewDisclosure(r, failingLog{lasso.RevealConverged})
		}
		wg.Go(func() { _, errs[r] = runOne(ctx, net.Transport(r), s, tabs[r], logs[r]) })
	}
	wg.Wait()
	if !errors.Is(errs[protocol.ControllerB], errDisk) {
		t.Fatalf("controller-b: err = %v, want the log's failure", errs[protocol.ControllerB])
	}
	for _, e := range logs[protocol.ControllerB].Entries() {
		if e.What == lasso.RevealCoefficient {
			t.Fatal("a coefficient was opened after the log failed")
		}
	}
	for _, r := range protocol.ControllerB.Others() {
		var ab *protocol.AbortedError
		if !errors.As(errs[r], &ab) {
			t.Errorf("%s: err = %v, want controller-b's abort", r, errs[r])
		}
	}
}
