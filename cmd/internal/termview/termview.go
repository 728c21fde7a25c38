// Package termview shows a node's debug console in a terminal, for a server with no
// browser: it reads the console's JSON state and draws the same timeline, peers,
// disclosure log, actors and errors as text, redrawn in place on a terminal (ANSI) or
// as plain blocks of lines when the output is a file or a pipe.
package termview

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/actors/console"
	"github.com/triad-mpc/triad/cmd/internal/human"
)

// Fetch reads the console's state at addr (host:port, or the address the node printed,
// http://host:port/?token=…), sending token, or else the one in addr, if any.
func Fetch(ctx context.Context, c *http.Client, addr, token string) (console.State, error) {
	var st console.State
	u, inURL, err := stateURL(addr)
	if err != nil {
		return st, err
	}
	if token == "" {
		token = inURL
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return st, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return st, fmt.Errorf("console at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return st, fmt.Errorf("console at %s: %s: %s", addr, resp.Status, strings.TrimSpace(string(msg)))
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("console at %s: %w", addr, err)
	}
	return st, nil
}

// stateURL returns the state's URL at addr and the token addr carries, if any.
func stateURL(addr string) (string, string, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("console address %q: want host:port", addr)
	}
	token := u.Query().Get("token")
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/state"
	u.RawQuery, u.Fragment = "", ""
	return u.String(), token, nil
}

// Options choose how the state is drawn.
type Options struct {
	ANSI  bool // colours, and redrawing the screen in place
	Width int  // of the terminal; 0 means 100
}

const (
	reset = "\x1b[0m"
	bold  = "\x1b[1m"
	dim   = "\x1b[2m"
	red   = "\x1b[31m"
	green = "\x1b[32m"
	blue  = "\x1b[34m"
)

// Render writes one picture of st.
func Render(w io.Writer, st console.State, o Options) error {
	if o.Width <= 0 {
		o.Width = 100
	}
	p := &printer{w: w, o: o}
	if o.ANSI {
		p.raw("\x1b[H\x1b[2J") // home, clear
	}
	p.line(p.style(bold, "Triad console") + p.style(dim, " · "+st.Time.Local().Format("15:04:05")))
	for _, ps := range st.Parties {
		for _, e := range ps.Errors {
			p.line(p.style(red+bold, "ERROR ") + p.style(red, fmt.Sprintf("%s · %s: %s", ps.Role, e.Source, e.Message)))
		}
	}
	for _, ps := range st.Parties {
		p.party(ps)
	}
	return p.err
}

