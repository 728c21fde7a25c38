package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/actors/console"
	"github.com/triad-mpc/triad/cmd/internal/cli"
	"github.com/triad-mpc/triad/cmd/internal/site"
	"github.com/triad-mpc/triad/protocol/session"
)

func TestHelpGoesToStdout(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"--help"}, {"-h"},
		{"help", "run"}, {"run", "--help"}, {"node", "-h"}, {"help", "node"}, {"demo", "--help"},
		{"init", "--help"}, {"id", "--help"}, {"version", "--help"}, {"bench", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out strings.Builder
			if err := dispatch(context.Background(), args, &out); err != nil {
				t.Fatalf("err = %v, want none", err)
			}
			if !strings.HasPrefix(out.String(), "usage: triad") {
				t.Fatalf("stdout %q, want the usage", out.String())
			}
		})
	}
	var out strings.Builder
	if err := dispatch(context.Background(), []string{"help", "node"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "one session") || !strings.Contains(out.String(), "then exit") {
		t.Fatalf("triad help node does not say it runs one session and exits: %q", out.String())
	}
}

func TestEveryCommandSaysWhatItDoes(t *testing.T) {
	for name, c := range commands() {
		if c.summary == "" || strings.Contains(c.summary, "\n") {
			t.Errorf("%s: summary %q, want one line", name, c.summary)
		}
	}
}

func TestBadCommandLines(t *testing.T) {
	run := []string{"run", "--controller-a", "a.csv", "--controller-b", "b.csv", "--id", "id", "--outcome", "y"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run", "--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{[]string{"run"}, "--controller-a, --controller-b, --id and --outcome are required"},
		{append(run, "--alpha", "NaN"), "--alpha NaN: want a finite number ≥ 0"},
		{append(run, "--alpha", "-1"), "--alpha -1: want a finite number ≥ 0"},
		{append(run, "--tol", "NaN"), "--tol NaN: want a finite number > 0"},
		{append(run, "--tol", "0"), "--tol 0: want a finite number > 0"},
		{append(run, "--max-iter", "0"), "--max-iter 0: want at least 1"},
		{append(run, "--min-rows", "0"), "--min-rows 0: want at least 1"},
		{append(run, "--bits", "1024"), "--bits 1024: want 2048 or 3072"},
		{append(run, "extra"), `unexpected argument "extra"`},
		{append(run, "--log-level", "loud"), `--log-level "loud": want debug, info, warn or error`},
		{[]string{"demo", "--log-format", "xml"}, `--log-format "xml": want text or json`},
		{[]string{"init", "--role", "third-party", "--dir", "x", "--transport", "udp"}, `--transport "udp": want tcp or quic`},
		{[]string{"demo", "--bits", "1024"}, "--bits 1024: want 2048 or 3072"},
		{[]string{"demo", "--rows", "3"}, "want --rows ≥ 10"},
		{[]string{"node"}, "--config is required"},
		{[]string{"init", "--role", "controller-a"}, "--role and --dir are required"},
		{[]string{"id"}, "--config is required"},
		{[]string{"bench"}, "say what to measure"},
		{[]string{"bench", "nothing"}, `unknown benchmark "nothing"`},
		{[]string{"version", "now"}, `unexpected argument "now"`},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var out strings.Builder
			err := dispatch(context.Background(), c.args, &out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
			if exitCode(err) != 2 {
				t.Fatalf("exit code %d, want 2 for a command line that cannot run", exitCode(err))
			}
			if !strings.Contains(err.Error(), "usage: triad") {
				t.Fatalf("the error does not show the usage: %v", err)
			}
			if out.Len() != 0 {
				t.Fatalf("a bad command line wrote to stdout: %q", out.String())
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{&cli.UsageError{Msg: "bad"}, 2},
		{fmt.Errorf("session: %w", &session.CohortError{Rows: 5, Features: 3, MinRows: 100}), 3},
	} {
		if got := exitCode(c.err); got != c.code {
			t.Errorf("exitCode(%v) = %d, want %d", c.err, got, c.code)
		}
	}
}

func TestVersion(t *testing.T) {
	var out strings.Builder
	if err := dispatch(context.Background(), []string{"version"}, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "triad "+version+"\n" {
		t.Fatalf("version printed %q", out.String())
	}
}

func TestCrossValidationFlags(t *testing.T) {
	run := []string{"run", "--controller-a", "a.csv", "--controller-b", "b.csv", "--id", "id", "--outcome", "y"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append(run, "--cv", "1"), "--cv 1: want 0 (no cross-validation) or a number of folds from 2 to 50"},
		{append(run, "--cv", "5", "--cv-rule", "max"), `--cv-rule max: want "min" or "1se"`},
		{append(run, "--cv", "5", "--alphas", "0.1,x"), `invalid value "0.1,x" for flag -alphas`},
		{append(run, "--cv", "5", "--alphas", "0.1,-2"), "--alphas 0.1,-2: want penalties that are finite numbers > 0"},
		{append(run, "--n-alphas", "0"), "--n-alphas 0: want a number of penalties from 1 to 1000"},
	} {
		err := dispatch(context.Background(), c.args, new(strings.Builder))
		if err == nil || !strings.Contains(err.Error(), c.want) || exitCode(err) != 2 {
			t.Errorf("%v: err = %v, want one containing %q", c.args[9:], err, c.want)
		}
	}
}

// TestDemoAndConsole runs the demo with its console and reads the console once from
// the terminal view while the demo's session is over: the view names the parties and
// their steps.
func TestDemoAndConsole(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	addr := fmt.Sprintf("127.0.0.1:%d", port(t))
	if err := dispatch(context.Background(), []string{"demo", "--rows", "300", "--out", dir, "--console", addr}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"synthetic data:", "coefficient", "secure (MPC)", "plaintext fit on"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("the demo's output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err != nil {
		t.Fatal(err)
	}
	// The console closed with the demo: the terminal view says it cannot reach it.
	err := dispatch(context.Background(), []string{"console", addr, "--once"}, new(strings.Builder))
	if err == nil {
		t.Fatal("triad console reached a console that is gone")
	}
	for _, args := range [][]string{{"console"}, {"console", addr, "--every", "0s"}} {
		if err := dispatch(context.Background(), args, new(strings.Builder)); exitCode(err) != 2 {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

func TestConsoleView(t *testing.T) {
	reg := actors.NewRegistry()
	reg.PlanSteps(actors.StepPlan{Name: "handshake", Steps: "0"})
	var started strings.Builder
	stop, err := site.StartConsole("127.0.0.1:0", &started, console.Party{Role: "third-party", Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	addr := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(started.String()), "debug console: http://"), "/")
	var out strings.Builder
	if err := dispatch(context.Background(), []string{"console", addr, "--once"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "third-party") || !strings.Contains(out.String(), "Settings check") {
		t.Fatalf("triad console printed:\n%s", out.String())
	}
}
