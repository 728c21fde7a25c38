package join

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode"

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
	Dialect  Dialect // field separator and decimal mark; the zero value detects them
}

// Dialect says how a CSV file separates fields and writes numbers. Spreadsheets set to
// Dutch, German or French conventions, for instance, export fields separated by ';' and
// numbers with a decimal comma.
type Dialect struct {
	// Sep separates fields: one ASCII punctuation character or a tab. Zero detects it
	// from the header row as the most frequent of ',', ';', tab and '|' outside quotes.
	Sep rune
	// Decimal is the decimal mark of numbers: '.' or ','. Zero takes '.' when fields
	// are separated by ','; otherwise the first number written with a '.' or a ','
	// decides for the rest of the file.
	Decimal rune
}

// ParseDialect reads a separator and a decimal mark as a user writes them in a flag or
// a configuration file: one character each, "tab" or `\t` for a tab, and "" (or
// "auto") to detect it.
func ParseDialect(sep, decimal string) (Dialect, error) {
	var d Dialect
	for _, f := range []struct {
		name, s string
		to      *rune
	}{{"field separator", sep, &d.Sep}, {"decimal mark", decimal, &d.Decimal}} {
		switch f.s {
		case "", "auto":
		case "tab", `\t`:
			*f.to = '\t'
		default:
			r := []rune(f.s)
			if len(r) != 1 {
				return Dialect{}, fmt.Errorf("%s %q: want one character, \"tab\" or \"auto\"", f.name, f.s)
			}
			*f.to = r[0]
		}
	}
	return d, d.Validate()
}

// Validate reports a separator or decimal mark that cannot be used.
func (d Dialect) Validate() error {
	if d.Sep != 0 && (d.Sep > unicode.MaxASCII || !(d.Sep == '\t' || unicode.IsPunct(d.Sep) || unicode.IsSymbol(d.Sep)) || d.Sep == '"') {
		return fmt.Errorf("field separator %q: want one ASCII punctuation character, such as ',' or ';', or a tab", d.Sep)
	}
	if d.Decimal != 0 && d.Decimal != '.' && d.Decimal != ',' {
		return fmt.Errorf("decimal mark %q: want '.' or ','", d.Decimal)
	}
	if d.Sep != 0 && d.Sep == d.Decimal {
		return fmt.Errorf("field separator and decimal mark are both %q", d.Sep)
	}
	return nil
}

// String describes the dialect for messages, e.g. `separator ';', decimal mark ','`.
func (d Dialect) String() string {
	sep, dec := "auto", "auto"
	if d.Sep == '\t' {
		sep = "tab"
	} else if d.Sep != 0 {
		sep = strconv.QuoteRune(d.Sep)
	}
	if d.Decimal != 0 {
		dec = strconv.QuoteRune(d.Decimal)
	}
	return "separator " + sep + ", decimal mark " + dec
}

// Table is a controller's prepared data: normalised identifiers and fixed-point
// attribute values, with incomplete rows removed. It never leaves the controller.
type Table struct {
	Source   string
	Dialect  Dialect // as the file was read: the separator used, and the decimal mark ('.' if no number had one)
	IDColumn string
	Columns  []string  // attribute names, in table order
	Outcome  string    // one of Columns, or empty
	IDs      [][]byte  // normalised identifiers, one per row; see Wipe
	Rows     [][]int64 // fixed-point values, len(Columns) per row

	Read               int           // data rows in the file, blank lines aside
	DroppedMissing     int           // rows dropped for an empty identifier or a missing value
	DroppedUnparseable int           // rows dropped for a value that is not a finite number, and no missing one
	Drops              []ColumnDrops // per column: the identifier column, then Columns in order
}

// ColumnDrops counts the cells of one column that made step 1 drop their row. A row
// with bad cells in two columns counts once in each, and once in the table's totals.
type ColumnDrops struct {
	Column      string `json:"column"`
	Missing     int    `json:"missing"`     // empty, or NA, N/A, NaN, null, none or ?
	Unparseable int    `json:"unparseable"` // not a finite number in the file's dialect
}

// Dropped returns how many rows step 1 removed.
func (t *Table) Dropped() int { return t.DroppedMissing + t.DroppedUnparseable }

