package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary stand in for triad when a test's child process runs
// it with TRIAD_TEST_AS_MAIN set, as triad bench join runs its three nodes.
func TestMain(m *testing.M) {
	if os.Getenv("TRIAD_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestBenchJoin runs the join benchmark at a toy size: three node processes (this test
// binary as triad) join unequal tables, and the report counts what they did.
func TestBenchJoin(t *testing.T) {
	t.Setenv("TRIAD_TEST_AS_MAIN", "1")
	var out strings.Builder
	args := []string{"bench", "join", "--rows-a", "120", "--rows-b", "200", "--features-a", "3", "--features-b", "2", "--overlap", "0.5", "--json"}
	if err := dispatch(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	var rep benchJoinReport
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("%v in %q", err, out.String())
	}
	if rep.RowsA != 120 || rep.RowsB != 200 || rep.IntersectionSize != 60 || len(rep.Stages) == 0 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range []string{"controller-a", "controller-b", "third-party"} {
		if rep.PeakRSSBytes[r] <= 0 || rep.CPUSeconds[r] <= 0 {
			t.Errorf("%s: peak RSS %d, CPU %g", r, rep.PeakRSSBytes[r], rep.CPUSeconds[r])
		}
	}
	if ops := rep.Paillier["controller-b"]; ops.Encryptions != 200+60 || ops.Decryptions != 60 {
		t.Errorf("controller-b's Paillier operations %+v, want 260 encryptions and 60 decryptions", ops)
	}
	if err := dispatch(context.Background(), []string{"bench", "join", "--overlap", "2"}, new(strings.Builder)); exitCode(err) != 2 {
		t.Errorf("--overlap 2: err = %v, want a usage error", err)
	}
}
