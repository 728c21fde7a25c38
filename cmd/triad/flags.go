package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	logging "github.com/ipfs/go-log/v2"

	"github.com/triad-mpc/triad/cmd/internal/cli"
	"github.com/triad-mpc/triad/protocol/session"
)

// settingFlags registers the session settings shared by run and demo. Each flag stands
// for the triad.toml key of the same setting (flagKeys).
func settingFlags(fs *flag.FlagSet, s *session.Settings) {
	fs.Float64Var(&s.Model.Alpha, "alpha", s.Model.Alpha, "lasso regularisation strength (scikit-learn's alpha)")
	fs.IntVar(&s.Model.MaxIter, "max-iter", s.Model.MaxIter, "maximum solver iterations")
	fs.Float64Var(&s.Model.Tol, "tol", s.Model.Tol, "scikit-learn's tol: stop when the lasso's duality gap is at most tol·‖y − ȳ‖²/n")
	fs.IntVar(&s.Model.MinRows, "min-rows", s.Model.MinRows, "minimum cohort: fit no model on fewer joined rows (and never on fewer than 10 per feature)")
	fs.IntVar(&s.Model.CV, "cv", s.Model.CV, "choose alpha by secure K-fold cross-validation with this many folds (0: use --alpha)")
	fs.IntVar(&s.Model.NAlphas, "n-alphas", s.Model.NAlphas, "with --cv: how many penalties on scikit-learn's LassoCV grid, from alpha_max down to alpha_max/1000")
	fs.Func("alphas", "with --cv: the penalties to try, comma-separated, instead of the grid", func(v string) error {
		xs, err := parseFloats(v)
		s.Model.Alphas = xs
		return err
	})
	fs.StringVar(&s.Model.CVRule, "cv-rule", s.Model.CVRule, `with --cv: "min" for the least mean validation error, "1se" for the largest alpha within one standard error of it`)
	fs.IntVar(&s.Join.PaillierBits, "bits", s.Join.PaillierBits, "Paillier modulus size: 2048 or 3072")
	fs.BoolVar(&s.Join.CaseFold, "case-fold", s.Join.CaseFold, "fold the case of identifiers before matching")
}

// flagKeys maps each setting flag to its triad.toml key.
func flagKeys() map[string]string {
	return map[string]string{
		"alpha": "model.alpha", "max-iter": "model.max_iter", "tol": "model.tol", "min-rows": "model.min_rows",
		"cv": "model.cv", "n-alphas": "model.n_alphas", "alphas": "model.alphas", "cv-rule": "model.cv_rule",
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
			return cli.Usagef(fs, "--%s %v: want %s", f, se.Value, se.Want)
		}
	}
	return err
}

// logFlags registers --log-level and --log-format; apply, called after parsing, sets
// up go-log accordingly. Without --log-level, GOLOG_LOG_LEVEL decides, and without
// that only errors are logged, and warnings about links to peers (a peer that cannot
// be reached or is lost), which an operator must see.
func logFlags(fs *flag.FlagSet) (apply func() error) {
	level := fs.String("log-level", "", "log level: debug, info, warn or error (default: $GOLOG_LOG_LEVEL, else warnings about links and errors)")
	format := fs.String("log-format", "", "log format: text or json (default: $GOLOG_LOG_FMT, else text)")
	return func() error {
		cfg := logging.GetConfig()
		switch *format {
		case "":
		case "text":
			cfg.Format = logging.PlaintextOutput
		case "json":
			cfg.Format = logging.JSONOutput
		default:
			return cli.Usagef(fs, "--log-format %q: want text or json", *format)
		}
		switch {
		case *level != "":
			l, err := logging.Parse(*level)
			if err != nil {
				return cli.Usagef(fs, "--log-level %q: want debug, info, warn or error", *level)
			}
			cfg.Level = l
			logging.SetupLogging(cfg)
		default:
			logging.SetupLogging(cfg)
			if os.Getenv("GOLOG_LOG_LEVEL") == "" {
				logging.SetLogLevel("triad/node", "warn")
			}
		}
		return nil
	}
}

// parseFloats parses comma-separated numbers.
func parseFloats(v string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(v, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, x)
	}
	return out, nil
}
