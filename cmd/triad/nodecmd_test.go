package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/triad-mpc/triad/cmd/internal/outputs"
	"github.com/triad-mpc/triad/cmd/internal/synth"
	"github.com/triad-mpc/triad/protocol"
)

// port returns a TCP port on loopback that nothing listens on now.
func port(t *testing.T) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNodeCommand runs one session as three `triad node` commands in this process, each
// from the configuration `triad init` wrote and the address `triad id` printed, with a
// console on one of them, and checks that the three results agree.
func TestNodeCommand(t *testing.T) {
	dir := t.TempDir()
	fileA, fileB, err := synth.Write(dir, synth.Spec{Rows: 200, Overlap: 0.9, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	var sites [3]string
	var addrs [3]string
	for _, r := range protocol.Roles() {
		sites[r] = filepath.Join(dir, r.String())
		listen := fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port(t))
		if err := dispatch(context.Background(), []string{"init", "--role", r.String(), "--dir", sites[r], "--listen", listen}, new(strings.Builder)); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		if err := dispatch(context.Background(), []string{"id", "--config", filepath.Join(sites[r], "triad.toml")}, &out); err != nil {
			t.Fatal(err)
		}
		addrs[r] = strings.TrimSpace(out.String())
	}
	data := map[protocol.Role][2]string{protocol.ControllerA: {fileA, "hospital_days"}, protocol.ControllerB: {fileB, ""}}
	for _, r := range protocol.Roles() {
		path := filepath.Join(sites[r], "triad.toml")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg := string(b)
		if d, ok := data[r]; ok {
			cfg = regexp.MustCompile(`(?m)^file = .*$`).ReplaceAllString(cfg, fmt.Sprintf("file = %q", d[0]))
			cfg = regexp.MustCompile(`(?m)^id_column = .*$`).ReplaceAllString(cfg, `id_column = "patient_id"`)
			cfg = regexp.MustCompile(`(?m)^outcome = .*$`).ReplaceAllString(cfg, fmt.Sprintf("outcome = %q", d[1]))
		}
		cfg = regexp.MustCompile(`(?m)^min_rows = .*$`).ReplaceAllString(cfg, "min_rows = 150")
		for _, o := range r.Others() {
			cfg += fmt.Sprintf("%s = %q\n", o, addrs[o])
		}
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var outs [3]strings.Builder
	var errs [3]error
	var wg sync.WaitGroup
	for _, r := range protocol.Roles() {
		wg.Go(func() {
			args := []string{"node", "--config", filepath.Join(sites[r], "triad.toml")}
			if r == protocol.ThirdParty {
				args = append(args, "--console", fmt.Sprintf("127.0.0.1:%d", port(t)))
			}
			errs[r] = dispatch(ctx, args, &outs[r])
		})
	}
	wg.Wait()
	var coef [3]map[string]float64
	for _, r := range protocol.Roles() {
		if errs[r] != nil {
			t.Fatalf("%s: %v\n%s", r, errs[r], outs[r].String())
		}
		b, err := os.ReadFile(filepath.Join(sites[r], "out", "result.json"))
		if err != nil {
			t.Fatal(err)
		}
		var res outputs.Result
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Parties) != 1 || res.Parties[0] != r.String() || !res.Converged || len(res.Coefficients) == 0 {
			t.Fatalf("%s's result: %+v", r, res)
		}
		coef[r] = res.Coefficients
		if _, err := os.Stat(filepath.Join(sites[r], "out", "report.html")); err != nil {
			t.Fatalf("%s wrote no report: %v", r, err)
		}
	}
	for name, v := range coef[0] {
		if coef[1][name] != v || coef[2][name] != v {
			t.Fatalf("coefficient %s: %v, %v, %v at the three sites", name, v, coef[1][name], coef[2][name])
		}
	}
	if !strings.Contains(outs[protocol.ThirdParty].String(), "debug console: http://127.0.0.1:") {
		t.Fatalf("the third party did not say where its console is:\n%s", outs[protocol.ThirdParty].String())
	}
}
