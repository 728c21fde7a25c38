// Package outputs writes what a session leaves in its output folder: result.json (the
// Result), report.html and each party's disclosure log, and prints the same for the
// operator. A folder never holds a stale result beside a new session's logs.
package outputs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/session"
)

// Result is the content of result.json; README documents every field.
type Result struct {
	Parties          []string                      `json:"parties"` // whose view this is: one role, or all three for an embedded run
	IntersectionSize int                           `json:"intersection_size"`
	RowsDropped      map[string]int                `json:"rows_dropped"`
	DroppedByColumn  map[string][]join.ColumnDrops `json:"rows_dropped_by_column"` // columns whose cells made step 1 drop a row
	Stages           []Stage                       `json:"stages"`
	BytesSent        map[string]int64              `json:"bytes_sent"`    // by party, over the whole session
	TotalSeconds     float64                       `json:"total_seconds"` // wall time of the session
	Settings         Settings                      `json:"settings"`

	// The model, when step 8 ran.
	Outcome      string             `json:"outcome"`
	Features     []string           `json:"features"`
	Alpha        float64            `json:"alpha"`
	Iterations   int                `json:"iterations"`
	Converged    bool               `json:"converged"`
	Gap          float64            `json:"gap"` // the last duality gap bound, relative to ||y - ȳ||²/n
	Intercept    float64            `json:"intercept"`
	Coefficients map[string]float64 `json:"coefficients"` // by feature, in the data's units
	R2           float64            `json:"r2"`           // in-sample: on the joined rows the model was fitted on
	CV           *CV                `json:"cv,omitempty"` // the cross-validation that chose alpha, if one did
}

// CV is what cross-validation opened: the grid, the mean validation error and its
// standard error per alpha, and the alphas the two rules choose.
type CV struct {
	Folds       int       `json:"folds"`
	Alphas      []float64 `json:"alphas"` // largest first
	MSEMean     []float64 `json:"mse_mean"`
	MSEStdError []float64 `json:"mse_std_error"`
	AlphaMin    float64   `json:"alpha_min"`
	Alpha1SE    float64   `json:"alpha_1se"`
	Rule        string    `json:"rule"` // which of the two is alpha: "min" or "1se"
}

// Stage is one stage as a wall-clock span from the session's start (the
// earliest of the parties run here) and what each party sent during it.
type Stage struct {
	Name          string           `json:"name"`
	ProtocolSteps string           `json:"protocol_steps"`
	StartSeconds  float64          `json:"start_seconds"`
	EndSeconds    float64          `json:"end_seconds"`
	BytesSent     map[string]int64 `json:"bytes_sent"`
	Rounds        int              `json:"rounds,omitempty"` // communication rounds (step 8)
}

// Settings is what the session agreed on.
type Settings struct {
	PaillierBits int       `json:"paillier_bits"`
	FracBits     int       `json:"frac_bits"`
	Kappa        int       `json:"kappa"`
	CaseFold     bool      `json:"case_fold"`
	Alpha        float64   `json:"alpha"`
	MaxIter      int       `json:"max_iter"`
	Tol          float64   `json:"tol"`
	MinRows      int       `json:"min_rows"`
	CV           int       `json:"cv"`
	NAlphas      int       `json:"n_alphas"`
	Alphas       []float64 `json:"alphas"`
	CVRule       string    `json:"cv_rule"`
}

