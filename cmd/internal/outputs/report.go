package outputs

import (
	"bytes"
	"fmt"
	"path/filepath"
	"time"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/cmd/internal/report"
	"github.com/triad-mpc/triad/protocol"
)

// writeReport writes report.html beside result.json: the model, the session's
// timeline, what step 1 dropped, the settings and each party's disclosure log.
func writeReport(dir string, res *Result, logs []*protocol.Disclosure) error {
	r := &report.Report{
		Generated: time.Now(), Parties: res.Parties, Outcome: res.Outcome, Features: res.Features,
		Intercept: res.Intercept, R2: res.R2, Alpha: res.Alpha, Iterations: res.Iterations, Converged: res.Converged,
		IntersectionSize: res.IntersectionSize, TotalSeconds: res.TotalSeconds,
	}
	if c := res.CV; c != nil {
		rule := "least mean validation error"
		if c.Rule == "1se" {
			rule = "largest α within one standard error of the least mean validation error"
		}
		r.CV = &report.CV{Folds: c.Folds, Alphas: c.Alphas, MeanMSE: c.MSEMean, StdErr: c.MSEStdError, Chosen: res.Alpha, Rule: rule}
	}
	for _, f := range res.Features {
		r.Coefficients = append(r.Coefficients, res.Coefficients[f])
	}
	for _, role := range []string{"controller-a", "controller-b"} {
		if n, ok := res.RowsDropped[role]; ok {
			if len(res.DroppedByColumn[role]) == 0 {
				r.Dropped = append(r.Dropped, report.Dropped{Controller: role, Rows: n})
			}
			for _, d := range res.DroppedByColumn[role] {
				if d.Missing > 0 {
					r.Dropped = append(r.Dropped, report.Dropped{Controller: role, Column: d.Column, Rows: d.Missing, Reason: "missing"})
				}
				if d.Unparseable > 0 {
					r.Dropped = append(r.Dropped, report.Dropped{Controller: role, Column: d.Column, Rows: d.Unparseable, Reason: "not a number"})
				}
			}
		}
	}
	for _, s := range res.Stages {
		r.Steps = append(r.Steps, report.Step{Steps: s.ProtocolSteps, Name: actors.StageTitle(s.Name), Start: s.StartSeconds,
			Seconds: s.EndSeconds - s.StartSeconds, BytesSent: s.BytesSent})
	}
	st := res.Settings
	r.Params = []report.Param{
		{Name: "alpha", Value: alphaSetting(st)}, {Name: "tolerance (scikit-learn's tol)", Value: fmt.Sprint(st.Tol)},
		{Name: "maximum iterations", Value: fmt.Sprint(st.MaxIter)}, {Name: "minimum cohort", Value: fmt.Sprintf("%d rows (and 10 per feature)", st.MinRows)},
		{Name: "Paillier modulus", Value: fmt.Sprintf("%d bits", st.PaillierBits)},
		{Name: "fixed point", Value: fmt.Sprintf("%d fractional bits", st.FracBits)},
		{Name: "statistical masking κ", Value: fmt.Sprintf("%d bits", st.Kappa)},
		{Name: "case folding of identifiers", Value: fmt.Sprint(st.CaseFold)},
	}
	for _, l := range logs {
		pl := report.PartyLog{}
		for _, e := range l.Entries() {
			pl.Party = e.Party
			pl.Entries = append(pl.Entries, report.Entry{Time: e.Time, Step: e.Step, From: e.From, What: e.What, Value: e.Value})
		}
		if pl.Party != "" {
			r.Disclosures = append(r.Disclosures, pl)
		}
	}
	var b bytes.Buffer
	if err := report.Write(&b, r); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, "report.html"), b.Bytes())
}

// alphaSetting says how α was set: given, or chosen by cross-validation.
func alphaSetting(st Settings) string {
	if st.CV == 0 {
		return fmt.Sprint(st.Alpha)
	}
	grid := fmt.Sprintf("%d values on scikit-learn's LassoCV grid", st.NAlphas)
	if len(st.Alphas) > 0 {
		grid = fmt.Sprint(st.Alphas)
	}
	return fmt.Sprintf("chosen by %d-fold cross-validation (rule %q) from %s", st.CV, st.CVRule, grid)
}
