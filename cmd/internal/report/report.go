// Package report writes report.html: one self-contained page about a finished session
// that an analyst can hand to a colleague or a data protection officer. It shows the
// fitted model (coefficients as a bar chart), the cross-validation curve when there is
// one, where the time went, the intersection and the rows dropped, the parameters, and
// each party's disclosure log. Charts are SVG drawn here; the page loads nothing (no
// script, font or style sheet from elsewhere) and prints on A4.
//
// The page shows what Report holds and nothing else, every string HTML-escaped: fill
// it with results and disclosures only, never with data values or identifiers.
package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"time"

	"github.com/triad-mpc/triad/cmd/internal/human"
)

// Report is everything report.html shows.
type Report struct {
	// Title heads the page; empty means "Triad session report".
	Title string
	// Generated is when the report was made (shown in UTC); zero means now.
	Generated time.Time
	// Parties lists whose results these are: one role for a site, all three for an
	// embedded run (triad run, triad demo).
	Parties []string

	// Outcome is the column the model predicts.
	Outcome string
	// Features are the model's features in the protocol's order; Coefficients holds
	// one coefficient per feature, in the same order. Both empty if step 8 did not
	// run (a join-only session, or a cohort below the minimum).
	Features     []string
	Coefficients []float64
	// Intercept of the fitted model.
	Intercept float64
	// R2 is the coefficient of determination on the rows the model was fitted on
	// (in-sample).
	R2 float64
	// Alpha is the regularisation strength of the final fit (the chosen one with
	// cross-validation).
	Alpha float64
	// Iterations the solver ran, and whether it met its tolerance before its limit.
	Iterations int
	Converged  bool
	// CV is the cross-validation path; nil when α was given, not chosen.
	CV *CV

	// IntersectionSize is the number of rows both controllers hold (step 4).
	IntersectionSize int
	// Dropped lists the rows step 1 removed, per controller and column.
	Dropped []Dropped

	// Steps are the session's parts as wall-clock spans, in order.
	Steps []Step
	// TotalSeconds is the session's wall time.
	TotalSeconds float64

	// Params are the session's settings, in the order to show them (alpha,
	// tolerance, Paillier modulus size, fixed-point bits, …).
	Params []Param

	// Disclosures holds each party's disclosure log, exactly as recorded.
	Disclosures []PartyLog
}

// CV is a cross-validation path: for each α, the mean validation error over the folds
// and its standard error.
type CV struct {
	Folds   int
	Alphas  []float64 // the grid, any order
	MeanMSE []float64 // mean validation mean-squared error per α
	StdErr  []float64 // its standard error per α (may be nil)
	Chosen  float64   // the α chosen
	Rule    string    // how it was chosen, e.g. "minimum mean error"; may be empty
}

// Dropped counts rows removed at one controller because of one column. Column is
// empty when the controller's count is not split by column.
type Dropped struct {
	Controller string
	Column     string
	Rows       int
	Reason     string // e.g. "missing or unparsable"; may be empty
}

// Step is one part of the session as a wall-clock span.
type Step struct {
	Steps string  // protocol steps it covers: "1-2", "8"
	Name  string  // what it does: "Paillier encryption"
	Start float64 // seconds from the session's start
	// Seconds is the span's length (the slowest party's, for several parties).
	Seconds float64
	// BytesSent is what each party sent during it, by role.
	BytesSent map[string]int64
}

// Param is one setting of the session.
type Param struct {
	Name, Value string
}

// PartyLog is one party's disclosure log.
type PartyLog struct {
	Party   string
	Entries []Entry
}

// Entry is one value a party learned.
type Entry struct {
	Time  time.Time
	Step  int
	From  string
	What  string
	Value any // shown as JSON, in full
}

//go:embed report.html.tmpl
var pageText string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":   func(v float64) string { return fmt.Sprintf("%.6g", v) },
	"fixed": func(v float64, d int) string { return fmt.Sprintf("%.*f", d, v) },
	"count": func(n int) string { return human.Count(int64(n)) },
	"secs":  human.Seconds,
	"bytes": human.Bytes,
	"utc":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"clock": func(t time.Time) string { return t.UTC().Format("15:04:05.000") },
	"steps": stepsLabel,
	"json":  jsonValue,
}).Parse(pageText))

// view is what the template reads: the report and its charts.
type view struct {
	*Report
	CoefChart template.HTML
	CVChart   template.HTML
	TimeChart template.HTML
	Coefs     []coefRow
	Zeros     int
	Roles     []string // parties that sent bytes, for the timing table
}

type coefRow struct {
	Feature string
	Value   float64
	Zero    bool
}

// Write writes the report as one HTML page.
func Write(w io.Writer, rep *Report) error {
	r := *rep // filled in below, not in the caller's copy
	if len(r.Features) != len(r.Coefficients) {
		return fmt.Errorf("report: %d features but %d coefficients", len(r.Features), len(r.Coefficients))
	}
	if r.Title == "" {
		r.Title = "Triad session report"
	}
	if r.Generated.IsZero() {
		r.Generated = time.Now()
	}
	v := view{Report: &r}
	for i, f := range r.Features {
		z := r.Coefficients[i] == 0
		if z {
			v.Zeros++
		}
		v.Coefs = append(v.Coefs, coefRow{Feature: f, Value: r.Coefficients[i], Zero: z})
	}
	if len(r.Features) > 0 {
		v.CoefChart = coefChart(r.Features, r.Coefficients)
	}
	if r.CV != nil && len(r.CV.Alphas) > 0 {
		c, err := cvChart(r.CV)
		if err != nil {
			return err
		}
		v.CVChart = c
	}
	if len(r.Steps) > 0 {
		v.TimeChart = timeChart(r.Steps, r.TotalSeconds)
	}
	seen := map[string]bool{}
	for _, s := range r.Steps {
		for role := range s.BytesSent {
			seen[role] = true
		}
	}
	for _, role := range []string{"controller-a", "controller-b", "third-party"} {
		if seen[role] {
			v.Roles = append(v.Roles, role)
		}
	}
	var b bytes.Buffer
	if err := page.Execute(&b, v); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func stepsLabel(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r == '-' {
			out[i] = '–'
		}
	}
	return string(out)
}

// jsonValue renders a disclosed value as JSON (the template escapes it).
func jsonValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// finite reports whether every value is a finite number.
func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