// Run draws the state at addr every interval until ctx ends; with once, it draws it
// once and returns. A console that does not answer is reported and tried again.
func Run(ctx context.Context, w io.Writer, addr, token string, interval time.Duration, once bool, o Options) error {
	c := &http.Client{Timeout: 10 * time.Second}
	t := time.NewTicker(interval)
	defer t.Stop()
	var last string
	for {
		st, err := Fetch(ctx, c, addr, token)
		switch {
		case err != nil && (once || ctx.Err() != nil):
			return err
		case err != nil:
			fmt.Fprintf(w, "%s: %v (trying again)\n", time.Now().Format("15:04:05"), err)
		default:
			var b strings.Builder
			if err := Render(&b, st, o); err != nil {
				return err
			}
			// Plain output is a log: a picture only when something changed.
			if o.ANSI || changed(&last, st) {
				if !o.ANSI && last != "" {
					fmt.Fprintln(w)
				}
				if _, err := io.WriteString(w, b.String()); err != nil {
					return err
				}
			}
		}
		if once {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// changed reports whether st differs from the last one drawn (its time aside).
func changed(last *string, st console.State) bool {
	b, _ := json.Marshal(st.Parties)
	if string(b) == *last {
		return false
	}
	*last = string(b)
	return true
}

type printer struct {
	w   io.Writer
	o   Options
	err error
}

func (p *printer) raw(s string) {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, s)
	}
}

func (p *printer) line(s string) { p.raw(s + "\n") }

func (p *printer) style(code, s string) string {
	if !p.o.ANSI || s == "" {
		return s
	}
	return code + s + reset
}

func (p *printer) status(s string) string {
	switch s {
	case "done":
		return p.style(green, s)
	case "running":
		return p.style(blue, s)
	case "failed":
		return p.style(red, s)
	}
	return p.style(dim, s)
}

func (p *printer) party(ps console.PartyState) {
	s := ps.Session
	head := []string{fmt.Sprintf("%d of %d parts done", s.Done, s.Total)}
	if s.Current != "" {
		head = append(head, "now: "+s.Current)
	}
	if !s.Started.IsZero() {
		head = append(head, human.Seconds(s.Seconds)+" elapsed")
	}
	p.line("")
	p.line(p.style(bold, ps.Role) + "  " + p.status(s.Status) + "  " + p.style(dim, strings.Join(head, " · ")))

	steps := table{heads: []string{"STEPS", "PART", "STATE", "PROGRESS", "COUNT", "RATE", "LEFT", "TIME", "SENT"}, right: map[int]bool{4: true, 5: true, 6: true, 7: true, 8: true}}
	for _, st := range ps.Steps {
		rate, left, took := human.Dash, human.Dash, human.Dash
		if st.Status == "running" {
			rate = human.Rate(st.Rate, st.Unit)
			if st.Remaining >= 0 {
				left = "~" + human.Seconds(st.Remaining)
			}
		}
		if !st.Started.IsZero() {
			took = human.Seconds(st.Seconds)
		}
		steps.add(strings.ReplaceAll(st.Steps, "-", "–"), st.Title, p.status(st.Status), p.bar(st), count(st), rate, left, took, human.Bytes(st.BytesSent))
	}
	p.section("Timeline", steps, "the session has not started")

	peers := table{heads: []string{"PEER", "PEER ID", "ADDRESS", "CONNECTED", "RTT", "SENT", "RECEIVED"}, right: map[int]bool{4: true, 5: true, 6: true}}
	for _, x := range ps.Peers {
		conn := p.style(red, "no")
		if x.Connected {
			conn = p.style(green, "yes")
		}
		if x.State != "" {
			conn += " · " + x.State
		}
		rtt := human.Dash
		if x.RTTMillis > 0 {
			rtt = fmt.Sprintf("%.2f ms", x.RTTMillis)
		}
		peers.add(x.Role, orDash(shortID(x.PeerID)), orDash(x.Address), conn, rtt, human.Bytes(x.BytesSent), human.Bytes(x.BytesRecv))
	}
	p.section("Peers", peers, "no link statistics")

	const lastN = 8
	disc := table{heads: []string{"TIME", "STEP", "FROM", "WHAT", "VALUE"}, right: map[int]bool{1: true}}
	from := max(0, len(ps.Disclosures)-lastN)
	for _, d := range ps.Disclosures[from:] {
		disc.add(d.Time.Local().Format("15:04:05"), fmt.Sprint(d.Step), d.From, d.What, d.Value)
	}
	title := "Disclosure log"
	if from > 0 {
		title = fmt.Sprintf("Disclosure log (last %d of %d)", lastN, len(ps.Disclosures))
	}
	p.section(title, disc, "nothing learned yet")

	acts := table{heads: []string{"ACTOR", "KIND", "STATE", "MAILBOX", "HANDLED", "RESTARTS", "LAST EVENT"}, right: map[int]bool{3: true, 4: true, 5: true}}
	for _, a := range ps.Actors {
		acts.add(a.Path, a.Kind, p.status(a.Status), human.Count(a.Mailbox), human.Count(a.Handled), human.Count(a.Restarts), orDash(a.LastEvent))
	}
	p.section("Actors", acts, "no actors yet")
}

func (p *printer) section(title string, t table, empty string) {
	p.line(p.style(bold, "  "+title))
	if len(t.rows) == 0 {
		p.line(p.style(dim, "    "+empty))
		return
	}
	for _, l := range t.lines(p.o.Width, p.style) {
		p.line("    " + l)
	}
}

// barWidth is the width of a progress bar in characters, brackets aside.
const barWidth = 20

func (p *printer) bar(st actors.StepState) string {
	frac, label := 0.0, ""
	switch st.Status {
	case "done":
		frac, label = 1, "100%"
	case "running":
		if st.Total > 0 && !st.Bounded {
			frac = min(1, float64(st.Done)/float64(st.Total))
			label = fmt.Sprintf("%3.0f%%", 100*frac)
		} else {
			label = "…"
		}
	case "failed":
		label = "failed"
	}
	n := int(frac * barWidth)
	fill, rest := strings.Repeat("#", n), strings.Repeat("-", barWidth-n)
	if p.o.ANSI {
		fill, rest = strings.Repeat("█", n), strings.Repeat("░", barWidth-n)
		code := blue
		if st.Status == "done" {
			code = green
		}
		fill = p.style(code, fill)
		rest = p.style(dim, rest)
	}
	return "[" + fill + rest + "] " + fmt.Sprintf("%-4s", label)
}

func count(st actors.StepState) string {
	unit := ""
	if st.Unit != "" {
		unit = " " + st.Unit
	}
	switch {
	case st.Status == "waiting":
		return human.Dash
	case st.Total <= 0 && st.Done <= 0:
		return human.Dash
	case st.Total <= 0:
		return human.Count(st.Done) + unit
	case st.Bounded:
		return human.Count(st.Done) + unit + " (limit " + human.Count(st.Total) + ")"
	}
	return human.Count(st.Done) + " / " + human.Count(st.Total) + unit
}

func shortID(id string) string {
	if utf8.RuneCountInString(id) > 20 {
		return id[:8] + "…" + id[len(id)-6:]
	}
	return id
}

func orDash(s string) string {
	if s == "" {
		return human.Dash
	}
	return s
}

// table lays out rows in columns. Cells may hold ANSI codes: widths count what shows.
type table struct {
	heads []string
	right map[int]bool
	rows  [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) lines(width int, style func(string, string) string) []string {
	w := make([]int, len(t.heads))
	for i, h := range t.heads {
		w[i] = visible(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			w[i] = max(w[i], visible(c))
		}
	}
	// The last column takes what is left of the width, and is cut to it.
	used := 4
	for _, x := range w[:len(w)-1] {
		used += x + 2
	}
	lastW := max(12, width-used)
	pad := func(cells []string) string {
		var b strings.Builder
		for i, c := range cells {
			if i == len(cells)-1 {
				if visible(c) > lastW {
					c = cut(c, lastW)
				}
				b.WriteString(c)
				break
			}
			gap := strings.Repeat(" ", w[i]-visible(c))
			if t.right[i] {
				b.WriteString(gap + c)
			} else {
				b.WriteString(c + gap)
			}
			b.WriteString("  ")
		}
		return strings.TrimRight(b.String(), " ")
	}
	out := []string{style(dim, pad(t.heads))}
	for _, r := range t.rows {
		out = append(out, pad(r))
	}
	return out
}

// visible is the width of s on screen: its runes, less ANSI escape sequences.
func visible(s string) int {
	n, esc := 0, false
	for _, r := range s {
		switch {
		case esc:
			esc = r != 'm'
		case r == '\x1b':
			esc = true
		default:
			n++
		}
	}
	return n
}

// cut shortens s (without escape sequences) to n characters, ending in "…".
func cut(s string, n int) string {
	if strings.Contains(s, "\x1b") {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