// Build merges the outcomes of the parties this process ran (one for a site, three
// for an embedded run). tables are the controllers' tables read here, as step 1 left
// them.
func Build(outs []*session.Outcome, tables map[protocol.Role]*join.Table, p session.Settings) *Result {
	r := &Result{RowsDropped: map[string]int{}, DroppedByColumn: map[string][]join.ColumnDrops{},
		BytesSent: map[string]int64{}, Alpha: p.Model.Alpha,
		Settings: Settings{PaillierBits: p.Join.PaillierBits, FracBits: p.Join.Fixed.Frac, Kappa: p.Join.Kappa,
			CaseFold: p.Join.CaseFold, Alpha: p.Model.Alpha, MaxIter: p.Model.MaxIter, Tol: p.Model.Tol, MinRows: p.Model.MinRows,
			CV: p.Model.CV, NAlphas: p.Model.NAlphas, Alphas: p.Model.Alphas, CVRule: p.Model.CVRule}}
	for role, t := range tables {
		r.RowsDropped[role.String()] = t.Dropped()
		r.DroppedByColumn[role.String()] = DroppedColumns(t)
	}
	var start time.Time
	for _, o := range outs {
		if start.IsZero() || o.Started.Before(start) {
			start = o.Started
		}
	}
	var end time.Time
	for _, o := range outs {
		role := o.Role.String()
		r.Parties = append(r.Parties, role)
		r.IntersectionSize = o.IntersectionSize
		r.Outcome = o.Schema.Outcome
		for _, s := range o.Stages {
			r.Stages = mergeStage(r.Stages, s, role, start)
			r.BytesSent[role] += s.BytesSent
			if s.End.After(end) {
				end = s.End
			}
		}
		if c := o.CV; c != nil {
			r.Alpha = c.Alpha
			r.CV = &CV{Folds: c.Folds, Alphas: c.Alphas, MSEMean: c.MSEMean, MSEStdError: c.MSEStdError,
				AlphaMin: c.AlphaMin, Alpha1SE: c.Alpha1SE, Rule: c.Rule}
		}
		if m := o.Model; m != nil {
			r.Iterations, r.Intercept, r.R2 = m.Iterations, m.Intercept, m.R2
			r.Converged, r.Gap = m.Converged, m.Gap
			r.Coefficients = map[string]float64{}
			r.Features = o.Schema.Features()
			for i, name := range r.Features {
				r.Coefficients[name] = m.Coefficients[i]
			}
		}
	}
	if !end.IsZero() {
		r.TotalSeconds = end.Sub(start).Seconds()
	}
	return r
}

// mergeStage adds one party's report of a stage to stages: the span covers every
// party's, and each party's bytes are kept apart.
func mergeStage(stages []Stage, s session.StageReport, role string, start time.Time) []Stage {
	from, to := s.Start.Sub(start).Seconds(), s.End.Sub(start).Seconds()
	for i := range stages {
		if stages[i].Name == s.Name {
			stages[i].StartSeconds = min(stages[i].StartSeconds, from)
			stages[i].EndSeconds = max(stages[i].EndSeconds, to)
			stages[i].BytesSent[role] = s.BytesSent
			stages[i].Rounds = max(stages[i].Rounds, s.Rounds)
			return stages
		}
	}
	return append(stages, Stage{Name: s.Name, ProtocolSteps: s.Steps, StartSeconds: from, EndSeconds: to,
		BytesSent: map[string]int64{role: s.BytesSent}, Rounds: s.Rounds})
}

// DroppedColumns lists the columns of t with a cell that made step 1 drop a row.
func DroppedColumns(t *join.Table) []join.ColumnDrops {
	out := []join.ColumnDrops{}
	for _, d := range t.Drops {
		if d.Missing+d.Unparseable > 0 {
			out = append(out, d)
		}
	}
	return out
}

// files lists the files a session writes besides the disclosure logs.
func files() []string { return []string{"result.json", "report.html"} }

// PrepareDir makes the output folder, readable by its owner only, and removes the
// outputs of an earlier session from it, so that a failed session never leaves a stale
// result beside its own disclosure logs.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, name := range files() {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the previous session's %s: %w", name, err)
		}
	}
	return nil
}

// Failed says where a failed session's disclosure logs are.
func Failed(err error, dir string) error {
	return fmt.Errorf("%w\n(no Result written; this session's disclosure logs are in %s)", err, dir)
}

// WriteFileAtomic writes data to path through a temporary file in the same folder, so a
// reader never sees half a file.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