// Wipe zeroes the identifiers and values and forgets them. The hashing step does so
// with the identifiers once they are tagged, and the encryption step with the values;
// a caller that stops before then wipes the table itself.
func (t *Table) Wipe() {
	t.wipeIDs()
	for _, r := range t.Rows {
		clear(r)
	}
	t.Rows = nil
}

func (t *Table) wipeIDs() {
	for _, id := range t.IDs {
		clear(id)
	}
	t.IDs = nil
}

// InputError is a problem with a controller's file, found in step 1 before anything is
// computed or sent. It names no cell's value, only where the cell is.
type InputError struct {
	Source string
	Line   int    // 0 when no one line is at fault
	Col    int    // 1-based byte column in the line; 0 when no one cell is at fault
	Column string // the column's name, when one column is at fault
	Msg    string // what is wrong; when empty, Err says it
	Err    error  // the underlying error or one of ErrNoRows and ErrNotNumeric, if any
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Column != "" {
		fmt.Fprintf(&b, "column %q: ", e.Column)
	}
	if e.Msg != "" {
		b.WriteString(e.Msg)
	} else if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// ErrNoRows is wrapped by the InputError of a file that has no data rows, or none that
// step 1 can use.
var ErrNoRows = errors.New("no usable rows")

// ErrNotNumeric is wrapped by the InputError of a column that holds text rather than
// numbers.
var ErrNotNumeric = errors.New("not numeric")

// missing lists the spellings of a missing value, in lower case.
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

// FileHeader returns the column names in a CSV file's header row, without a byte-order
// mark or surrounding white space, and the dialect with the separator it detected.
func FileHeader(path string, d Dialect) ([]string, Dialect, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, d, err
	}
	defer f.Close()
	s, names, d, err := readHeader(f, path, d)
	if s != nil {
		s.wipe()
	}
	return names, d, err
}

// readHeader starts reading CSV: it drops a byte-order mark, settles the separator and
// reads the header row.
func readHeader(r io.Reader, source string, d Dialect) (*scanner, []string, Dialect, error) {
	if err := d.Validate(); err != nil {
		return nil, nil, d, &InputError{Source: source, Err: err}
	}
	s := newScanner(r)
	fail := func(err error) (*scanner, []string, Dialect, error) {
		var se *syntaxError
		if errors.As(err, &se) {
			return s, nil, d, &InputError{Source: source, Line: se.line, Col: se.col, Msg: se.msg}
		}
		return s, nil, d, &InputError{Source: source, Err: err}
	}
	if err := s.skipBOM(); err != nil {
		return fail(err)
	}
	if d.Sep == 0 {
		first, err := s.firstLine()
		if err != nil {
			return fail(err)
		}
		sep, err := detectSep(first)
		if err != nil {
			return s, nil, d, &InputError{Source: source, Line: 1, Msg: err.Error()}
		}
		d.Sep = rune(sep)
	}
	s.sep = byte(d.Sep)
	if d.Decimal == 0 && d.Sep == ',' {
		d.Decimal = '.'
	}
	rec, _, err := s.next()
	if errors.Is(err, io.EOF) {
		return s, nil, d, &InputError{Source: source, Msg: "empty file: want a header row"}
	}
	if err != nil {
		return fail(err)
	}
	names := make([]string, len(rec))
	for i, h := range rec {
		names[i] = strings.TrimSpace(string(h))
	}
	return s, names, d, nil
}

// detectSep picks the separator of a header line: the most frequent candidate outside
// quotes, ',' when there is none, and an error when two are equally frequent.
func detectSep(line []byte) (byte, error) {
	candidates := []byte{',', ';', '\t', '|'}
	count := make([]int, len(candidates))
	quoted := false
	for _, c := range line {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if !quoted {
			if k := bytes.IndexByte(candidates, c); k >= 0 {
				count[k]++
			}
		}
	}
	best := 0
	for k := range candidates {
		if count[k] > count[best] {
			best = k
		}
	}
	for k := range candidates {
		if k != best && count[k] == count[best] && count[k] > 0 {
			return 0, fmt.Errorf("cannot tell the field separator: the header has %d of %s and of %s; set the separator", count[k], sepName(candidates[best]), sepName(candidates[k]))
		}
	}
	return candidates[best], nil
}

func sepName(c byte) string {
	if c == '\t' {
		return "tab"
	}
	return strconv.QuoteRune(rune(c))
}

