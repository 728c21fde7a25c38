package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
