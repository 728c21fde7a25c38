package main

import (
	"errors"
	"flag"

	"github.com/triad-mpc/triad/protocol/session"
)

// settingFlags registers the session settings shared by run and demo. Each flag stands
// for the triad.toml key of the same setting (flagKeys).
func settingFlags(fs *flag.FlagSet, s *session.Settings) {
	fs.Float64Var(&s.Model.Alpha, "alpha", s.Model.Alpha, "lasso regularisation strength (scikit-learn's alpha)")
	fs.IntVar(&s.Model.MaxIter, "max-iter", s.Model.MaxIter, "maximum solver iterations")
	fs.Float64Var(&s.Model.Tol, "tol", s.Model.Tol, "convergence tolerance: stop when a step moves the standardised coefficients by less than this")
	fs.IntVar(&s.Model.MinRows, "min-rows", s.Model.MinRows, "minimum cohort: fit no model on fewer joined rows (and never on fewer than 10 per feature)")
	fs.IntVar(&s.Join.PaillierBits, "bits", s.Join.PaillierBits, "Paillier modulus size: 2048 or 3072")
	fs.BoolVar(&s.Join.CaseFold, "case-fold", s.Join.CaseFold, "fold the case of identifiers before matching")
}

// flagKeys maps each setting flag to its triad.toml key.
func flagKeys() map[string]string {
	return map[string]string{
		"alpha": "model.alpha", "max-iter": "model.max_iter", "tol": "model.tol", "min-rows": "model.min_rows",
		"bits": "crypto.paillier_bits", "case-fold": "data.case_fold",
	}
}

// checkSettings validates settings that came from the flags of fs, naming the flag of
// a bad value.
func checkSettings(fs *flag.FlagSet, s session.Settings) error {
	err := s.Validate()
	var se *session.SettingError
	if !errors.As(err, &se) {
		return err
	}
	for f, key := range flagKeys() {
		if key == se.Key {
			return usagef(fs, "--%s %v: want %s", f, se.Value, se.Want)
		}
	}
	return err
}
