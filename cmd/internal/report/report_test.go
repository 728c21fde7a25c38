package report

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/triad-mpc/triad/actors/actorstest"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/lasso/lassotest"
	"github.com/triad-mpc/triad/protocol/session"
)

// fromSession maps a finished in-process session onto a Report, as the command does
// with its results.
func fromSession(t *testing.T, s *actorstest.Session, outs [3]*session.Outcome) *Report {
	t.Helper()
	o := outs[protocol.ControllerA]
	m := o.Model
	r := &Report{
		Generated: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Parties:   []string{"controller-a", "controller-b", "third-party"},
		Outcome:   o.Schema.Outcome, Intercept: m.Intercept, R2: m.R2, Alpha: s.Settings.Model.Alpha,
		Iterations: m.Iterations, Converged: m.Iterations < s.Settings.Model.MaxIter,
		IntersectionSize: o.IntersectionSize,
		Params: []Param{{"alpha", fmt.Sprint(s.Settings.Model.Alpha)}, {"tolerance", fmt.Sprint(s.Settings.Model.Tol)},
			{"maximum iterations", fmt.Sprint(s.Settings.Model.MaxIter)}, {"Paillier modulus", fmt.Sprintf("%d bits", s.Settings.Join.PaillierBits)}},
	}
	for _, c := range o.Schema.Columns {
		if c != o.Schema.Outcome {
			r.Features = append(r.Features, c)
		}
	}
	r.Coefficients = m.Coefficients
	for role, tb := range s.Tables {
		r.Dropped = append(r.Dropped, Dropped{Controller: role.String(), Rows: tb.Dropped()})
	}
	st := s.Regs[protocol.ControllerA].State()
	start := st.Session.Started
	for _, p := range st.Steps {
		step := Step{Steps: p.Steps, Name: p.Title, Start: p.Started.Sub(start).Seconds(), Seconds: p.Seconds, BytesSent: map[string]int64{}}
		for _, role := range protocol.Roles() {
			for _, q := range s.Regs[role].State().Steps {
				if q.Name == p.Name {
					step.BytesSent[role.String()] = q.BytesSent
				}
			}
		}
		r.Steps = append(r.Steps, step)
	}
	r.TotalSeconds = st.Session.Seconds
	for _, role := range protocol.Roles() {
		l := PartyLog{Party: role.String()}
		for _, e := range s.Logs[role].Entries() {
			l.Entries = append(l.Entries, Entry{Time: e.Time, Step: e.Step, From: e.From, What: e.What, Value: e.Value})
		}
		r.Disclosures = append(r.Disclosures, l)
	}
	return r
}

// crossValidate computes a real K-fold path in plaintext with the reference solver, to
// draw the curve the secure one will open.
func crossValidate(X [][]float64, y []float64, alphas []float64, k int) *CV {
	cv := &CV{Folds: k, Alphas: alphas, Rule: "largest α within one standard error of the minimum"}
	for _, a := range alphas {
		var errs []float64
		for f := range k {
			var tx, vx [][]float64
			var ty, vy []float64
			for i := range X {
				if i%k == f {
					vx, vy = append(vx, X[i]), append(vy, y[i])
				} else {
					tx, ty = append(tx, X[i]), append(ty, y[i])
				}
			}
			b0, coef, _ := lassotest.Reference(tx, ty, a)
			var mse float64
			for i := range vx {
				p := b0
				for j := range coef {
					p += coef[j] * vx[i][j]
				}
				mse += (vy[i] - p) * (vy[i] - p)
			}
			errs = append(errs, mse/float64(len(vx)))
		}
		var mean, sd float64
		for _, e := range errs {
			mean += e / float64(k)
		}
		for _, e := range errs {
			sd += (e - mean) * (e - mean) / float64(k-1)
		}
		cv.MeanMSE, cv.StdErr = append(cv.MeanMSE, mean), append(cv.StdErr, math.Sqrt(sd/float64(k)))
	}
	// The largest α whose error is within one standard error of the smallest.
	at := 0
	for i, m := range cv.MeanMSE {
		if m < cv.MeanMSE[at] {
			at = i
		}
	}
	for i, a := range alphas {
		if cv.MeanMSE[i] <= cv.MeanMSE[at]+cv.StdErr[at] && a > cv.Chosen {
			cv.Chosen = a
		}
	}
	return cv
}

var sessions = map[float64]struct {
	s    *actorstest.Session
	outs [3]*session.Outcome
}{}

