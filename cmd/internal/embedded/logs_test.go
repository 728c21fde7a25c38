package embedded

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	logging "github.com/ipfs/go-log/v2"

	"github.com/triad-mpc/triad/cmd/internal/synth"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/session"
)

// TestLogsHoldNoData runs a whole session with every logger at debug level and checks
// that no identifier and no attribute value of either file reaches the log, and no
// identifier reaches a disclosure log.
func TestLogsHoldNoData(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "triad.log")
	saved := logging.GetConfig()
	logging.SetupLogging(logging.Config{Format: logging.JSONOutput, Level: logging.LevelDebug, File: logPath})
	defer logging.SetupLogging(saved)

	fileA, fileB, err := synth.Write(dir, synth.Spec{Rows: 400, Overlap: 0.6, Missing: 0.02, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	p := session.Default()
	p.Join.PaillierBits = 1024
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := filepath.Join(dir, "out")
	if _, err := Run(ctx, Spec{FileA: fileA, FileB: fileB, ID: "patient_id", Outcome: "hospital_days", Out: out, Settings: p, Options: testKeys()}); err != nil {
		t.Fatal(err)
	}
	logs, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(logs, []byte("session finished")) {
		t.Fatalf("the debug log does not show the session (%d bytes): the test would prove nothing", len(logs))
	}
	var disclosures []byte
	for _, r := range protocol.Roles() {
		path := filepath.Join(out, "disclosure-"+r.String()+".jsonl")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		disclosures = append(disclosures, b...)
		// What is on disk is what the role may learn, and nothing else.
		var entries []protocol.DisclosureEntry
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var e protocol.DisclosureEntry
			if err := json.Unmarshal(line, &e); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			entries = append(entries, e)
		}
		if err := session.CheckDisclosures(r, p.Model, entries); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		kinds := map[string]bool{}
		for _, e := range entries {
			kinds[fmt.Sprintf("%d %s %s", e.Step, e.From, e.What)] = true
		}
		for _, d := range session.Policy(r, p.Model) {
			if !kinds[fmt.Sprintf("%d %s %s", d.Step, d.From, d.What)] {
				t.Fatalf("%s: no %q from %s in step %d, which %s learns", path, d.What, d.From, d.Step, r)
			}
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm()&0o077 != 0 {
			t.Fatalf("%s: mode %v (%v), want it readable by its owner only", path, st.Mode(), err)
		}
	}
	// Identifiers are matched after trimming and case folding, so a leak could be in
	// either form: search case-insensitively.
	logs, disclosures = bytes.ToLower(logs), bytes.ToLower(disclosures)
	for _, f := range []string{fileA, fileB} {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs[1:] {
			id := bytes.ToLower(bytes.TrimSpace([]byte(rec[0])))
			if bytes.Contains(logs, id) || bytes.Contains(disclosures, id) {
				t.Fatalf("identifier %s of %s reached a log", rec[0], f)
			}
			for _, v := range rec[1:] {
				// Short values ("1", "72") occur in any log; longer ones are specific.
				if len(v) >= 6 && bytes.Contains(logs, bytes.ToLower([]byte(v))) {
					t.Fatalf("value %s of %s reached the log", v, f)
				}
			}
		}
	}
}
