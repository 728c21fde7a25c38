package synth

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
)

func read(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestWriteIsRepeatableAndOverlaps(t *testing.T) {
	s := Spec{Rows: 200, Overlap: 0.6, Missing: 0.05, ExtraA: 2, ExtraB: 1, Seed: 11}
	d1, d2 := t.TempDir(), t.TempDir()
	a1, b1, err := Write(d1, s)
	if err != nil {
		t.Fatal(err)
	}
	a2, _, err := Write(d2, s)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(a1)
	y, _ := os.ReadFile(a2)
	if !bytes.Equal(x, y) || filepath.Base(a1) != "hospital.csv" || filepath.Base(b1) != "insurer.csv" {
		t.Fatal("the same seed wrote different files")
	}
	ha, hb := read(t, a1), read(t, b1)
	if len(ha) != 201 || len(hb) != 201 {
		t.Fatalf("%d and %d lines, want a header and 200 rows each", len(ha), len(hb))
	}
	if got := ha[0][len(ha[0])-1]; got != "lab_02" || hb[0][len(hb[0])-1] != "claim_01" {
		t.Fatalf("headers %v / %v lack the extra columns", ha[0], hb[0])
	}
	ids := map[string]bool{}
	for _, r := range ha[1:] {
		ids[r[0]] = true
	}
	common, empty := 0, 0
	for _, r := range hb[1:] {
		if ids[r[0]] {
			common++
		}
		for _, c := range r[1:] {
			if c == "" {
				empty++
			}
		}
	}
	if common != 120 {
		t.Fatalf("%d identifiers in both files, want 120", common)
	}
	if empty == 0 {
		t.Fatal("no missing values although Missing is 5%")
	}
}

func TestMinimalHasOnlyTheGenericColumns(t *testing.T) {
	a, b, err := Write(t.TempDir(), Spec{Rows: 20, Overlap: 1, Minimal: true, ExtraA: 3, ExtraB: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if h := read(t, a)[0]; len(h) != 5 || h[1] != "hospital_days" {
		t.Fatalf("hospital header %v", h)
	}
	if h := read(t, b)[0]; len(h) != 3 {
		t.Fatalf("insurer header %v", h)
	}
}
