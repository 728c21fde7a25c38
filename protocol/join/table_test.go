package join

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/triad-mpc/triad/crypto/fixedpoint"
)

func spec() Spec {
	return Spec{IDColumn: "id", Outcome: "days", CaseFold: true, Fixed: fixedpoint.Params{Frac: 24, Bits: 64}}
}

func ids(t *Table) []string {
	var out []string
	for _, id := range t.IDs {
		out = append(out, string(id))
	}
	return out
}

func TestReadTable(t *testing.T) {
	in := "id,age,days,cost\n" +
		" P1 ,70,3,12.5\n" +
		"p2,,4,1\n" + // missing
		"p3,NA,4,x\n" + // missing, and unparseable
		"p4,abc,4,1\n" + // unparseable
		"\n" + // blank
		"p5,-1.25,0,1e3\n" +
		",1,2,3\n" + // no identifier
		" , ,,\n" + // nothing at all: not a row
		"p6,2,n/a,3\n" // missing
	tab, err := ReadTable(strings.NewReader(in), "a.csv", spec())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tab.Columns, ","); got != "age,days,cost" {
		t.Fatalf("columns = %s", got)
	}
	if got := ids(tab); !reflect.DeepEqual(got, []string{"p1", "p5"}) {
		t.Fatalf("ids = %q", got)
	}
	if tab.Read != 7 || tab.DroppedMissing != 4 || tab.DroppedUnparseable != 1 || tab.Dropped() != 5 {
		t.Fatalf("read %d, dropped missing %d unparseable %d", tab.Read, tab.DroppedMissing, tab.DroppedUnparseable)
	}
	want := []ColumnDrops{{"id", 1, 0}, {"age", 2, 1}, {"days", 1, 0}, {"cost", 0, 1}}
	if !reflect.DeepEqual(tab.Drops, want) {
		t.Fatalf("drops = %+v, want %+v", tab.Drops, want)
	}
	if tab.Dialect != (Dialect{',', '.'}) {
		t.Fatalf("dialect = %v", tab.Dialect)
	}
	p := spec().Fixed
	if got := p.Decode(tab.Rows[1][0]); got != -1.25 {
		t.Fatalf("age of p5 = %v", got)
	}
	if got := p.Decode(tab.Rows[1][2]); got != 1000 {
		t.Fatalf("cost of p5 = %v", got)
	}
}

// TestReadTableDialects reads one table written in several dialects.
func TestReadTableDialects(t *testing.T) {
	for _, c := range []struct {
		name, in string
		d        Dialect
		want     Dialect
	}{
		{"comma", "id,age,days\np1,70.5,3\np2,1e-2,-4.25\n", Dialect{}, Dialect{',', '.'}},
		{"Dutch, detected", "\xef\xbb\xbfid;age;days\r\np1;70,5;3\r\np2;1e-2;-4,25\r\n", Dialect{}, Dialect{';', ','}},
		{"Dutch, set", "id;age;days\np1;70,5;3\np2;\"1e-2\";-4,25\n", Dialect{Sep: ';', Decimal: ','}, Dialect{';', ','}},
		{"semicolon with points", "id;age;days\np1;70.5;3\np2;1e-2;-4.25\n", Dialect{}, Dialect{';', '.'}},
		{"tab", "id\tage\tdays\np1\t70.5\t3\np2\t0.01\t-4.25\n", Dialect{}, Dialect{'\t', '.'}},
		{"blank lines first", "\r\n  \nid;age;days\np1;70,5;3\n\np2;1e-2;-4,25\n", Dialect{}, Dialect{';', ','}},
		{"unnamed columns, features listed", "id,,age,days,\np1,x,70.5,3,\np2,y,0.01,-4.25,\n", Dialect{Sep: ','}, Dialect{',', '.'}},
		{"bar, old Mac line ends", "id|age|days\rp1|70.5|3\rp2|.01|-4.25\r", Dialect{}, Dialect{'|', '.'}},
		{"quoted separators", "\"id\";\"age\";\"days\"\n\"p1\";\"70,5\";3\n\"p2\";0,01;\"-4,25\"\n", Dialect{}, Dialect{';', ','}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := spec()
			s.Dialect = c.d
			s.Features = []string{"age"}
			tab, err := ReadTable(strings.NewReader(c.in), "a.csv", s)
			if err != nil {
				t.Fatal(err)
			}
			if tab.Dialect != c.want {
				t.Fatalf("dialect = %v, want %v", tab.Dialect, c.want)
			}
			p := s.Fixed
			got := [][]float64{}
			for _, r := range tab.Rows {
				got = append(got, []float64{p.Decode(r[0]), p.Decode(r[1])})
			}
			want := [][]float64{{70.5, 3}, {0.01, -4.25}}
			for i := range want {
				for j := range want[i] {
					if d := got[i][j] - want[i][j]; d > 1e-6 || d < -1e-6 {
						t.Fatalf("rows = %v, want %v", got, want)
					}
				}
			}
			if !reflect.DeepEqual(ids(tab), []string{"p1", "p2"}) {
				t.Fatalf("ids = %q", ids(tab))
			}
		})
	}
}

