package cli

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	fs := NewFlags("frob", "--n N", "frobnicate the widgets")
	n := fs.Int("n", 1, "how many")
	var out strings.Builder
	if err := Parse(fs, []string{"--n", "3"}, &out); err != nil || *n != 3 || out.Len() != 0 {
		t.Fatalf("err %v, n %d, output %q", err, *n, out.String())
	}
	if err := Parse(fs, []string{"--help"}, &out); !errors.Is(err, ErrHelpShown) {
		t.Fatalf("--help: err = %v", err)
	}
	if got := out.String(); !strings.HasPrefix(got, "usage: triad frob --n N\n\nFrobnicate the widgets.\n\nflags:\n") || !strings.Contains(got, "how many") {
		t.Fatalf("help %q", got)
	}
	var ue *UsageError
	for args, want := range map[string]string{"--m": "flag provided but not defined: -m", "x": `unexpected argument "x"`} {
		out.Reset()
		err := Parse(NewFlags("frob", "", "frobnicate"), []string{args}, &out)
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "usage: triad frob") || out.Len() != 0 {
			t.Errorf("%s: err = %v, output %q", args, err, out.String())
		}
	}
	if err := Usagef(fs, "frob: %d is too many", 7); !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "frob: 7 is too many\nusage:") {
		t.Fatalf("Usagef: %v", err)
	}
}
