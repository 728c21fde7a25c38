package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triad-mpc/triad/protocol"
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
			_, err := runEmbedded(ctx, embedded{fileA: a, fileB: good, id: "id", outcome: c.outcome, out: out, settings: p, opts: testKeys()})
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
// where the disclosure logs are, and the exit status is 3.
func TestFailedSessionLeavesNoResult(t *testing.T) {
	dir := t.TempDir()
	fileA, fileB, err := writeSynth(dir, synthSpec{Rows: 60, Overlap: 0.5, Seed: 5})
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
	_, err = runEmbedded(ctx, embedded{fileA: fileA, fileB: fileB, id: "patient_id", outcome: "hospital_days",
		out: out, settings: p, opts: testKeys()})
	var ce *session.CohortError
	if !errors.As(err, &ce) || exitCode(err) != 3 {
		t.Fatalf("err = %v (exit %d), want the minimum cohort (exit 3)", err, exitCode(err))
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
