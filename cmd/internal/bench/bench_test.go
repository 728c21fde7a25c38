package bench

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/triad-mpc/triad/cmd/internal/cli"
)

// TestBenchCommands runs the in-process benchmarks at toy sizes and checks that their
// JSON reports what they measured.
func TestBenchCommands(t *testing.T) {
	for _, c := range []struct {
		name string
		run  func(context.Context, []string, io.Writer) error
		args []string
		keys []string
	}{
		{"lasso", Lasso, []string{"--rows", "400", "--features", "3", "--json"}, []string{"iterations", "rounds"}},
		{"lasso conditioned", Lasso, []string{"--rows", "300", "--features", "4", "--condition", "1e4", "--json"}, []string{"iterations", "bytes_per_iteration"}},
		{"paillier", Paillier, []string{"--bits", "2048", "--ops", "8"}, []string{"encrypt_per_s", "decrypt_per_s", "randomness_per_s"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out strings.Builder
			if err := c.run(context.Background(), c.args, &out); err != nil {
				t.Fatal(err)
			}
			var rep map[string]any
			if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
				t.Fatalf("%v in %q", err, out.String())
			}
			for _, k := range c.keys {
				if v, ok := rep[k].(float64); !ok || v <= 0 {
					t.Errorf("%s = %v in %s", k, rep[k], out.String())
				}
			}
		})
	}
}

func TestBenchCommandLines(t *testing.T) {
	for _, c := range []struct {
		run  func(context.Context, []string, io.Writer) error
		args []string
		want string
	}{
		{Paillier, []string{"--ops", "0"}, "--ops and --rows must be positive"},
		{Paillier, []string{"--rows", "-1"}, "--ops and --rows must be positive"},
		{Lasso, []string{"--rows", "1"}, "need --rows ≥ 2"},
		{Lasso, []string{"--condition", "0.5"}, "--condition ≥ 1"},
	} {
		var ue *cli.UsageError
		if err := c.run(context.Background(), c.args, io.Discard); !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want a usage error containing %q", c.args, err, c.want)
		}
	}
}