// session runs (once per α) a three-party session of 80 rows.
func watchedSession(t *testing.T, alpha float64) (*actorstest.Session, [3]*session.Outcome) {
	t.Helper()
	if c, ok := sessions[alpha]; ok {
		return c.s, c.outs
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := actorstest.Start(ctx, actorstest.Options{Rows: 80, Alpha: alpha})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := s.Wait()
	if err != nil {
		t.Fatal(err)
	}
	sessions[alpha] = struct {
		s    *actorstest.Session
		outs [3]*session.Outcome
	}{s, outs}
	return s, outs
}

// sampleReport is the report of a real session; with CV, the α of the session is the
// one a 5-fold cross-validation of its joined rows chose.
func sampleReport(t *testing.T, withCV bool) *Report {
	alpha := 0.01
	var cv *CV
	if withCV {
		s, _ := watchedSession(t, alpha)
		var alphas []float64
		for i := range 26 {
			alphas = append(alphas, 1e-3*math.Pow(10, float64(i)/5))
		}
		cv = crossValidate(s.X, s.Y, alphas, 5)
		alpha = cv.Chosen
	}
	s, outs := watchedSession(t, alpha)
	r := fromSession(t, s, outs)
	r.CV = cv
	// Show how a feature the lasso dropped looks.
	r.Features = append(r.Features, "smoker_flag")
	r.Coefficients = append(append([]float64(nil), r.Coefficients...), 0)
	return r
}

func TestReportHolds(t *testing.T) {
	r := sampleReport(t, true)
	var b bytes.Buffer
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	count := func(re string) int { return len(regexp.MustCompile(re).FindAllString(html, -1)) }
	if n := count(`class="bar"`); n != len(r.Features)-1 {
		t.Errorf("%d coefficient bars for %d non-zero features", n, len(r.Features)-1)
	}
	if n := count(`class="zero"`); n != 1 {
		t.Errorf("%d zero markers, want 1", n)
	}
	if n := count(`class="point"`); n != len(r.CV.Alphas) {
		t.Errorf("%d points on the CV curve for %d alphas", n, len(r.CV.Alphas))
	}
	if n := count(`class="chosen"`); n != 1 {
		t.Errorf("%d chosen-α marks", n)
	}
	if n := count(`class="span"`); n != len(r.Steps) {
		t.Errorf("%d timing bars for %d steps", n, len(r.Steps))
	}
	for _, want := range []string{"rows in the intersection", fmt.Sprintf("<b>%d</b>", r.IntersectionSize), "Paillier modulus",
		"intersection_size", "coefficients", "(in-sample)", "@page", "size: A4", "Cross-validation", "chosen α ="} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "@import", "url(", "<link", "NaN", "Inf"} {
		if strings.Contains(html, bad) {
			t.Errorf("report holds %q", bad)
		}
	}
	// Without cross-validation there is no curve and the sections renumber.
	r.CV = nil
	b.Reset()
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `class="curve"`) || !strings.Contains(b.String(), "2. The data") {
		t.Error("a report without cross-validation shows a curve or misnumbers its sections")
	}
}

func TestReportEscapes(t *testing.T) {
	evil := `<script>alert("x")</script>&"'`
	r := &Report{
		Title: evil, Parties: []string{evil}, Outcome: evil, Features: []string{evil, "b"}, Coefficients: []float64{1, -2},
		Dropped:     []Dropped{{Controller: evil, Column: evil, Rows: 1, Reason: evil}},
		Steps:       []Step{{Steps: evil, Name: evil, Seconds: 1, BytesSent: map[string]int64{"controller-a": 5}}},
		Params:      []Param{{evil, evil}},
		Disclosures: []PartyLog{{Party: evil, Entries: []Entry{{Step: 1, From: evil, What: evil, Value: map[string]string{evil: evil}}}}},
		CV:          &CV{Folds: 3, Alphas: []float64{0.1, 1}, MeanMSE: []float64{2, 1}, StdErr: []float64{0.1, 0.1}, Chosen: 1, Rule: evil},
	}
	var b bytes.Buffer
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script") || strings.Contains(b.String(), `alert("x")`) {
		t.Fatalf("a name reached the page unescaped:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "&lt;script&gt;") {
		t.Fatal("the escaped name is missing")
	}
}

func TestReportRejectsMismatch(t *testing.T) {
	if err := Write(new(bytes.Buffer), &Report{Features: []string{"a"}}); err == nil {
		t.Fatal("one feature without a coefficient was accepted")
	}
	bad := &Report{CV: &CV{Alphas: []float64{1, 2}, MeanMSE: []float64{1}}}
	if err := Write(new(bytes.Buffer), bad); err == nil {
		t.Fatal("a CV path with fewer errors than alphas was accepted")
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 1, "[0 0.2 0.4 0.6 0.8 1]"},
		{-0.013, 0.087, "[-0.02 0 0.02 0.04 0.06 0.08 0.1]"},
		{0, 23.7, "[0 5 10 15 20 25]"},
		{812, 1033, "[800 850 900 950 1000 1050]"},
	} {
		if got := fmt.Sprint(niceTicks(c.lo, c.hi, 5)); got != c.want {
			t.Errorf("niceTicks(%g, %g) = %s, want %s", c.lo, c.hi, got, c.want)
		}
	}
}
