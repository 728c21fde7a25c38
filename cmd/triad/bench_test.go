package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchCommands runs the in-process benchmarks at toy sizes and checks that their
// JSON reports what they measured.
func TestBenchCommands(t *testing.T) {
	for _, c := range []struct {
		args []string
		keys []string
	}{
		{[]string{"bench", "lasso", "--rows", "400", "--features", "3", "--json"}, []string{"iterations", "rounds"}},
		{[]string{"bench", "paillier", "--bits", "2048", "--ops", "8"}, []string{"encrypt_per_s", "decrypt_per_s", "randomness_per_s"}},
	} {
		t.Run(strings.Join(c.args[:2], " "), func(t *testing.T) {
			var out strings.Builder
			if err := dispatch(context.Background(), c.args, &out); err != nil {
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
