package outputs

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
)

// PrintTable says what step 1 made of a controller's file.
func PrintTable(w io.Writer, r protocol.Role, t *join.Table) {
	fmt.Fprintf(w, "%s: %s: %d rows read, %d kept, %d dropped (%s)\n", r, t.Source, t.Read, len(t.Rows), t.Dropped(), t.Dialect)
	for _, d := range DroppedColumns(t) {
		fmt.Fprintf(w, "  column %q: %d missing, %d not a number\n", d.Column, d.Missing, d.Unparseable)
	}
}

// DisclosureLog is a party's disclosure log on disk, written as the session goes.
type DisclosureLog struct {
	f   *os.File
	Log *protocol.Disclosure
}

// OpenDisclosure creates (or empties) dir/disclosure-<role>.jsonl, readable by its
// owner only.
func OpenDisclosure(dir string, r protocol.Role) (*DisclosureLog, error) {
	path := filepath.Join(dir, "disclosure-"+r.String()+".jsonl")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	return &DisclosureLog{f: f, Log: protocol.NewDisclosure(r, f)}, nil
}

// Close closes the file.
func (d *DisclosureLog) Close() error { return d.f.Close() }

// Write writes result.json, then report.html, into dir.
func Write(dir string, res *Result, logs []*DisclosureLog) error {
	if err := writeJSON(filepath.Join(dir, "result.json"), res); err != nil {
		return err
	}
	var ds []*protocol.Disclosure
	for _, l := range logs {
		ds = append(ds, l.Log)
	}
	return writeReport(dir, res, ds)
}

// PrintSummary prints the model and where the files are.
func PrintSummary(w io.Writer, r *Result, out string) error {
	fmt.Fprintf(w, "intersection: %d rows", r.IntersectionSize)
	for _, role := range []string{"controller-a", "controller-b"} {
		if n, ok := r.RowsDropped[role]; ok {
			fmt.Fprintf(w, "; %s dropped %d rows in step 1", role, n)
		}
	}
	fmt.Fprintln(w)
	if r.Coefficients != nil {
		conv := "converged"
		if !r.Converged {
			conv = fmt.Sprintf("did NOT converge within max_iter = %d (--max-iter)", r.Settings.MaxIter)
		}
		if c := r.CV; c != nil {
			fmt.Fprintf(w, "%d-fold cross-validation over %d alphas: least mean validation error at alpha %g, within one standard error up to %g; rule %q\n",
				c.Folds, len(c.Alphas), c.AlphaMin, c.Alpha1SE, c.Rule)
		}
		fmt.Fprintf(w, "lasso (alpha %g): %d iterations, %s; R² %.6f (in-sample), intercept %.6g\n", r.Alpha, r.Iterations, conv, r.R2, r.Intercept)
		for _, f := range r.Features {
			fmt.Fprintf(w, "  %-24s %14.6g\n", f, r.Coefficients[f])
		}
	}
	fmt.Fprintf(w, "total %.1fs; results in %s and %s\n", r.TotalSeconds, filepath.Join(out, "result.json"), filepath.Join(out, "report.html"))
	return nil
}
