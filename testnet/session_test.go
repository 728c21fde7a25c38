package testnet

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loopback() map[string][]string {
	l := map[string][]string{}
	for _, r := range roles {
		l[r] = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	return l
}

// TestSession runs one session as three processes on ports the system picks and
// checks their results against each other, against the embedded run of the same
// data and against scikit-learn's plaintext fit of the joined table, and that no
// identifier reached a log or a disclosure record.
func TestSession(t *testing.T) {
	c := newCluster(t, loopback(), rows)
	procs := c.session(nil)
	c.finish(procs, 2*time.Minute)
	res := c.results()

	hospital, insurer := filepath.Join(c.data, "hospital.csv"), filepath.Join(c.data, "insurer.csv")
	emb := filepath.Join(c.dir, "embedded")
	if out, err := exec.Command(c.bin, "run", "--controller-a", hospital, "--controller-b", insurer,
		"--id", "patient_id", "--outcome", "hospital_days", "--alpha", fmt.Sprint(alpha), "--out", emb).CombinedOutput(); err != nil {
		t.Fatalf("the embedded run failed: %v\n%s", err, out)
	}
	embedded, err := readResult(filepath.Join(emb, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	ref := reference(t, hospital, insurer)

	for _, r := range roles {
		got := res[r]
		if got.IntersectionSize != ref.Rows || got.IntersectionSize != embedded.IntersectionSize {
			t.Errorf("%s: %d joined rows; embedded run %d, plaintext join %d", r, got.IntersectionSize, embedded.IntersectionSize, ref.Rows)
		}
		if got.Iterations < 1 {
			t.Errorf("%s: %d iterations", r, got.Iterations)
		}
		compareFit(t, r+" against the embedded run", got, embedded.Coefficients, embedded.Intercept, embedded.R2)
		compareFit(t, r+" against scikit-learn", got, ref.Coefficients, ref.Intercept, ref.R2)
	}
	t.Logf("%d joined rows, %d coefficients, R² %.6f (scikit-learn %.6f), %d iterations",
		ref.Rows, len(ref.Coefficients), res["controller-a"].R2, ref.R2, res["controller-a"].Iterations)

	// Identifiers, as written and as normalised, must not appear in any log, output
	// or disclosure record.
	ids := identifiers(t, hospital, insurer)
	var files []string
	for _, pattern := range []string{"*.log", "*.out", "*/out/*", "embedded/*.jsonl"} {
		m, _ := filepath.Glob(filepath.Join(c.dir, pattern))
		files = append(files, m...)
	}
	if len(files) < 9 {
		t.Fatalf("only %d logs and outputs to check for identifiers: %v", len(files), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ToLower(string(b))
		for _, id := range ids {
			if strings.Contains(text, id) {
				t.Errorf("identifier %q appears in %s", id, f)
				break
			}
		}
	}
}

// compareFit checks a result against a reference fit, to the tolerance of the
// fixed-point encoding.
func compareFit(t *testing.T, what string, got *result, coef map[string]float64, intercept, r2 float64) {
	t.Helper()
	scale := 1.0
	for _, v := range coef {
		scale = math.Max(scale, math.Abs(v))
	}
	if len(got.Coefficients) != len(coef) {
		t.Errorf("%s: %d coefficients, want %d", what, len(got.Coefficients), len(coef))
	}
	for k, want := range coef {
		v, ok := got.Coefficients[k]
		if d := math.Abs(v - want); !ok || d > 1e-4*scale {
			t.Errorf("%s: coefficient %s = %.8g, want %.8g", what, k, v, want)
		}
	}
	if d := math.Abs(got.Intercept - intercept); d > 1e-4*math.Max(1, math.Abs(intercept)) {
		t.Errorf("%s: intercept %.8g, want %.8g", what, got.Intercept, intercept)
	}
	if d := math.Abs(got.R2 - r2); d > 1e-5 {
		t.Errorf("%s: R² %.8f, want %.8f", what, got.R2, r2)
	}
}

// fit is scikit-learn's Lasso on the plaintext join.
type fit struct {
	Rows         int                `json:"rows"`
	Coefficients map[string]float64 `json:"coefficients"`
	Intercept    float64            `json:"intercept"`
	R2           float64            `json:"r2"`
}

func reference(t *testing.T, hospital, insurer string) *fit {
	t.Helper()
	out, err := exec.Command("/usr/bin/python3", "testdata/reference.py", hospital, insurer,
		"patient_id", "hospital_days", fmt.Sprint(alpha)).Output()
	if err != nil {
		msg := err.Error()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg = string(ee.Stderr)
		}
		t.Fatalf("scikit-learn reference (install python3-sklearn): %s", msg)
	}
	var f fit
	if err := json.Unmarshal(out, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// identifiers returns the identifier column of both files, lower-cased.
func identifiers(t *testing.T, files ...string) []string {
	t.Helper()
	var ids []string
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs[1:] {
			ids = append(ids, strings.ToLower(strings.TrimSpace(rec[0])))
		}
	}
	if len(ids) < 2*rows {
		t.Fatalf("%d identifiers in %v", len(ids), files)
	}
	return ids
}
