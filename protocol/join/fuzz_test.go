package join

import (
	"strings"
	"testing"
)

// FuzzReadTable feeds arbitrary CSV to step 1's reader: it must either fail with an
// error naming the source or return a consistent table.
func FuzzReadTable(f *testing.F) {
	f.Add("id,age,days\np1,70,3\np2,,4\n")
	f.Add("id,age,days\np1,1e300,2\n")
	f.Add("id,age,days\np1,1,2\nP1,3,4\n")
	f.Add("id,\"a\"\"b\",days\n\"x,y\",1,2\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := ReadTable(strings.NewReader(in), "f.csv", spec())
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.csv") && !strings.Contains(err.Error(), "fixed") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(tab.IDs) != len(tab.Rows) {
			t.Fatalf("%d identifiers for %d rows", len(tab.IDs), len(tab.Rows))
		}
		seen := map[string]bool{}
		for i, id := range tab.IDs {
			if id == "" || seen[id] {
				t.Fatalf("identifier %q empty or repeated", id)
			}
			seen[id] = true
			if len(tab.Rows[i]) != len(tab.Columns) {
				t.Fatalf("row %d has %d values for %d columns", i, len(tab.Rows[i]), len(tab.Columns))
			}
		}
	})
}
