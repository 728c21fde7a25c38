package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/triad-mpc/triad/actors"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// script is a session as a registry would show it, one look per second.
func script() [][]actors.StepState {
	quick := actors.StepState{Name: "handshake", Steps: "0", Title: "Settings check", Status: "done", Seconds: 0.02, Remaining: -1}
	enc := func(done int64, secs, rate, left float64) actors.StepState {
		return actors.StepState{Name: "encryption", Steps: "3", Title: "Paillier encryption", Status: "running", Unit: "rows",
			Done: done, Total: 12000, Seconds: secs, Rate: rate, Remaining: left}
	}
	encDone := actors.StepState{Name: "encryption", Steps: "3", Title: "Paillier encryption", Status: "done", Unit: "rows",
		Done: 12000, Total: 12000, Seconds: 24.5, Remaining: -1}
	lasso := actors.StepState{Name: "regression", Steps: "8", Title: "Secure lasso", Status: "running", Unit: "iterations",
		Bounded: true, Done: 40, Total: 5000, Seconds: 2, Rate: 20, Remaining: -1}
	return [][]actors.StepState{
		{quick, enc(0, 0.5, 0, -1)},
		{quick, enc(450, 1.5, 300, 38.5)},
		{quick, enc(1200, 4, 300, 36)},
		{quick, enc(6000, 12, 500, 12)},
		{quick, enc(11000, 22, 500, 2)},
		{quick, encDone, lasso},
	}
}

func TestPlainLines(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	var out bytes.Buffer
	p := New(&out, Options{Every: 10 * time.Second, Now: c.now})
	gaps := []time.Duration{0, time.Second, 2500 * time.Millisecond, 8 * time.Second, 10 * time.Second, 2500 * time.Millisecond}
	for i, look := range script() {
		c.t = c.t.Add(gaps[i])
		p.Update(look)
	}
	p.Update(script()[5]) // a second look at the same state prints nothing new
	p.Finish()
	want := `step 3 · Paillier encryption    4%  450 / 12,000 rows  300 rows/s  ~38 s left  1.5 s so far
step 3 · Paillier encryption   50%  6,000 / 12,000 rows  500 rows/s  ~12 s left  12 s so far
step 3 · Paillier encryption   92%  11,000 / 12,000 rows  500 rows/s  ~2.0 s left  22 s so far
step 3 · Paillier encryption  done in 24 s  (12,000 rows)
step 8 · Secure lasso  40 iterations (limit 5,000)  20.0 iterations/s  2.0 s so far
`
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestTerminalLine(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	var out bytes.Buffer
	p := New(&out, Options{Terminal: true, Now: c.now})
	for _, look := range script()[:3] {
		c.t = c.t.Add(time.Second)
		p.Update(look)
	}
	p.Update(script()[5])
	p.Finish()
	want := "\r\x1b[Kstep 3 · Paillier encryption  [--------------------]   4%  450 / 12,000 rows  300 rows/s  ~38 s left  1.5 s so far" +
		"\r\x1b[Kstep 3 · Paillier encryption  [##------------------]  10%  1,200 / 12,000 rows  300 rows/s  ~36 s left  4.0 s so far" +
		"\r\x1b[Kstep 3 · Paillier encryption  done in 24 s  (12,000 rows)\n" +
		"\r\x1b[Kstep 8 · Secure lasso  40 iterations (limit 5,000)  20.0 iterations/s  2.0 s so far\n"
	if out.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", out.String(), want)
	}
}

func TestSummary(t *testing.T) {
	st := actors.State{
		Steps: []actors.StepState{
			{Name: "handshake", Steps: "0", Title: "Settings check", Seconds: 0.031, BytesSent: 206},
			{Name: "intersection", Steps: "4", Title: "Blind matching", Seconds: 1.5},
			{Name: "masking", Steps: "5-6", Title: "Masks and blind subtraction", Seconds: 12.25, BytesSent: 4_300_000},
			{Name: "regression", Steps: "8", Title: "Secure lasso", Seconds: 3, BytesSent: 18_100},
		},
		Disclosures: []actors.DisclosureState{
			{Step: 0, What: "columns"}, {Step: 4, What: "intersection_size"},
			{Step: 8, What: "iterations"}, {Step: 8, What: "coefficients"}, {Step: 8, What: "iterations"},
		},
	}
	var out bytes.Buffer
	if err := WriteSummary(&out, SummaryRows(st)); err != nil {
		t.Fatal(err)
	}
	want := `steps  part                         seconds     sent  revealed
0      Settings check                  0.03    206 B  columns
4      Blind matching                  1.50        –  intersection_size
5–6    Masks and blind subtraction    12.25   4.3 MB  nothing
8      Secure lasso                    3.00  18.1 kB  iterations, coefficients
       total                          16.78   4.3 MB
`
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	if strings.Contains(out.String(), " \n") {
		t.Error("trailing spaces")
	}
}

// TestStart shows a finished session's long part once, as plain lines to a buffer.
func TestStart(t *testing.T) {
	var out bytes.Buffer
	steps := script()[5]
	stop := Start(&out, func() []actors.StepState { return steps })
	stop()
	if got := out.String(); !strings.HasPrefix(got, "step 3 · Paillier encryption  done in 24 s") || strings.Count(got, "\n") != 2 {
		t.Fatalf("got %q", got)
	}
}
