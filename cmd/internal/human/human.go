// Package human formats counts, sizes, rates and durations the way Triad shows them to
// people: on the command line, in the terminal console and in report.html.
package human

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Dash stands for a value that is not known or does not apply.
const Dash = "–"

// Count writes n with thousands separators: 12,000.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Bytes writes a size in decimal units: 18.1 kB, 4.3 MB; Dash for none.
func Bytes(n int64) string {
	if n <= 0 {
		return Dash
	}
	units := []string{"B", "kB", "MB", "GB", "TB"}
	v, i := float64(n), 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	if v < 100 {
		return fmt.Sprintf("%.1f %s", v, units[i])
	}
	return fmt.Sprintf("%.0f %s", v, units[i])
}

// Seconds writes a duration given in seconds: 0.4 s, 42 s, 3 min 05 s, 1 h 02 min;
// Dash for a negative or not finite one.
func Seconds(s float64) string {
	switch {
	case s < 0 || math.IsNaN(s) || math.IsInf(s, 0):
		return Dash
	case s < 10:
		return fmt.Sprintf("%.1f s", s)
	case s < 90:
		return fmt.Sprintf("%.0f s", s)
	}
	d := time.Duration(math.Round(s)) * time.Second
	m := int(d / time.Minute)
	if m < 60 {
		return fmt.Sprintf("%d min %02d s", m, int((d%time.Minute)/time.Second))
	}
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// Rate writes items per second, with unit if given: 1,234 rows/s, 4.20 /s; Dash for none.
func Rate(r float64, unit string) string {
	if r <= 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return Dash
	}
	var v string
	switch {
	case r >= 100:
		v = Count(int64(math.Round(r)))
	case r >= 10:
		v = fmt.Sprintf("%.1f", r)
	default:
		v = fmt.Sprintf("%.2f", r)
	}
	if unit != "" {
		return v + " " + unit + "/s"
	}
	return v + "/s"
}
