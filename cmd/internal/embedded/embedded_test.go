package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/triad-mpc/triad/cmd/internal/synth"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/lasso/lassotest"
	"github.com/triad-mpc/triad/protocol/session"
)

// TestRunRejectsBadInput checks that bad input stops a run before any party starts,
// with an error that names the file (and line where there is one), and that no
// result.json is written.
func TestRunRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("b.csv", "id,visits\n1,3\n2,4\n")
	for _, c := range []struct {
		name, file, a, outcome, want string
	}{
		{"outcome nowhere", "a0.csv", "id,age,days\n1,70,3\n", "los", `outcome column "los" is in neither`},
		{"duplicate identifier", "a1.csv", "id,age,days\n1,70,3\n 1 ,71,4\n", "days", "a1.csv:3: identifier"},
		{"value too large", "a2.csv", "id,age,days\n1,1e300,3\n", "days", "a2.csv:2:3"},
		{"no identifier column", "a3.csv", "key,age,days\n1,70,3\n", "days", `no identifier column "id"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := write(c.file, c.a)
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(c.name, " ", "-"))
			p := session.Default()
			p.Join.PaillierBits = 1024
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := Run(ctx, Spec{FileA: a, FileB: good, ID: "id", Outcome: c.outcome, Out: out, Settings: p, Options: testKeys()})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
			if _, err := os.Stat(filepath.Join(out, "result.json")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a failed run left result.json behind (%v)", err)
			}
		})
	}
}

// testKeys lets tests use 1024-bit Paillier keys.
func testKeys() []session.Option { return []session.Option{session.WithTestKeys()} }

// TestFailedSessionLeavesNoResult runs a session that the minimum cohort stops into a
// folder holding an earlier session's result: the stale result is gone, the error says
// where the disclosure logs are, and the error is the minimum cohort's (exit status 3).
func TestFailedSessionLeavesNoResult(t *testing.T) {
	dir := t.TempDir()
	fileA, fileB, err := synth.Write(dir, synth.Spec{Rows: 60, Overlap: 0.5, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.MkdirAll(out, 0o700); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(out, "result.json")
	if err := os.WriteFile(stale, []byte(`{"intersection_size": 999}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := session.Default()
	p.Join.PaillierBits = 1024
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = Run(ctx, Spec{FileA: fileA, FileB: fileB, ID: "patient_id", Outcome: "hospital_days",
		Out: out, Settings: p, Options: testKeys()})
	var ce *session.CohortError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want the minimum cohort's", err)
	}
	if !strings.Contains(err.Error(), out) {
		t.Fatalf("the error does not say where the disclosure logs are: %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the previous session's result.json is still there (%v)", err)
	}
	for _, r := range protocol.Roles() {
		b, err := os.ReadFile(filepath.Join(out, "disclosure-"+r.String()+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "intersection_size") || strings.Contains(string(b), `"step":8`) {
			t.Fatalf("%s's disclosure log: %s", r, b)
		}
	}
}

// TestDutchExport runs the same data once as written and once as a spreadsheet set to
// Dutch conventions exports it (a byte-order mark, ';' between fields, decimal
// commas): step 1 detects the dialect and the models are the same.
func TestDutchExport(t *testing.T) {
	dir := t.TempDir()
	fileA, fileB, err := synth.Write(dir, synth.Spec{Rows: 300, Overlap: 0.8, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	dutch := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.NewReplacer(",", ";", ".", ",").Replace(string(b))
		out := strings.TrimSuffix(path, ".csv") + "-nl.csv"
		if err := os.WriteFile(out, append([]byte("\ufeff"), s...), 0o600); err != nil {
			t.Fatal(err)
		}
		return out
	}
	p := session.Default()
	p.Join.PaillierBits = 1024
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var coef [2]map[string]float64
	for k, files := range [][2]string{{fileA, fileB}, {dutch(fileA), dutch(fileB)}} {
		var out strings.Builder
		res, err := Run(ctx, Spec{FileA: files[0], FileB: files[1], ID: "patient_id", Outcome: "hospital_days",
			Out: filepath.Join(dir, fmt.Sprint("out", k)), Settings: p, Options: testKeys(), Stdout: &out})
		if err != nil {
			t.Fatal(err)
		}
		coef[k] = res.Coefficients
		if k == 1 && !strings.Contains(out.String(), "separator ';', decimal mark ','") {
			t.Fatalf("step 1 does not say which dialect it read:\n%s", out.String())
		}
	}
	for name, v := range coef[0] {
		if math.Abs(coef[1][name]-v) > 1e-6*math.Max(1, math.Abs(v)) {
			t.Fatalf("coefficient %s: %g as written, %g from the Dutch export", name, v, coef[1][name])
		}
	}
}

// TestTextColumnFailsInStepOne checks that a column of text stops the run before any
// cryptography, naming the column and its first bad cell, and writes nothing.
func TestTextColumnFailsInStepOne(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.csv")
	b := filepath.Join(dir, "b.csv")
	var sa, sb strings.Builder
	sa.WriteString("id,sex,days\n")
	sb.WriteString("id,visits\n")
	for i := range 20 {
		fmt.Fprintf(&sa, "%d,%s,%d\n", i, []string{"M", "F"}[i%2], i%7)
		fmt.Fprintf(&sb, "%d,%d\n", i, i%3)
	}
	if err := os.WriteFile(a, []byte(sa.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(sb.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	p := session.Default()
	p.Join.PaillierBits = 1024
	_, err := Run(context.Background(), Spec{FileA: a, FileB: b, ID: "id", Outcome: "days", Out: out, Settings: p, Options: testKeys()})
	var ie *join.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), `a.csv:2:`) || !strings.Contains(err.Error(), `"sex"`) {
		t.Fatalf("err = %v, want one naming a.csv, line 2 and column \"sex\"", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a run that failed in step 1 created %s (%v)", out, err)
	}
}

// TestResultExplainsItself runs a session and reads result.json as a user would: the
// stages as spans that follow one another, step 8 among them, and report.html beside.
func TestResultExplainsItself(t *testing.T) {
	dir := t.TempDir()
	fileA, fileB, err := synth.Write(dir, synth.Spec{Rows: 300, Overlap: 0.8, Missing: 0.01, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	p := session.Default()
	p.Join.PaillierBits = 1024
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stderr strings.Builder
	if _, err := Run(ctx, Spec{FileA: fileA, FileB: fileB, ID: "patient_id", Outcome: "hospital_days",
		Out: out, Settings: p, Options: testKeys(), Stderr: &stderr}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	stages, _ := res["stages"].([]any)
	var names []string
	// Each party's stages follow one another, but merged over the parties they may
	// overlap either way (the third party has no hashing: its handshake can end after
	// the controllers' hashing): each is a span within the session, in the order run.
	for _, s := range stages {
		st := s.(map[string]any)
		names = append(names, st["name"].(string))
		if _, ok := st["steps"]; ok {
			t.Errorf("stage %v has a field named like its parent", st)
		}
		start, end := st["start_seconds"].(float64), st["end_seconds"].(float64)
		if start < 0 || end < start || end > res["total_seconds"].(float64)+1e-9 {
			t.Errorf("stage %v is not a span within the session (total %v)", st, res["total_seconds"])
		}
	}
	if got := strings.Join(names, " "); got != "handshake hashing encryption intersection cohort masking resharing regression" {
		t.Errorf("stages %s", got)
	}
	if res["converged"] != true || res["r2"] == nil || len(res["coefficients"].(map[string]any)) == 0 {
		t.Errorf("model fields: converged %v, r2 %v, coefficients %v", res["converged"], res["r2"], res["coefficients"])
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !strings.Contains(string(html), "Secure lasso") {
		t.Fatalf("report.html: %v", err)
	}
	if !strings.Contains(stderr.String(), "Secure lasso") || !strings.Contains(stderr.String(), "total") {
		t.Errorf("no summary table on standard error:\n%s", stderr.String())
	}
}

// TestPlaintextJoinMatchesTheSession joins the demo's files in the clear, as only the
// demo can, and checks the secure model against the plaintext fit of that join.
func TestPlaintextJoinMatchesTheSession(t *testing.T) {
	dir := t.TempDir()
	fileA, fileB, err := synth.Write(dir, synth.Spec{Rows: 300, Overlap: 0.8, Missing: 0.01, Seed: 12})
	if err != nil {
		t.Fatal(err)
	}
	p := session.Default()
	p.Join.PaillierBits = 1024
	p.Model.Alpha = 0.05
	e := Spec{FileA: fileA, FileB: fileB, ID: "patient_id", Outcome: "hospital_days", Out: filepath.Join(dir, "out"), Settings: p, Options: testKeys()}
	res, err := Run(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	X, y, names, err := PlaintextJoin(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(y) != res.IntersectionSize || len(names) != len(res.Features) {
		t.Fatalf("plaintext join: %d rows, %d features; session: %d rows, %d features", len(y), len(names), res.IntersectionSize, len(res.Features))
	}
	b0, coef, r2 := lassotest.Reference(X, y, p.Model.Alpha)
	for i, n := range names {
		if math.Abs(res.Coefficients[n]-coef[i]) > 1e-4*math.Max(1, math.Abs(coef[i])) {
			t.Errorf("%s: secure %g, plaintext %g", n, res.Coefficients[n], coef[i])
		}
	}
	if math.Abs(res.Intercept-b0) > 1e-3*math.Max(1, math.Abs(b0)) || math.Abs(res.R2-r2) > 1e-5 {
		t.Errorf("intercept %g R² %g, plaintext %g %g", res.Intercept, res.R2, b0, r2)
	}
}

// TestCrossValidatedRun chooses α by 3-fold cross-validation over five penalties: the
// result and the report show the path and the chosen α, and every party's log holds
// the grid and the validation errors, checked against the policy.
func TestCrossValidatedRun(t *testing.T) {
	dir := t.TempDir()
	fileA, fileB, err := synth.Write(dir, synth.Spec{Rows: 300, Overlap: 0.8, Seed: 21})
	if err != nil {
		t.Fatal(err)
	}
	p := session.Default()
	p.Join.PaillierBits = 1024
	p.Model.CV, p.Model.NAlphas, p.Model.CVRule = 3, 5, "1se"
	out := filepath.Join(dir, "out")
	res, err := Run(context.Background(), Spec{FileA: fileA, FileB: fileB, ID: "patient_id", Outcome: "hospital_days",
		Out: out, Settings: p, Options: testKeys()})
	if err != nil {
		t.Fatal(err)
	}
	c := res.CV
	if c == nil || c.Folds != 3 || len(c.Alphas) != 5 || len(c.MSEMean) != 5 || len(c.MSEStdError) != 5 || c.Rule != "1se" {
		t.Fatalf("cv %+v", c)
	}
	if res.Alpha != c.Alpha1SE || c.Alpha1SE < c.AlphaMin || !slices.Contains(c.Alphas, res.Alpha) {
		t.Fatalf("alpha %g, cv %+v: want the 1se choice from the grid", res.Alpha, c)
	}
	for i := 1; i < len(c.Alphas); i++ {
		if c.Alphas[i] >= c.Alphas[i-1] {
			t.Fatalf("grid %v is not from the largest down", c.Alphas)
		}
	}
	for _, r := range protocol.Roles() {
		b, err := os.ReadFile(filepath.Join(out, "disclosure-"+r.String()+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for _, what := range []string{`"cv_alphas"`, `"cv_mse_mean"`, `"cv_mse_std_error"`, `"cv_alpha"`, `"alpha_max"`} {
			if !strings.Contains(string(b), what) {
				t.Errorf("%s's log has no %s", r, what)
			}
		}
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !strings.Contains(string(html), "Cross-validation") {
		t.Fatalf("report.html has no cross-validation curve (%v)", err)
	}
}