func TestReadTableErrors(t *testing.T) {
	dutch := Dialect{Sep: ';', Decimal: ','}
	for _, c := range []struct {
		name, in string
		d        Dialect
		is       error
		want     []string
	}{
		{"empty", "", Dialect{}, nil, []string{"a.csv: empty file"}},
		{"no id", "name,age\nx,1\n", Dialect{}, nil, []string{`a.csv:1: no identifier column "id"`, `"name", "age"`}},
		{"BOM inside", "age,\ufeffid,days\n1,x,2\n", Dialect{}, nil, []string{`column 2, "\ufeffid", differs from it only by invisible characters (U+FEFF)`}},
		{"zero-width space", "\u200bid,age,days\nx,1,2\n", Dialect{}, nil, []string{`differs from it only by invisible characters (U+200B)`}},
		{"case", "ID,age,days\nx,1,2\n", Dialect{}, nil, []string{`column 1, "ID", differs from it only in case`}},
		{"twice", "id,age,age\n1,2,3\n", Dialect{}, nil, []string{`a.csv:1: column "age" appears twice`}},
		{"duplicate id", "id,age,days\np1,1,2\np2,1,2\n P1,3,4\n", Dialect{}, nil, []string{`a.csv:4: identifier in column "id" repeats the one on line 2`}},
		{"field count", "id,age,days\np1,1,2\np2,1\n", Dialect{}, nil, []string{"a.csv:3: 2 fields where the header has 3"}},
		{"too large", "id,age,days\np1,1e300,2\n", Dialect{}, nil, []string{`a.csv:2:4: column "age": fixedpoint`}},
		{"infinite", "id,age,days\np1,2,-1e400\n", Dialect{}, nil, []string{`a.csv:2:6: column "days": number too large`}},
		{"no outcome", "id,age\np1,1\n", Dialect{}, nil, []string{`no column "days"`}},
		{"semicolons read as commas", "id;age;days\np1;1;2\n", Dialect{Sep: ','}, nil, []string{`a.csv:1: no identifier column "id" (header: "id;age;days"; separator ','`}},
		{"ambiguous separator", "id,age;days\np1,1;2\n", Dialect{}, nil, []string{"a.csv:1: cannot tell the field separator", "set the separator"}},
		{"bad dialect", "id,age,days\n", Dialect{Sep: ',', Decimal: ','}, nil, []string{"a.csv: field separator and decimal mark are both ','"}},
		{"bad separator", "id,age,days\n", Dialect{Sep: 'x'}, nil, []string{"a.csv: field separator 'x'"}},
		{"bare quote", "id,age,days\np1,5'11\",2\n", Dialect{}, nil, []string{`a.csv:2:8: a quote (") inside a field`}},
		{"unclosed quote", "id,age,days\np1,1,2\n\"p2,1,2\n", Dialect{}, nil, []string{"a.csv:3:1: quoted field is never closed"}},
		{"text after quote", "id,age,days\n\"p\n1\"x,1,2\n", Dialect{}, nil, []string{"a.csv:3:3: text after the closing quote"}},
		{"unnamed column", "id,age,days,\np1,1,2,\n", Dialect{}, nil, []string{"a.csv:1: column 4 of the header has no name"}},
		{"header only", "id,age,days\n", Dialect{}, ErrNoRows, []string{"a.csv: the file has a header but no data rows"}},
		{"header and blank lines", "id,age,days\r\n\r\n  \r\n", Dialect{}, ErrNoRows, []string{"no data rows"}},
		{"nothing usable", "id,age,days\np1,,2\n,1,2\np3,1,NA\n", Dialect{}, ErrNoRows, []string{`a.csv: all 3 rows were dropped ("id" missing in 1, "age" missing in 1, "days" missing in 1)`}},
		{"text column", "id,sex,days\np1,,3\np2,M,3\np3,F,4\np4,1,5\n", Dialect{}, ErrNotNumeric, []string{`a.csv:3:4: column "sex": 2 of its 3 non-missing cells are not numbers`, "recode the column"}},
		{"two text columns", "id,sex,days\np1,M,x\n", Dialect{}, ErrNotNumeric, []string{`a.csv:2:4: column "sex": none of its 1 non-missing cells is a number`, `(so are columns "days")`}},
		{"decimal comma read as point", "id;age;days\np1;1,5;2\n", Dialect{Decimal: '.'}, ErrNotNumeric, []string{`a.csv:2:4: column "age"`, "set the decimal mark to ','"}},
		{"decimal point read as comma", "id;age;days\np1;1.5;2\n", dutch, ErrNotNumeric, []string{`a.csv:2:4: column "age"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := spec()
			s.Dialect = c.d
			_, err := ReadTable(strings.NewReader(c.in), "a.csv", s)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to mention %s", err, w)
				}
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("err = %v, want it to wrap %v", err, c.is)
			}
		})
	}
}

func TestParseDialect(t *testing.T) {
	for _, c := range []struct {
		sep, dec string
		want     Dialect
		err      string
	}{
		{"", "", Dialect{}, ""},
		{"auto", "auto", Dialect{}, ""},
		{";", ",", Dialect{';', ','}, ""},
		{"tab", ".", Dialect{'\t', '.'}, ""},
		{`\t`, "", Dialect{Sep: '\t'}, ""},
		{"\t", "", Dialect{Sep: '\t'}, ""},
		{"|", "", Dialect{Sep: '|'}, ""},
		{";;", "", Dialect{}, `field separator ";;": want one character`},
		{"a", "", Dialect{}, `field separator 'a'`},
		{",", ",", Dialect{}, "both ','"},
		{"", "x", Dialect{}, `decimal mark 'x'`},
	} {
		d, err := ParseDialect(c.sep, c.dec)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseDialect(%q, %q): err = %v, want %q", c.sep, c.dec, err, c.err)
			}
			continue
		}
		if err != nil || d != c.want {
			t.Errorf("ParseDialect(%q, %q) = %v, %v; want %v", c.sep, c.dec, d, err, c.want)
		}
	}
}

// TestReadTableOccasionalBadCells checks that a column with a few cells that are not
// numbers keeps the rest of its rows and counts the bad ones against it.
func TestReadTableOccasionalBadCells(t *testing.T) {
	var b strings.Builder
	b.WriteString("id;sex;age;days\n")
	for i := range 100 {
		sex, age := "1", fmt.Sprintf("%d,5", i)
		if i%10 == 3 {
			sex = "?" // missing
		}
		if i%25 == 7 {
			age = "unknown"
		}
		fmt.Fprintf(&b, "p%d;%s;%s;%d\n", i, sex, age, i)
	}
	tab, err := ReadTable(strings.NewReader(b.String()), "a.csv", spec())
	if err != nil {
		t.Fatal(err)
	}
	want := []ColumnDrops{{"id", 0, 0}, {"sex", 10, 0}, {"age", 0, 4}, {"days", 0, 0}}
	if !reflect.DeepEqual(tab.Drops, want) {
		t.Fatalf("drops = %+v, want %+v", tab.Drops, want)
	}
	if len(tab.Rows) != 86 || tab.DroppedMissing != 10 || tab.DroppedUnparseable != 4 {
		t.Fatalf("kept %d, dropped missing %d, unparseable %d", len(tab.Rows), tab.DroppedMissing, tab.DroppedUnparseable)
	}
}

// TestScannerMatchesEncodingCSV compares the scanner with encoding/csv on random
// well-formed files large enough to cross the buffer's boundaries, read at once and
// in small pieces.
func TestScannerMatchesEncodingCSV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "B", "7", ".", ";", ",", " x", "\"", "\n", "\r\n", "é", "ß"}
	for _, sep := range []byte{',', ';', '\t'} {
		var b strings.Builder
		var want [][]string
		for range 3000 {
			var rec []string
			for range 4 {
				var f strings.Builder
				for range rng.IntN(12) {
					f.WriteString(alphabet[rng.IntN(len(alphabet))])
				}
				rec = append(rec, f.String())
			}
			want = append(want, rec)
			for k, f := range rec {
				if k > 0 {
					b.WriteByte(sep)
				}
				b.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
			}
			b.WriteString([]string{"\n", "\r\n"}[rng.IntN(2)])
		}
		cr := csv.NewReader(strings.NewReader(b.String()))
		cr.Comma = rune(sep)
		ref, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for i := range ref { // encoding/csv turns \r\n inside quotes into \n
			for j := range ref[i] {
				ref[i][j] = strings.ReplaceAll(want[i][j], "\r\n", "\n")
			}
		}
		for _, r := range []io.Reader{strings.NewReader(b.String()), iotest.HalfReader(strings.NewReader(b.String()))} {
			s := newScanner(r)
			s.sep = sep
			var got [][]string
			for {
				rec, _, err := s.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				var row []string
				for _, f := range rec {
					row = append(row, strings.ReplaceAll(string(f), "\r\n", "\n"))
				}
				got = append(got, row)
			}
			if !reflect.DeepEqual(got, ref) {
				t.Fatalf("separator %q: the scanner's %d records differ from encoding/csv's %d", sep, len(got), len(ref))
			}
			s.wipe()
			for _, c := range s.buf {
				if c != 0 {
					t.Fatal("scanner buffer not zero after wipe")
				}
			}
		}
	}
}

// TestLinesAndColumns checks the positions errors report after quoted line breaks,
// a byte-order mark and CRLF line ends.
func TestLinesAndColumns(t *testing.T) {
	in := "\xef\xbb\xbfid,age,days\r\n\"p\r\n1\",1,2\r\n\r\np2, 3,x\r\np3,1,2\r\np4,1e999,2\r\n"
	_, err := ReadTable(strings.NewReader(in), "a.csv", spec())
	if err == nil || !strings.HasPrefix(err.Error(), `a.csv:7:4: column "age": number too large`) {
		t.Fatalf("err = %v, want a.csv:7:4", err)
	}
}

func TestReadFileAndHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.csv")
	if err := os.WriteFile(path, []byte("\xef\xbb\xbf id ; age ;days\np1;1,5;2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	names, d, err := FileHeader(path, Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"id", "age", "days"}) || d.Sep != ';' {
		t.Fatalf("header %q, dialect %v", names, d)
	}
	tab, err := ReadFile(path, spec())
	if err != nil {
		t.Fatal(err)
	}
	if tab.Source != path || tab.Dialect != (Dialect{';', ','}) || len(tab.Rows) != 1 {
		t.Fatalf("table %+v", tab)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "none.csv"), spec()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: err = %v", err)
	}
}

func TestReadTableReaderError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("id,age,days\np1,1,2\n"), iotest.ErrReader(errors.New("disk on fire")))
	_, err := ReadTable(r, "a.csv", spec())
	if err == nil || err.Error() != "a.csv: disk on fire" {
		t.Fatalf("err = %v", err)
	}
}

func TestTableWipe(t *testing.T) {
	tab, err := ReadTable(strings.NewReader("id,age,days\npatient-1,1,2\npatient-2,3,4\n"), "a.csv", spec())
	if err != nil {
		t.Fatal(err)
	}
	idBytes, rows := tab.IDs, tab.Rows
	tab.Wipe()
	if tab.IDs != nil || tab.Rows != nil {
		t.Fatal("Wipe left the slices")
	}
	for i := range idBytes {
		for _, c := range idBytes[i][:cap(idBytes[i])] {
			if c != 0 {
				t.Fatalf("identifier %d not zeroed", i)
			}
		}
		for _, v := range rows[i] {
			if v != 0 {
				t.Fatalf("row %d not zeroed", i)
			}
		}
	}
}

// BenchmarkReadTable reads 100,000 rows of an identifier and four values.
func BenchmarkReadTable(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("id,age,ef,cost,days\n")
	for i := range 100_000 {
		fmt.Fprintf(&sb, "NL%09d,%d,%d.%d,%d.25,%d\n", i, 20+i%70, i%60, i%10, i%5000, i%30)
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := ReadTable(strings.NewReader(in), "bench.csv", spec()); err != nil {
			b.Fatal(err)
		}
	}
}
