// Package progress shows a session's progress on the command line: each part that runs
// longer than a second gets a progress line with its count, rate and time left (one
// line redrawn in place on a terminal, plain lines every few seconds otherwise, so a
// log file stays readable), and the session ends with a summary table of its parts,
// their time, the bytes sent and what was revealed.
//
// It draws the timeline a party's actors.Registry keeps; it computes nothing itself.
package progress

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/cmd/internal/human"
)

// Options choose how progress is shown.
type Options struct {
	// Terminal redraws one line in place; otherwise each update is a line of its own.
	Terminal bool
	// After is how long a part runs before it is shown (default 1 s).
	After time.Duration
	// Every is how often plain output repeats a running part's line (default 10 s).
	Every time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Printer draws progress lines to a writer, usually standard error.
type Printer struct {
	w     io.Writer
	o     Options
	shown map[string]time.Time // part name → when its line was last printed
	ended map[string]bool
	line  bool // a redrawn line is on screen
}

// New returns a Printer writing to w.
func New(w io.Writer, o Options) *Printer {
	if o.After <= 0 {
		o.After = time.Second
	}
	if o.Every <= 0 {
		o.Every = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Printer{w: w, o: o, shown: map[string]time.Time{}, ended: map[string]bool{}}
}

// Update draws the timeline steps (a registry's State().Steps): the running part's
// progress once it has run longer than Options.After, and a closing line for each
// part that ran that long and has ended.
func (p *Printer) Update(steps []actors.StepState) {
	now := p.o.Now()
	after := p.o.After.Seconds()
	for _, s := range steps {
		switch s.Status {
		case "done", "failed":
			if p.ended[s.Name] {
				continue
			}
			p.ended[s.Name] = true
			if _, ok := p.shown[s.Name]; ok || s.Seconds > after {
				p.print(ended(s), true)
			}
		case "running":
			if s.Seconds <= after {
				continue
			}
			last, ok := p.shown[s.Name]
			if p.o.Terminal || !ok || now.Sub(last) >= p.o.Every {
				p.shown[s.Name] = now
				p.print(running(s, p.o.Terminal), false)
			}
		}
	}
}

// Finish ends a redrawn line, so that what follows starts on a line of its own.
func (p *Printer) Finish() {
	if p.line {
		fmt.Fprintln(p.w)
		p.line = false
	}
}

// print writes one line; on a terminal a running part's line replaces the last one.
func (p *Printer) print(s string, final bool) {
	if !p.o.Terminal {
		fmt.Fprintln(p.w, s)
		return
	}
	fmt.Fprint(p.w, "\r\x1b[K"+s)
	p.line = !final
	if final {
		fmt.Fprintln(p.w)
	}
}

// Watch updates p from src every interval until ctx ends, then draws a last time and
// finishes the line. Run it on a goroutine of its own beside the session.
func Watch(ctx context.Context, p *Printer, src func() []actors.StepState, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			p.Update(src())
			p.Finish()
			return
		case <-t.C:
			p.Update(src())
		}
	}
}

// Start shows the progress of src (a registry's timeline) on w, usually standard
// error, until the returned stop is called: a redrawn line if w is a terminal, plain
// lines otherwise. stop draws the last state and returns once nothing more is written.
func Start(w io.Writer, src func() []actors.StepState) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	p := New(w, Options{Terminal: IsTerminal(w)})
	go func() {
		defer close(done)
		Watch(ctx, p, src, 250*time.Millisecond)
	}()
	return func() { cancel(); <-done }
}

func label(s actors.StepState) string {
	return "step " + strings.ReplaceAll(s.Steps, "-", "–") + " · " + s.Title
}