// ReadTable reads CSV with a header row in spec's dialect, dropping a UTF-8 byte-order
// mark. Lines of nothing but white space, and rows whose fields are all empty, are
// skipped. Identifiers are trimmed and, with spec.CaseFold, case-folded. A row with an
// empty identifier, a missing value or a value that is not a finite number is dropped
// and counted, in total and per column (Table.Drops).
//
// Every other problem is an *InputError that names source, line and column: a malformed
// file, a wanted column the header lacks (saying so when a name differs from it only by
// invisible characters or case), a duplicate identifier, a value too large for the
// fixed-point format, a column whose cells are mostly not numbers (ErrNotNumeric, at its
// first such cell), and a file with no data rows or none left after dropping (ErrNoRows).
// ReadTable keeps no copy of the identifiers but the table's, and on failure it wipes
// what it has read.
func ReadTable(r io.Reader, source string, spec Spec) (_ *Table, err error) {
	if err := spec.Fixed.Validate(); err != nil {
		return nil, &InputError{Source: source, Err: err}
	}
	s, header, dialect, err := readHeader(r, source, spec.Dialect)
	if s != nil {
		defer s.wipe()
	}
	if err != nil {
		return nil, err
	}
	index := make(map[string]int, len(header))
	for i, h := range header {
		if h == "" {
			if len(spec.Features) == 0 {
				return nil, &InputError{Source: source, Line: 1, Msg: fmt.Sprintf("column %d of the header has no name: name it, or list the features to use (%s)", i+1, dialect)}
			}
			continue // it cannot be asked for
		}
		if _, dup := index[h]; dup {
			return nil, &InputError{Source: source, Line: 1, Msg: fmt.Sprintf("column %q appears twice in the header", h)}
		}
		index[h] = i
	}
	find := func(name, what string) (int, error) {
		if i, ok := index[name]; ok {
			return i, nil
		}
		return 0, &InputError{Source: source, Line: 1, Msg: fmt.Sprintf("no %s %q%s (header: %s; %s)", what, name, nearMiss(header, name), quoteAll(header), dialect)}
	}
	idCol, err := find(spec.IDColumn, "identifier column")
	if err != nil {
		return nil, err
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
		i, err := find(n, "column")
		if err != nil {
			return nil, err
		}
		if n == spec.IDColumn {
			return nil, &InputError{Source: source, Line: 1, Msg: fmt.Sprintf("the identifier column %q cannot also be an attribute", n)}
		}
		if seen[n] {
			return nil, &InputError{Source: source, Msg: fmt.Sprintf("column %q is listed twice", n)}
		}
		seen[n] = true
		cols[j] = i
	}
	if len(names) == 0 {
		return nil, &InputError{Source: source, Line: 1, Msg: fmt.Sprintf("no attribute columns besides the identifier %q (%s)", spec.IDColumn, dialect)}
	}

	t := &Table{Source: source, IDColumn: spec.IDColumn, Columns: append([]string(nil), names...), Outcome: spec.Outcome}
	defer func() {
		if err != nil {
			t.Wipe()
		}
	}()
	t.Drops = make([]ColumnDrops, 1+len(names))
	t.Drops[0].Column = spec.IDColumn
	for j, n := range names {
		t.Drops[j+1].Column = n
	}
	stats := make([]columnStats, len(names))
	ids := idStore{seed: maphash.MakeSeed(), first: map[uint64]int{}}
	var lines []int // line of each kept row
	for {
		rec, at, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *syntaxError
			if errors.As(err, &se) {
				return nil, &InputError{Source: source, Line: se.line, Col: se.col, Msg: se.msg}
			}
			return nil, &InputError{Source: source, Err: err}
		}
		line := s.recLine
		if len(rec) != len(header) {
			return nil, &InputError{Source: source, Line: line, Msg: fmt.Sprintf("%d fields where the header has %d (%s)", len(rec), len(header), dialect)}
		}
		if allEmpty(rec) {
			continue
		}
		t.Read++
		row := make([]int64, len(cols))
		bad := 0 // 1: a value is missing; 2: a value is unparseable and none missing
		rawID := bytes.TrimSpace(rec[idCol])
		if len(rawID) == 0 {
			t.Drops[0].Missing++
			bad = 1
		}
		for j, c := range cols {
			cell := bytes.TrimSpace(rec[c])
			if isMissing(cell) {
				t.Drops[j+1].Missing++
				bad = 1
				continue
			}
			v, ok := parseNumber(cell, &dialect.Decimal)
			if !ok {
				t.Drops[j+1].Unparseable++
				stats[j].bad(line, at[c])
				if bad == 0 {
					bad = 2
				}
				if stats[j].badCells == 1 {
					stats[j].badLooksDecimalComma = looksLikeDecimalComma(cell, dialect)
				}
				continue
			}
			stats[j].good++
			enc, err := spec.Fixed.Encode(v)
			if err != nil {
				if math.IsInf(v, 0) {
					err = fmt.Errorf("number too large: its magnitude must be below %g", spec.Fixed.Max())
				}
				clear(row)
				return nil, &InputError{Source: source, Line: line, Col: at[c], Column: names[j], Err: err}
			}
			row[j] = enc
		}
		if bad != 0 {
			clear(row)
			if bad == 1 {
				t.DroppedMissing++
			} else {
				t.DroppedUnparseable++
			}
			continue
		}
		id := ids.add(rawID, spec.CaseFold)
		if prev, dup := ids.insert(id, t.IDs); dup {
			clear(id)
			clear(row)
			return nil, &InputError{Source: source, Line: line, Msg: fmt.Sprintf("identifier in column %q repeats the one on line %d", spec.IDColumn, lines[prev])}
		}
		t.IDs = append(t.IDs, id)
		t.Rows = append(t.Rows, row)
		lines = append(lines, line)
	}
	if dialect.Decimal == 0 {
		dialect.Decimal = '.'
	}
	t.Dialect = dialect
	if t.Read == 0 {
		return nil, &InputError{Source: source, Msg: "the file has a header but no data rows", Err: ErrNoRows}
	}
	if err := notNumeric(source, names, stats, dialect); err != nil {
		return nil, err
	}
	if len(t.Rows) == 0 {
		return nil, &InputError{Source: source, Msg: fmt.Sprintf("all %d rows were dropped (%s)", t.Read, t.dropSummary()), Err: ErrNoRows}
	}
	return t, nil
}

