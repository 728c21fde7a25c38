package join

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/triad-mpc/triad/crypto/fixedpoint"
	"github.com/triad-mpc/triad/crypto/keyedhash"
)

// Spec says how to read a controller's CSV file (step 1).
type Spec struct {
	IDColumn string   // the identifier both controllers share
	Features []string // attribute columns; empty means every column but the identifier
	Outcome  string   // the column to predict, if this controller holds it; it is also a column of the table
	CaseFold bool     // fold the case of identifiers before hashing
	Fixed    fixedpoint.Params
}

// Table is a controller's prepared data: normalised identifiers and fixed-point
// attribute values, with incomplete rows removed. It never leaves the controller.
type Table struct {
	Source  string
	Columns []string  // attribute names, in table order
	Outcome string    // one of Columns, or empty
	IDs     []string  // normalised identifiers, one per row
	Rows    [][]int64 // fixed-point values, len(Columns) per row

	DroppedMissing     int // rows dropped for an empty identifier or a missing value
	DroppedUnparseable int // rows dropped for a value that is not a finite number
}

// Dropped returns how many rows step 1 removed.
func (t *Table) Dropped() int { return t.DroppedMissing + t.DroppedUnparseable }

// missing lists the spellings of a missing value.
var missing = map[string]bool{"": true, "na": true, "n/a": true, "nan": true, "null": true, "none": true, "?": true}

// ReadFile reads a controller's CSV file; see ReadTable.
func ReadFile(path string, spec Spec) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadTable(f, path, spec)
}

// ReadTable reads CSV with a header row. Rows with an empty identifier or a missing value
// are dropped and counted, as are rows with a value that is not a finite number; a
// duplicate identifier, a value too large for the fixed-point format or a malformed file
// is an error that names source, line and column. Source names the input in errors.
func ReadTable(r io.Reader, source string, spec Spec) (*Table, error) {
	if err := spec.Fixed.Validate(); err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file: want a header row", source)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	index := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		if _, dup := index[h]; dup {
			return nil, fmt.Errorf("%s:1: column %q appears twice in the header", source, h)
		}
		index[h] = i
	}
	idCol, ok := index[spec.IDColumn]
	if !ok {
		return nil, fmt.Errorf("%s:1: no identifier column %q (columns: %s)", source, spec.IDColumn, strings.Join(header, ", "))
	}
	names := spec.Features
	if len(names) == 0 {
		for _, h := range header {
			if h != spec.IDColumn {
				names = append(names, h)
			}
		}
	}
	if spec.Outcome != "" && !contains(names, spec.Outcome) {
		names = append(append([]string(nil), names...), spec.Outcome)
	}
	cols := make([]int, len(names))
	seen := make(map[string]bool, len(names))
	for j, n := range names {
		i, ok := index[n]
		if !ok {
			return nil, fmt.Errorf("%s:1: no column %q (columns: %s)", source, n, strings.Join(header, ", "))
		}
		if n == spec.IDColumn {
			return nil, fmt.Errorf("%s:1: the identifier column %q cannot also be an attribute", source, n)
		}
		if seen[n] {
			return nil, fmt.Errorf("%s: column %q is listed twice", source, n)
		}
		seen[n] = true
		cols[j] = i
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s:1: no attribute columns besides the identifier %q", source, spec.IDColumn)
	}

	t := &Table{Source: source, Columns: append([]string(nil), names...), Outcome: spec.Outcome}
	firstLine := make(map[string]int)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		line, _ := cr.FieldPos(0)
		id := string(keyedhash.AppendNormalized(nil, []byte(rec[idCol]), spec.CaseFold))
		if id == "" {
			t.DroppedMissing++
			continue
		}
		row := make([]int64, len(cols))
		drop := 0
		for j, c := range cols {
			s := strings.TrimSpace(rec[c])
			if missing[strings.ToLower(s)] {
				drop = 1
				break
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsInf(v, 0) {
				drop = 2
				continue // keep looking: a missing value elsewhere counts as missing
			}
			enc, err := spec.Fixed.Encode(v)
			if err != nil {
				_, col := cr.FieldPos(c)
				return nil, fmt.Errorf("%s:%d:%d: column %q: %w", source, line, col, names[j], err)
			}
			row[j] = enc
		}
		switch drop {
		case 1:
			t.DroppedMissing++
			continue
		case 2:
			t.DroppedUnparseable++
			continue
		}
		if prev, dup := firstLine[id]; dup {
			return nil, fmt.Errorf("%s:%d: identifier in column %q repeats the one on line %d", source, line, spec.IDColumn, prev)
		}
		firstLine[id] = line
		t.IDs = append(t.IDs, id)
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
