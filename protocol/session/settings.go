package session

import (
	"fmt"
	"math"
	"strconv"

	"github.com/triad-mpc/triad/protocol/join"
)

// Settings are what all three parties of a session must agree on: the join's and the
// model's. Validate is their one check, used by the flags, triad.toml and library
// callers alike; the handshake compares them key by key.
type Settings struct {
	Join  join.Params
	Model Model
}

// Model holds the settings of step 8.
type Model struct {
	Alpha   float64 // lasso penalty α ≥ 0, scikit-learn's alpha
	MaxIter int     // iteration limit
	Tol     float64 // convergence tolerance of the solver
	// MinRows is the minimum cohort: below it (or below MinRowsPerFeature rows per
	// feature) step 8 does not run and only the intersection size is revealed.
	MinRows int
}

// MinRowsPerFeature is the floor of the minimum cohort that no setting lowers: a model
// over fewer rows per feature than this singles people out.
const MinRowsPerFeature = 10

// Default returns the settings Triad uses unless a site configures others.
func Default() Settings {
	return Settings{
		Join:  join.DefaultParams(),
		Model: Model{Alpha: 0.1, MaxIter: 5000, Tol: 1e-8, MinRows: 100},
	}
}

// SettingError reports a setting whose value is invalid. Key is the name the setting
// has in triad.toml ("model.alpha"); callers map it to a flag or a line of the file.
type SettingError struct {
	Key   string
	Value any
	Want  string
}

func (e *SettingError) Error() string {
	return fmt.Sprintf("%s = %v: want %s", e.Key, e.Value, e.Want)
}

// setting is one agreed setting: its key, its canonical text for the handshake and its
// check. Every setting of a session is in the list settings returns, once.
type setting struct {
	key   string
	value string
	valid bool
	show  any    // the value as an error shows it
	want  string // what a valid value is
}

func (s Settings) settings(o options) []setting {
	j, m := s.Join, s.Model
	bitsOK := j.PaillierBits == 2048 || j.PaillierBits == 3072
	bitsWant := "2048 or 3072"
	if o.testKeys {
		bitsOK = bitsOK || j.PaillierBits == testKeyBits
		bitsWant = "2048, 3072 or, in tests, 1024"
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	return []setting{
		{"crypto.paillier_bits", itoa(j.PaillierBits), bitsOK, j.PaillierBits, bitsWant},
		{"crypto.frac_bits", itoa(j.Fixed.Frac), j.Fixed.Validate() == nil, j.Fixed.Frac, "a fixed-point layout that fits (see fixedpoint.Params)"},
		{"crypto.value_bits", itoa(j.Fixed.Bits), j.Fixed.Validate() == nil, j.Fixed.Bits, "a fixed-point layout that fits (see fixedpoint.Params)"},
		{"crypto.kappa", itoa(j.Kappa), j.Kappa >= 40, j.Kappa, "at least 40 bits of statistical masking"},
		{"model.alpha", ftoa(m.Alpha), finite(m.Alpha) && m.Alpha >= 0, m.Alpha, "a finite number ≥ 0"},
		{"model.max_iter", itoa(m.MaxIter), m.MaxIter >= 1, m.MaxIter, "at least 1"},
		{"model.tol", ftoa(m.Tol), finite(m.Tol) && m.Tol > 0, m.Tol, "a finite number > 0"},
		{"model.min_rows", itoa(m.MinRows), m.MinRows >= 1, m.MinRows, "at least 1"},
	}
}

// controllerSettings are agreed between the controllers only: the third party hashes
// no identifiers.
func (s Settings) controllerSettings() []setting {
	return []setting{{key: "data.case_fold", value: strconv.FormatBool(s.Join.CaseFold), valid: true}}
}

// Validate checks every setting and returns a *SettingError for the first invalid one.
func (s Settings) Validate(opts ...Option) error {
	o := newOptions(opts)
	for _, st := range s.settings(o) {
		if !st.valid {
			return &SettingError{Key: st.key, Value: st.show, Want: st.want}
		}
	}
	return nil
}

func itoa(i int) string     { return strconv.Itoa(i) }
func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
