package join

import (
	"strings"
	"testing"

	"github.com/triad-mpc/triad/crypto/fixedpoint"
)

func spec() Spec {
	return Spec{IDColumn: "id", Outcome: "days", CaseFold: true, Fixed: fixedpoint.Params{Frac: 24, Bits: 64}}
}

func TestReadTable(t *testing.T) {
	in := "id,age,days,cost\n" +
		" P1 ,70,3,12.5\n" +
		"p2,,4,1\n" + // missing
		"p3,NA,4,1\n" + // missing
		"p4,abc,4,1\n" + // unparseable
		"p5,-1.25,0,1e3\n" +
		",1,2,3\n" // no identifier
	tab, err := ReadTable(strings.NewReader(in), "a.csv", spec())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tab.Columns, ","); got != "age,days,cost" {
		t.Fatalf("columns = %s", got)
	}
	if len(tab.Rows) != 2 || tab.IDs[0] != "p1" || tab.IDs[1] != "p5" {
		t.Fatalf("ids = %v", tab.IDs)
	}
	if tab.DroppedMissing != 3 || tab.DroppedUnparseable != 1 || tab.Dropped() != 4 {
		t.Fatalf("dropped missing %d unparseable %d", tab.DroppedMissing, tab.DroppedUnparseable)
	}
	p := spec().Fixed
	if got := p.Decode(tab.Rows[1][0]); got != -1.25 {
		t.Fatalf("age of p5 = %v", got)
	}
	if got := p.Decode(tab.Rows[1][2]); got != 1000 {
		t.Fatalf("cost of p5 = %v", got)
	}
}

func TestReadTableErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "empty file"},
		{"name,age\nx,1\n", `no identifier column "id"`},
		{"id,age,age\n1,2,3\n", `"age" appears twice`},
		{"id,age,days\np1,1,2\nP1,3,4\n", "a.csv:3: identifier"},
		{"id,age,days\np1,1,2\np2,1\n", "a.csv"},
		{"id,age,days\np1,1e300,2\n", "a.csv:2:4"},
		{"id,age\np1,1\n", `no column "days"`},
	} {
		_, err := ReadTable(strings.NewReader(c.in), "a.csv", spec())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadTable(%q): err = %v, want it to mention %q", c.in, err, c.want)
		}
	}
}
