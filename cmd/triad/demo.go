package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/triad-mpc/triad/cmd/internal/cli"
	"github.com/triad-mpc/triad/cmd/internal/embedded"
	"github.com/triad-mpc/triad/cmd/internal/outputs"
	"github.com/triad-mpc/triad/cmd/internal/synth"
	"github.com/triad-mpc/triad/protocol/lasso/lassotest"
	"github.com/triad-mpc/triad/protocol/session"
)

func runDemo(ctx context.Context, args []string, stdout io.Writer) error {
	fs := cmdFlags("demo")
	rows := fs.Int("rows", 2000, "patients per controller")
	overlap := fs.Float64("overlap", 0.7, "share of the hospital's patients the insurer also has")
	out := fs.String("out", "triad-out", "folder for the synthetic CSVs, result.json and the disclosure logs")
	seed := fs.Uint64("seed", 1, "seed of the synthetic data (not of any cryptographic randomness)")
	dataOnly := fs.Bool("data-only", false, "write the synthetic CSV files and stop")
	consoleAddr := fs.String("console", "", "serve the debug console on this host:port (e.g. 127.0.0.1:7070)")
	p := session.Default()
	p.Model.Alpha = 0.05
	settingFlags(fs, &p)
	setLogs := logFlags(fs)
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	if err := setLogs(); err != nil {
		return err
	}
	if err := checkSettings(fs, p); err != nil {
		return err
	}
	if *rows < 10 || *overlap <= 0 || *overlap > 1 {
		return cli.Usagef(fs, "demo: want --rows ≥ 10 and 0 < --overlap ≤ 1")
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	fileA, fileB, err := synth.Write(*out, synth.Spec{Rows: *rows, Overlap: *overlap, Missing: 0.01, Seed: *seed})
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	fmt.Fprintf(stdout, "synthetic data: %s (hospital), %s (insurer), %d patients each, %.0f%% overlap\n", fileA, fileB, *rows, 100**overlap)
	if *dataOnly {
		return nil
	}
	e := embedded.Spec{FileA: fileA, FileB: fileB, ID: "patient_id", Outcome: "hospital_days", Out: *out, Settings: p,
		Console: *consoleAddr, Stdout: stdout, Stderr: os.Stderr}
	res, err := embedded.Run(ctx, e)
	if err != nil {
		return err
	}
	if err := outputs.PrintSummary(stdout, res, *out); err != nil {
		return err
	}
	// The demo holds both files, so it can show the plaintext fit that no real site could.
	X, y, names, err := embedded.PlaintextJoin(e)
	if err != nil {
		return err
	}
	refB0, refCoef, refR2 := lassotest.Reference(X, y, p.Model.Alpha)
	fmt.Fprintf(stdout, "\n%-22s %14s %14s %10s\n", "coefficient", "secure (MPC)", "plaintext", "|diff|")
	row := func(name string, s, q float64) {
		fmt.Fprintf(stdout, "%-22s %14.6f %14.6f %10.1e\n", name, s, q, math.Abs(s-q))
	}
	row("(intercept)", res.Intercept, refB0)
	for i, n := range names {
		row(n, res.Coefficients[n], refCoef[i])
	}
	row("R²", res.R2, refR2)
	fmt.Fprintf(stdout, "plaintext fit on %d joined rows, computed here only because the demo holds both files\n", len(y))
	return nil
}
