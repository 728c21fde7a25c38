package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/session"
)

// result is the content of result.json.
type result struct {
	IntersectionSize int                           `json:"intersection_size"`
	RowsDropped      map[string]int                `json:"rows_dropped"`
	DroppedByColumn  map[string][]join.ColumnDrops `json:"rows_dropped_by_column"` // columns whose cells made step 1 drop a row
	Steps            []stepResult                  `json:"steps"`
	BytesSent        map[string]int64              `json:"bytes_sent"`
	TotalSeconds     float64                       `json:"total_seconds"` // wall time of the session
	Alpha            float64                       `json:"alpha"`
	Iterations       int                           `json:"iterations"`
	Intercept        float64                       `json:"intercept"`
	Coefficients     map[string]float64            `json:"coefficients"`
	Features         []string                      `json:"features"`
	Outcome          string                        `json:"outcome"`
	R2               float64                       `json:"r2"`
	Step8            *step8Result                  `json:"step8,omitempty"`
}

// stepResult is one stage: its wall time (the slowest party) and what each party sent.
type stepResult struct {
	Name      string           `json:"name"`
	Steps     string           `json:"steps"`
	Seconds   float64          `json:"seconds"`
	BytesSent map[string]int64 `json:"bytes_sent"`
}

type step8Result struct {
	Rounds       int              `json:"rounds"`
	BytesSent    map[string]int64 `json:"bytes_sent"`
	StatsSeconds float64          `json:"stats_seconds"`
	SolveSeconds float64          `json:"solve_seconds"`
}

// buildResult merges the outcomes of the parties this process ran (one for a site, three
// for an embedded run). tables are the controllers' tables read here, as step 1 left
// them.
func buildResult(outs []*session.Outcome, tables map[protocol.Role]*join.Table, p session.Settings) *result {
	r := &result{RowsDropped: map[string]int{}, DroppedByColumn: map[string][]join.ColumnDrops{},
		BytesSent: map[string]int64{}, Alpha: p.Model.Alpha}
	for role, t := range tables {
		r.RowsDropped[role.String()] = t.Dropped()
		r.DroppedByColumn[role.String()] = droppedColumns(t)
	}
	for _, o := range outs {
		r.IntersectionSize = o.IntersectionSize
		r.Outcome = o.Schema.Outcome
		for _, s := range o.Stages {
			r.Steps = mergeStep(r.Steps, stepResult{Name: s.Name, Steps: s.Steps, Seconds: s.Seconds(),
				BytesSent: map[string]int64{o.Role.String(): s.BytesSent}})
			r.BytesSent[o.Role.String()] += s.BytesSent
		}
		if m := o.Model; m != nil {
			if r.Step8 == nil {
				r.Step8 = &step8Result{BytesSent: map[string]int64{}}
			}
			r.Iterations, r.Intercept, r.R2 = m.Iterations, m.Intercept, m.R2
			r.Coefficients = map[string]float64{}
			r.Features = nil
			for i, name := range featureNames(o.Schema) {
				r.Coefficients[name] = m.Coefficients[i]
				r.Features = append(r.Features, name)
			}
			r.Step8.Rounds = m.Rounds
			r.Step8.BytesSent[o.Role.String()] = m.BytesSent
			r.Step8.StatsSeconds = max(r.Step8.StatsSeconds, m.StatsSeconds)
			r.Step8.SolveSeconds = max(r.Step8.SolveSeconds, m.SolveSeconds)
			r.BytesSent[o.Role.String()] += m.BytesSent
		}
	}
	return r
}

// droppedColumns lists the columns of t with a cell that made step 1 drop a row.
func droppedColumns(t *join.Table) []join.ColumnDrops {
	out := []join.ColumnDrops{}
	for _, d := range t.Drops {
		if d.Missing+d.Unparseable > 0 {
			out = append(out, d)
		}
	}
	return out
}

// mergeStep adds one party's view of a stage to steps: the stage's time is the slowest
// party's, and each party's bytes are kept apart.
func mergeStep(steps []stepResult, s stepResult) []stepResult {
	for i := range steps {
		if steps[i].Name == s.Name {
			steps[i].Seconds = max(steps[i].Seconds, s.Seconds)
			for k, v := range s.BytesSent {
				steps[i].BytesSent[k] = v
			}
			return steps
		}
	}
	bytes := make(map[string]int64, 3)
	for k, v := range s.BytesSent {
		bytes[k] = v
	}
	s.BytesSent = bytes
	return append(steps, s)
}

// featureNames lists the regression's features: every column but the outcome.
func featureNames(s join.Schema) []string {
	var out []string
	for _, c := range s.Columns {
		if c != s.Outcome {
			out = append(out, c)
		}
	}
	return out
}

// outputs lists the files a session writes besides the disclosure logs.
func outputs() []string { return []string{"result.json"} }

// prepareOut makes the output folder, readable by its owner only, and removes the
// outputs of an earlier session from it, so that a failed session never leaves a stale
// result beside its own disclosure logs.
func prepareOut(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, name := range outputs() {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the previous session's %s: %w", name, err)
		}
	}
	return nil
}

// failedIn says where a failed session's disclosure logs are.
func failedIn(err error, dir string) error {
	return fmt.Errorf("%w\n(no result written; this session's disclosure logs are in %s)", err, dir)
}

// writeFileAtomic writes data to path through a temporary file in the same folder, so a
// reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
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
	if err := writeFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
