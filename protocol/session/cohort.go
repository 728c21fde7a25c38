package session

import (
	"context"
	"fmt"
)

// CohortError reports that the intersection is smaller than the minimum cohort, so
// step 8 does not run: a model over a handful of people singles them out. Every party
// applies the rule by itself, on the intersection size all three have learned.
type CohortError struct {
	Rows     int // the intersection size
	Features int
	MinRows  int // the min_rows setting
}

// Need returns the minimum cohort: MinRows, and never fewer than MinRowsPerFeature
// rows per feature.
func (e *CohortError) Need() int { return cohort(e.MinRows, e.Features) }

func (e *CohortError) Error() string {
	return fmt.Sprintf("minimum cohort not met: %d people in the intersection, at least %d needed "+
		"(model.min_rows = %d, and at least %d rows per feature for %d features); "+
		"step 8 did not run and nothing but the intersection size was revealed",
		e.Rows, e.Need(), e.MinRows, MinRowsPerFeature, e.Features)
}

func cohort(minRows, features int) int { return max(minRows, MinRowsPerFeature*features) }

// checkCohort stops the session after step 4 when the intersection is below the
// minimum cohort.
func (s *Session) checkCohort(context.Context) error {
	rows, features := s.party.IntersectionSize(), len(s.schema.Columns)-1
	if rows < cohort(s.settings.Model.MinRows, features) {
		return &CohortError{Rows: rows, Features: features, MinRows: s.settings.Model.MinRows}
	}
	return nil
}