// columnStats counts one column's cells that parsed and that did not, and where the
// first bad one is.
type columnStats struct {
	good, badCells       int
	line, col            int
	badLooksDecimalComma bool
}

func (c *columnStats) bad(line, col int) {
	if c.badCells == 0 {
		c.line, c.col = line, col
	}
	c.badCells++
}

// notNumeric reports the first column whose cells are mostly not numbers. Such a
// column is text (M/F, say) or written in another dialect: dropping its rows one by one
// would drop nearly all of them.
func notNumeric(source string, names []string, stats []columnStats, d Dialect) error {
	var worst []string
	first := -1
	for j, st := range stats {
		if st.badCells > st.good {
			if first < 0 {
				first = j
			} else {
				worst = append(worst, names[j])
			}
		}
	}
	if first < 0 {
		return nil
	}
	st := stats[first]
	msg := fmt.Sprintf("%d of its %d non-missing cells are not numbers, the first of them here", st.badCells, st.badCells+st.good)
	if st.good == 0 {
		msg = fmt.Sprintf("none of its %d non-missing cells is a number, the first of them here", st.badCells)
	}
	if st.badLooksDecimalComma {
		msg += "; it looks like a number with a decimal comma: set the decimal mark to ','"
	} else {
		msg += "; Triad reads numbers only: recode the column or leave it out of the features"
	}
	if len(worst) > 0 {
		msg += fmt.Sprintf(" (so are columns %s)", quoteAll(worst))
	}
	msg += " (" + d.String() + ")"
	return &InputError{Source: source, Line: st.line, Col: st.col, Column: names[first], Msg: msg, Err: ErrNotNumeric}
}

func (t *Table) dropSummary() string {
	var parts []string
	for _, d := range t.Drops {
		if d.Missing > 0 {
			parts = append(parts, fmt.Sprintf("%q missing in %d", d.Column, d.Missing))
		}
		if d.Unparseable > 0 {
			parts = append(parts, fmt.Sprintf("%q not a number in %d", d.Column, d.Unparseable))
		}
	}
	return strings.Join(parts, ", ")
}

// idStore holds the identifiers of kept rows in chunks it owns, and finds repeats by a
// seeded hash of each, so that no map key holds a copy of an identifier.
type idStore struct {
	chunk []byte
	seed  maphash.Seed
	first map[uint64]int // hash → row; a collision moves on to the next hash value
}