func running(s actors.StepState, bar bool) string {
	parts := []string{label(s)}
	if s.Total > 0 && !s.Bounded {
		frac := min(1, float64(s.Done)/float64(s.Total))
		pct := fmt.Sprintf("%3.0f%%", 100*frac)
		if bar {
			const w = 20
			n := int(frac * w)
			pct = "[" + strings.Repeat("#", n) + strings.Repeat("-", w-n) + "] " + pct
		}
		parts = append(parts, pct, human.Count(s.Done)+" / "+human.Count(s.Total)+unit(s))
	} else if s.Done > 0 {
		c := human.Count(s.Done) + unit(s)
		if s.Bounded && s.Total > 0 {
			c += " (limit " + human.Count(s.Total) + ")"
		}
		parts = append(parts, c)
	}
	if s.Rate > 0 {
		parts = append(parts, human.Rate(s.Rate, s.Unit))
	}
	if s.Remaining >= 0 && s.Rate > 0 {
		parts = append(parts, "~"+human.Seconds(s.Remaining)+" left")
	}
	parts = append(parts, human.Seconds(s.Seconds)+" so far")
	return strings.Join(parts, "  ")
}

func ended(s actors.StepState) string {
	if s.Status == "failed" {
		return label(s) + "  failed after " + human.Seconds(s.Seconds)
	}
	out := label(s) + "  done in " + human.Seconds(s.Seconds)
	if s.Total > 0 && !s.Bounded {
		out += "  (" + human.Count(s.Total) + unit(s) + ")"
	} else if s.Done > 0 {
		out += "  (" + human.Count(s.Done) + unit(s) + ")"
	}
	return out
}

func unit(s actors.StepState) string {
	if s.Unit == "" {
		return ""
	}
	return " " + s.Unit
}

// Row is one line of the summary table.
type Row struct {
	Steps     string   // protocol steps: "1-2", "8"
	Name      string   // what the part does
	Seconds   float64  // its wall-clock time
	BytesSent int64    // what this process sent during it (all its parties)
	Revealed  []string // names of what was learned during it, e.g. intersection_size
}

// SummaryRows makes the summary of one party's finished session from its state: each
// part of the timeline with what its disclosure log gained in the part's steps.
func SummaryRows(st actors.State) []Row {
	rows := make([]Row, 0, len(st.Steps))
	for _, s := range st.Steps {
		r := Row{Steps: s.Steps, Name: s.Title, Seconds: s.Seconds, BytesSent: s.BytesSent}
		lo, hi := stepRange(s.Steps)
		seen := map[string]bool{}
		for _, d := range st.Disclosures {
			if d.Step >= lo && d.Step <= hi && !seen[d.What] {
				seen[d.What] = true
				r.Revealed = append(r.Revealed, d.What)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// stepRange parses "5-6" or "4"; an unparsable range matches nothing.
func stepRange(s string) (lo, hi int) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := lo, error(nil)
	if ok {
		hi, err2 = strconv.Atoi(b)
	}
	if err1 != nil || err2 != nil {
		return 1, 0
	}
	return lo, hi
}

// WriteSummary writes the summary table: one line per part, then the total.
func WriteSummary(w io.Writer, rows []Row) error {
	table := [][]string{{"steps", "part", "seconds", "sent", "revealed"}}
	var secs float64
	var sent int64
	for _, r := range rows {
		rev := strings.Join(r.Revealed, ", ")
		if rev == "" {
			rev = "nothing"
		}
		table = append(table, []string{strings.ReplaceAll(r.Steps, "-", "–"), r.Name, fmt.Sprintf("%.2f", r.Seconds), human.Bytes(r.BytesSent), rev})
		secs += r.Seconds
		sent += r.BytesSent
	}
	table = append(table, []string{"", "total", fmt.Sprintf("%.2f", secs), human.Bytes(sent), ""})
	width := make([]int, 5)
	for _, row := range table {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, row := range table {
		for i, c := range row {
			gap := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case i == 2 || i == 3: // numbers to the right
				b.WriteString(gap + c + "  ")
			case i == len(row)-1:
				b.WriteString(c)
			default:
				b.WriteString(c + gap + "  ")
			}
		}
		b.WriteString("\n")
	}
	out := strings.ReplaceAll(b.String(), "  \n", "\n")
	_, err := io.WriteString(w, out)
	return err
}

// IsTerminal reports whether w is a terminal (a character device), where a line may be
// redrawn in place.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
