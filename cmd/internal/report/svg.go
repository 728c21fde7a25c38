package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// Chart colours, chosen to stay apart when printed in grey.
const (
	ink      = "#1b2330"
	muted    = "#5d6878"
	grid     = "#e3e7ee"
	positive = "#2f5fd0"
	negative = "#c2410c"
	band     = "#c9d7f5"
	chosen   = "#1f8a4c"
)

// svg collects the elements of one chart. Every text it holds goes through text().
type svg struct {
	b    strings.Builder
	w, h float64
}

func (s *svg) add(format string, args ...any) {
	fmt.Fprintf(&s.b, format, args...)
	s.b.WriteByte('\n')
}

// text draws an escaped label.
func (s *svg) text(x, y float64, anchor, class, label string) {
	s.add(`<text x="%.1f" y="%.1f" text-anchor="%s" class="%s">%s</text>`, x, y, anchor, class, html.EscapeString(label))
}

func (s *svg) done(title, desc string) template.HTML {
	var out strings.Builder
	fmt.Fprintf(&out, `<svg viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-labelledby="t d" class="chart">`, s.w, s.h)
	fmt.Fprintf(&out, "\n<title>%s</title><desc>%s</desc>\n", html.EscapeString(title), html.EscapeString(desc))
	out.WriteString(s.b.String())
	out.WriteString("</svg>")
	return template.HTML(out.String()) // every piece of text in it was escaped
}

// labelWidth estimates the width of a label in the charts' 12 px font.
func labelWidth(s string) float64 { return 6.8 * float64(utf8.RuneCountInString(s)) }

