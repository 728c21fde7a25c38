package main

import (
	"context"
	"io"
	"os"

	"github.com/triad-mpc/triad/cmd/internal/cli"
	"github.com/triad-mpc/triad/cmd/internal/embedded"
	"github.com/triad-mpc/triad/cmd/internal/outputs"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/session"
)

func runRun(ctx context.Context, args []string, stdout io.Writer) error {
	fs := cmdFlags("run")
	a := fs.String("controller-a", "", "controller A's CSV file (the hospital)")
	b := fs.String("controller-b", "", "controller B's CSV file (the insurer)")
	id := fs.String("id", "", "identifier column, present in both files")
	outcome := fs.String("outcome", "", "column to predict, present in one of the files")
	sep := fs.String("sep", "auto", `field separator of both files: one character, "tab", or "auto" to detect it`)
	decimal := fs.String("decimal", "auto", `decimal mark of numbers in both files: "." or ",", or "auto" to detect it`)
	out := fs.String("out", "triad-out", "folder for result.json and the disclosure logs")
	consoleAddr := fs.String("console", "", "serve the debug console on this host:port (e.g. 127.0.0.1:7070)")
	p := session.Default()
	settingFlags(fs, &p)
	setLogs := logFlags(fs)
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	if err := setLogs(); err != nil {
		return err
	}
	if *a == "" || *b == "" || *id == "" || *outcome == "" {
		return cli.Usagef(fs, "run: --controller-a, --controller-b, --id and --outcome are required")
	}
	if err := checkSettings(fs, p); err != nil {
		return err
	}
	dialect, err := join.ParseDialect(*sep, *decimal)
	if err != nil {
		return cli.Usagef(fs, "run: %v", err)
	}
	res, err := embedded.Run(ctx, embedded.Spec{FileA: *a, FileB: *b, ID: *id, Outcome: *outcome, Dialect: dialect, Out: *out, Settings: p,
		Console: *consoleAddr, Stdout: stdout, Stderr: os.Stderr})
	if err != nil {
		return err
	}
	return outputs.PrintSummary(stdout, res, *out)
}