// add stores the normalised identifier and returns it, in place in a chunk.
func (s *idStore) add(raw []byte, fold bool) []byte {
	need := 2 * len(raw) // folding case lengthens UTF-8 by at most half
	if cap(s.chunk)-len(s.chunk) < need {
		s.chunk = make([]byte, 0, max(64<<10, need))
	}
	start := len(s.chunk)
	s.chunk = keyedhash.AppendNormalized(s.chunk, raw, fold)
	return s.chunk[start:len(s.chunk):len(s.chunk)]
}

// insert records id as row len(ids), or returns the earlier row that has it.
func (s *idStore) insert(id []byte, ids [][]byte) (int, bool) {
	for h := maphash.Bytes(s.seed, id); ; h++ {
		row, ok := s.first[h]
		if !ok {
			s.first[h] = len(ids)
			return 0, false
		}
		if bytes.Equal(ids[row], id) {
			return row, true
		}
	}
}

func isMissing(cell []byte) bool {
	if len(cell) > 4 {
		return false
	}
	var low [4]byte
	for i, c := range cell {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	return missing[string(low[:len(cell)])]
}

func allEmpty(rec [][]byte) bool {
	for _, f := range rec {
		if len(bytes.TrimSpace(f)) > 0 {
			return false
		}
	}
	return true
}

// parseNumber parses a decimal number: an optional sign, digits with at most one
// decimal mark, and an optional exponent. *dec is the decimal mark; if it is zero, the
// first mark seen sets it. A cell of more than 32 bytes is not a number here: a
// float64 holds 17 significant digits, and up to 32 bytes the string ParseFloat reads
// stays on the stack instead of being copied to the heap.
func parseNumber(cell []byte, dec *rune) (float64, bool) {
	var buf [32]byte
	if len(cell) > len(buf) {
		return 0, false
	}
	i, digits, mark := 0, 0, rune(0)
	if i < len(cell) && (cell[i] == '+' || cell[i] == '-') {
		i++
	}
	for ; i < len(cell); i++ {
		c := cell[i]
		switch {
		case '0' <= c && c <= '9':
			digits++
			continue
		case (c == '.' || c == ',') && mark == 0 && (*dec == 0 || *dec == rune(c)):
			mark = rune(c)
			buf[i] = '.'
			continue
		}
		break
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(cell) && (cell[i] == 'e' || cell[i] == 'E') {
		i++
		if i < len(cell) && (cell[i] == '+' || cell[i] == '-') {
			i++
		}
		expDigits := 0
		for ; i < len(cell) && '0' <= cell[i] && cell[i] <= '9'; i++ {
			expDigits++
		}
		if expDigits == 0 {
			return 0, false
		}
	}
	if i != len(cell) {
		return 0, false
	}
	for k, c := range cell {
		if c != ',' && c != '.' {
			buf[k] = c
		}
	}
	// The syntax is checked, so ParseFloat fails only out of range, with ±Inf (which
	// the caller reports as too large) or a value rounded to zero.
	v, err := strconv.ParseFloat(string(buf[:len(cell)]), 64)
	clear(buf[:])
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	if mark != 0 && *dec == 0 {
		*dec = mark
	}
	return v, true
}

// looksLikeDecimalComma reports whether a cell that did not parse would parse with a
// decimal comma.
func looksLikeDecimalComma(cell []byte, d Dialect) bool {
	if d.Decimal == ',' || d.Sep == ',' {
		return false
	}
	comma := ','
	_, ok := parseNumber(cell, &comma)
	return ok
}

// nearMiss explains why a wanted column name is not in the header when a header name
// differs from it only by invisible characters or by case.
func nearMiss(header []string, want string) string {
	for i, h := range header {
		if h == want {
			continue
		}
		if visible(h) == want {
			var found []string
			for _, r := range h {
				if invisible(r) {
					found = append(found, fmt.Sprintf("U+%04X", r))
				}
			}
			return fmt.Sprintf("; column %d, %q, differs from it only by invisible characters (%s)", i+1, h, strings.Join(found, " "))
		}
		if strings.EqualFold(visible(h), want) {
			return fmt.Sprintf("; column %d, %q, differs from it only in case", i+1, h)
		}
	}
	return ""
}

// invisible reports characters that print as nothing: format characters such as a
// zero-width space or a byte-order mark, and control characters.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.IsControl(r)
}

func visible(s string) string {
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