// cutLabel shortens a label to n characters.
func cutLabel(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// coefChart draws one horizontal bar per feature from a zero line; a coefficient that
// is exactly zero (the lasso dropped the feature) gets a hollow marker and "0".
func coefChart(features []string, coef []float64) template.HTML {
	const row, barH, top, width = 24.0, 14.0, 26.0, 720.0
	left := 12.0
	for _, f := range features {
		left = max(left, labelWidth(cutLabel(f, 30))+16)
	}
	plotL, plotR := left+56, width-70 // room for value labels beside the bars
	lo, hi := 0.0, 0.0
	for _, c := range coef {
		if finite(c) {
			lo, hi = min(lo, c), max(hi, c)
		}
	}
	if lo == hi {
		lo, hi = -1, 1
	}
	ticks := niceTicks(lo, hi, 5)
	lo, hi = min(lo, ticks[0]), max(hi, ticks[len(ticks)-1])
	x := func(v float64) float64 { return plotL + (v-lo)/(hi-lo)*(plotR-plotL) }
	s := &svg{w: width, h: top + row*float64(len(features)) + 30}
	x0 := x(0)
	for _, t := range ticks {
		s.add(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, x(t), top-6, x(t), s.h-24, grid)
		s.text(x(t), s.h-8, "middle", "tick", formatTick(t, ticks))
	}
	for i, f := range features {
		c := coef[i]
		yMid := top + row*float64(i) + row/2
		s.text(left-10, yMid+4, "end", "label", cutLabel(f, 30))
		switch {
		case !finite(c):
			s.text(x0+6, yMid+4, "start", "value", "not a number")
		case c == 0:
			s.add(`<circle cx="%.1f" cy="%.1f" r="4.5" fill="#fff" stroke="%s" stroke-width="1.6" class="zero"/>`, x0, yMid, muted)
			s.text(x0+10, yMid+4, "start", "value zero", "0 (dropped)")
		default:
			a, b := x0, x(c)
			fill, anchor, tx := positive, "start", b+5
			if c < 0 {
				a, b = b, a
				fill, anchor, tx = negative, "end", a-5
			}
			s.add(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="2" fill="%s" class="bar"/>`, a, yMid-barH/2, max(b-a, 1), barH, fill)
			s.text(tx, yMid+4, anchor, "value", fmt.Sprintf("%.4g", c))
		}
	}
	s.add(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2"/>`, x0, top-8, x0, s.h-24, ink)
	return s.done("Coefficients", fmt.Sprintf("One bar per feature, %d features; zero marked where the lasso dropped a feature.", len(features)))
}

// cvChart draws the mean validation error against α on a log axis, with a band of one
// standard error either side and the chosen α marked.
func cvChart(cv *CV) (template.HTML, error) {
	n := len(cv.Alphas)
	if len(cv.MeanMSE) != n || (cv.StdErr != nil && len(cv.StdErr) != n) {
		return "", fmt.Errorf("report: cross-validation has %d alphas, %d errors and %d standard errors", n, len(cv.MeanMSE), len(cv.StdErr))
	}
	type pt struct{ a, m, se float64 }
	var pts []pt
	for i, a := range cv.Alphas {
		p := pt{a: a, m: cv.MeanMSE[i]}
		if cv.StdErr != nil {
			p.se = cv.StdErr[i]
		}
		if a > 0 && finite(p.m, p.se) {
			pts = append(pts, p)
		}
	}
	if len(pts) == 0 {
		return "", fmt.Errorf("report: cross-validation has no positive α with a finite error")
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].a < pts[j].a })
	const width, height, l, r, t, b = 720.0, 330.0, 70.0, 24.0, 18.0, 48.0
	la, ha := math.Log10(pts[0].a), math.Log10(pts[len(pts)-1].a)
	if cv.Chosen > 0 {
		la, ha = min(la, math.Log10(cv.Chosen)), max(ha, math.Log10(cv.Chosen))
	}
	if ha-la < 1e-9 {
		la, ha = la-0.5, ha+0.5
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		lo, hi = min(lo, p.m-p.se), max(hi, p.m+p.se)
	}
	if hi-lo < 1e-12*max(1, math.Abs(hi)) {
		lo, hi = lo-1, hi+1
	}
	yt := niceTicks(lo, hi, 5)
	lo, hi = min(lo, yt[0]), max(hi, yt[len(yt)-1])
	x := func(a float64) float64 { return l + (math.Log10(a)-la)/(ha-la)*(width-l-r) }
	y := func(v float64) float64 { return t + (hi-v)/(hi-lo)*(height-t-b) }
	s := &svg{w: width, h: height}
	for _, v := range yt {
		s.add(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, l, y(v), width-r, y(v), grid)
		s.text(l-8, y(v)+4, "end", "tick", formatTick(v, yt))
	}
	for _, d := range decades(la, ha) {
		a := math.Pow(10, d)
		s.add(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, x(a), t, x(a), height-b, grid)
		s.text(x(a), height-b+18, "middle", "tick", fmt.Sprintf("%.3g", a))
	}
	s.text((l+width-r)/2, height-8, "middle", "axis", "α (regularisation strength, log scale)")
	s.add(`<text x="16" y="%.1f" text-anchor="middle" class="axis" transform="rotate(-90 16 %.1f)">mean validation MSE</text>`, (t+height-b)/2, (t+height-b)/2)
	if cv.StdErr != nil {
		var up, down []string
		for _, p := range pts {
			up = append(up, fmt.Sprintf("%.1f,%.1f", x(p.a), y(p.m+p.se)))
			down = append([]string{fmt.Sprintf("%.1f,%.1f", x(p.a), y(p.m-p.se))}, down...)
		}
		s.add(`<polygon points="%s" fill="%s" opacity="0.7" class="band"/>`, strings.Join(append(up, down...), " "), band)
		for _, p := range pts {
			s.add(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`, x(p.a), y(p.m+p.se), x(p.a), y(p.m-p.se), positive)
		}
	}
	var line []string
	for _, p := range pts {
		line = append(line, fmt.Sprintf("%.1f,%.1f", x(p.a), y(p.m)))
	}
	s.add(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2" class="curve"/>`, strings.Join(line, " "), positive)
	for _, p := range pts {
		s.add(`<circle cx="%.1f" cy="%.1f" r="2.6" fill="%s" class="point"/>`, x(p.a), y(p.m), positive)
	}
	if cv.Chosen > 0 {
		cx := x(cv.Chosen)
		s.add(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.6" stroke-dasharray="5 4" class="chosen"/>`, cx, t, cx, height-b, chosen)
		anchor, tx := "start", cx+6
		if cx > width-200 {
			anchor, tx = "end", cx-6
		}
		s.text(tx, t+14, anchor, "chosen-label", fmt.Sprintf("chosen α = %.4g", cv.Chosen))
	}
	return s.done("Cross-validation", fmt.Sprintf("Mean validation MSE over %d folds against α, with one standard error either side; the chosen α is marked.", cv.Folds)), nil
}

// timeChart draws each part of the session as a bar over the span it ran.
func timeChart(steps []Step, total float64) template.HTML {
	const row, barH, top, width = 24.0, 14.0, 8.0, 720.0
	labels := make([]string, len(steps))
	left := 12.0
	end := total
	for i, st := range steps {
		labels[i] = cutLabel(st.Name+" ("+stepsLabel(st.Steps)+")", 40)
		left = max(left, labelWidth(labels[i])+16)
		if finite(st.Start, st.Seconds) {
			end = max(end, st.Start+st.Seconds)
		}
	}
	if end <= 0 {
		end = 1
	}
	plotL, plotR := left, width-64
	x := func(v float64) float64 { return plotL + v/end*(plotR-plotL) }
	s := &svg{w: width, h: top + row*float64(len(steps)) + 32}
	ticks := niceTicks(0, end, 6)
	for _, t := range ticks {
		if t > end*1.0001 {
			continue
		}
		s.add(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, x(t), top, x(t), s.h-26, grid)
		s.text(x(t), s.h-10, "middle", "tick", formatTick(t, ticks)+" s")
	}
	for i, st := range steps {
		yMid := top + row*float64(i) + row/2
		s.text(left-10, yMid+4, "end", "label", labels[i])
		if !finite(st.Start, st.Seconds) {
			continue
		}
		a, w := x(max(0, st.Start)), max(st.Seconds/end*(plotR-plotL), 1.5)
		s.add(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="2" fill="%s" class="span"/>`, a, yMid-barH/2, w, barH, positive)
		s.text(a+w+5, yMid+4, "start", "value", fmt.Sprintf("%.2f s", st.Seconds))
	}
	return s.done("Where the time went", fmt.Sprintf("Each of the %d parts of the session as a bar over the time it ran.", len(steps)))
}

// niceTicks returns about n round values (1, 2 or 5 times a power of ten apart) that
// cover [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || !finite(lo, hi) {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	// Round each tick to the step's decimals, so 0.6 is not 0.6000000000000001.
	scale := math.Pow(10, max(0, math.Ceil(-math.Log10(step))+1))
	var out []float64
	for k := math.Floor(lo / step); k*step <= hi+step*1e-9; k++ {
		v := math.Round(k*step*scale) / scale
		if v == 0 {
			v = 0 // not -0
		}
		out = append(out, v)
		if len(out) > 4*n {
			break
		}
	}
	if out[len(out)-1] < hi-step*1e-9 {
		out = append(out, out[len(out)-1]+step)
	}
	return out
}

// formatTick writes a tick with as many decimals as its neighbours need.
func formatTick(v float64, ticks []float64) string {
	if len(ticks) < 2 {
		return fmt.Sprintf("%.3g", v)
	}
	step := math.Abs(ticks[1] - ticks[0])
	d := max(0, int(math.Ceil(-math.Log10(step)+1e-9)))
	if step*math.Pow(10, float64(d)) != math.Round(step*math.Pow(10, float64(d))) {
		d++
	}
	if math.Abs(v) >= 1e6 || (v != 0 && math.Abs(v) < 1e-4) {
		return fmt.Sprintf("%.2g", v)
	}
	return fmt.Sprintf("%.*f", d, v)
}

// decades lists the integer powers of ten within [lo, hi] (log10 values), or the two
// ends when the range holds none.
func decades(lo, hi float64) []float64 {
	var out []float64
	for d := math.Ceil(lo - 1e-9); d <= hi+1e-9; d++ {
		out = append(out, d)
	}
	if len(out) < 2 {
		out = []float64{lo, hi}
	}
	return out
}
