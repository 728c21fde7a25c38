package outputs

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/lasso"
	"github.com/triad-mpc/triad/protocol/session"
)

// TestBuildMergesParties builds the result of two parties whose stages overlap in time
// and checks the spans, the bytes by party and the model.
func TestBuildMergesParties(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	schema := join.Schema{Columns: []string{"x1", "y", "x2"}, Outcome: "y"}
	model := &lasso.Result{Iterations: 7, Intercept: 1.5, Coefficients: []float64{2, 0}, R2: 0.9, Converged: true, Checks: []bool{false, true}}
	outs := []*session.Outcome{
		{Role: protocol.ControllerA, Started: at(0), Schema: schema, IntersectionSize: 40, Model: model, Stages: []session.StageReport{
			{Name: "handshake", Steps: "0", Start: at(0), End: at(1), BytesSent: 10},
			{Name: "regression", Steps: "8", Start: at(1), End: at(3), BytesSent: 100, Rounds: 9},
		}},
		{Role: protocol.ThirdParty, Started: at(0.5), Schema: schema, IntersectionSize: 40, Model: model, Stages: []session.StageReport{
			{Name: "handshake", Steps: "0", Start: at(0.5), End: at(1.5), BytesSent: 20},
			{Name: "regression", Steps: "8", Start: at(1.5), End: at(4), BytesSent: 200, Rounds: 9},
		}},
	}
	tables := map[protocol.Role]*join.Table{protocol.ControllerA: {Drops: []join.ColumnDrops{{Column: "id"}, {Column: "x1", Missing: 3}}, DroppedMissing: 3}}
	r := Build(outs, tables, session.Default())
	if len(r.Stages) != 2 || r.Stages[0].StartSeconds != 0 || r.Stages[0].EndSeconds != 1.5 || r.Stages[1].EndSeconds != 4 {
		t.Fatalf("stages %+v", r.Stages)
	}
	if r.Stages[1].BytesSent["third-party"] != 200 || r.Stages[1].Rounds != 9 || r.BytesSent["controller-a"] != 110 {
		t.Fatalf("bytes %+v, %+v", r.Stages[1], r.BytesSent)
	}
	if r.TotalSeconds != 4 || !r.Converged || r.Coefficients["x1"] != 2 || r.Coefficients["x2"] != 0 || len(r.Features) != 2 {
		t.Fatalf("result %+v", r)
	}
	if d := r.DroppedByColumn["controller-a"]; len(d) != 1 || d[0].Column != "x1" || r.RowsDropped["controller-a"] != 3 {
		t.Fatalf("drops %+v", r.DroppedByColumn)
	}
	var summary strings.Builder
	if err := PrintSummary(&summary, r, "out"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary.String(), "converged") || !strings.Contains(summary.String(), "in-sample") {
		t.Fatalf("summary %q", summary.String())
	}
	r.Converged = false
	summary.Reset()
	PrintSummary(&summary, r, "out")
	if !strings.Contains(summary.String(), "did NOT converge") || !strings.Contains(summary.String(), "--max-iter") {
		t.Fatalf("a fit that hit the limit is not flagged: %q", summary.String())
	}
}

func TestWriteAndPrepareDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := PrepareDir(dir); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("folder mode %v (%v), want 0700", st.Mode(), err)
	}
	log, err := OpenDisclosure(dir, protocol.ThirdParty)
	if err != nil {
		t.Fatal(err)
	}
	if err := log.Log.Record(4, protocol.ControllerA, "input_rows", 12); err != nil {
		t.Fatal(err)
	}
	log.Close()
	res := &Result{Parties: []string{"third-party"}, Coefficients: map[string]float64{}}
	if err := Write(dir, res, []*DisclosureLog{log}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"result.json", "report.html", "disclosure-third-party.jsonl"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Mode().Perm()&0o077 != 0 {
			t.Fatalf("%s: %v (%v), want it readable by its owner only", name, st, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "result.json"))
	var back Result
	if err := json.Unmarshal(b, &back); err != nil || back.Parties[0] != "third-party" {
		t.Fatalf("result.json: %v %+v", err, back)
	}
	if err := PrepareDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"result.json", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("PrepareDir left the previous %s (%v)", name, err)
		}
	}
	if err := Failed(errors.New("boom"), dir); !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Failed: %v", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "no", "such", "f"), []byte("x")); err == nil {
		t.Fatal("WriteFileAtomic into a missing folder succeeded")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Fatalf("a temporary file was left behind: %s", e.Name())
		}
	}
}
