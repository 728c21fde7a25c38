package human

import (
	"math"
	"testing"
)

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Count(0), "0"}, {Count(999), "999"}, {Count(1000), "1,000"}, {Count(1234567), "1,234,567"}, {Count(-12000), "-12,000"},
		{Bytes(0), "–"}, {Bytes(999), "999 B"}, {Bytes(18100), "18.1 kB"}, {Bytes(4_300_000), "4.3 MB"}, {Bytes(250_000_000), "250 MB"},
		{Seconds(0.04), "0.0 s"}, {Seconds(9.94), "9.9 s"}, {Seconds(42.4), "42 s"}, {Seconds(185), "3 min 05 s"},
		{Seconds(3725), "1 h 02 min"}, {Seconds(-1), "–"}, {Seconds(math.NaN()), "–"},
		{Rate(0, "rows"), "–"}, {Rate(4.2, ""), "4.20/s"}, {Rate(12.25, "rows"), "12.2 rows/s"}, {Rate(1234.4, "rows"), "1,234 rows/s"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
