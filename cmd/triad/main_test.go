package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

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
		{&usageError{"bad"}, 2},
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
