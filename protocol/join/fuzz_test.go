package join

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzReadTable feeds arbitrary CSV to step 1's reader: it must either fail with an
// *InputError naming the source or return a consistent table, and reading the input one
// byte at a time must give the same answer as reading it at once.
func FuzzReadTable(f *testing.F) {
	f.Add("id,age,days\np1,70,3\np2,,4\n", byte(0), byte(0))
	f.Add("id,age,days\np1,1e300,2\n", byte(0), byte(0))
	f.Add("id,age,days\np1,1,2\nP1,3,4\n", byte(0), byte(0))
	f.Add("id,\"a\"\"b\",days\n\"x,y\",1,2\n", byte(0), byte(0))
	f.Add("\xef\xbb\xbfid;age;days\r\np1;1,5;2\r\n\"p\n2\";3;\"4,25\"\r\n", byte(0), byte(0))
	f.Add("id;age;days\np1;1,5;2\n", byte(';'), byte(','))
	f.Add("id\tsex\tdays\np1\tM\t3\n", byte(0), byte('.'))
	f.Add("id|age|days\r\r\np1|.5|-2e3\r", byte('|'), byte(0))
	f.Add("", byte(0), byte(0))
	f.Fuzz(func(t *testing.T, in string, sep, dec byte) {
		s := spec()
		s.Dialect = Dialect{Sep: rune(sep), Decimal: rune(dec)}
		tab, err := ReadTable(strings.NewReader(in), "f.csv", s)
		tab1, err1 := ReadTable(iotest.OneByteReader(strings.NewReader(in)), "f.csv", s)
		if (err == nil) != (err1 == nil) || (err != nil && err.Error() != err1.Error()) {
			t.Fatalf("at once: %v; byte by byte: %v", err, err1)
		}
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "f.csv") {
				t.Fatalf("error is not an InputError naming the file: %v", err)
			}
			return
		}
		if !reflect.DeepEqual(tab, tab1) {
			t.Fatalf("at once and byte by byte differ:\n%+v\n%+v", tab, tab1)
		}
		if len(tab.IDs) != len(tab.Rows) || len(tab.Rows) == 0 {
			t.Fatalf("%d identifiers for %d rows", len(tab.IDs), len(tab.Rows))
		}
		if tab.Read != len(tab.Rows)+tab.Dropped() {
			t.Fatalf("read %d rows, kept %d, dropped %d", tab.Read, len(tab.Rows), tab.Dropped())
		}
		if tab.Dialect.Sep == 0 || (tab.Dialect.Decimal != '.' && tab.Dialect.Decimal != ',') {
			t.Fatalf("dialect %v not settled", tab.Dialect)
		}
		seen := map[string]bool{}
		for i, id := range tab.IDs {
			if len(id) == 0 || seen[string(id)] || !bytes.Equal(id, bytes.TrimSpace(id)) {
				t.Fatalf("identifier %q empty, untrimmed or repeated", id)
			}
			seen[string(id)] = true
			if len(tab.Rows[i]) != len(tab.Columns) {
				t.Fatalf("row %d has %d values for %d columns", i, len(tab.Rows[i]), len(tab.Columns))
			}
		}
	})
}
