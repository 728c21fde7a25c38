package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/triad-mpc/triad/cmd/internal/cli"
	"github.com/triad-mpc/triad/cmd/internal/outputs"
	"github.com/triad-mpc/triad/cmd/internal/synth"
	"github.com/triad-mpc/triad/crypto/paillier"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
)

// benchJoinReport is what "triad bench join --json" prints.
type benchJoinReport struct {
	RowsA            int                    `json:"rows_a"`
	RowsB            int                    `json:"rows_b"`
	FeaturesA        int                    `json:"features_a"`
	FeaturesB        int                    `json:"features_b"`
	Overlap          float64                `json:"overlap"`
	PaillierBits     int                    `json:"paillier_bits"`
	IntersectionSize int                    `json:"intersection_size"`
	TotalSeconds     float64                `json:"total_seconds"`
	Stages           []benchStage           `json:"stages"`
	PeakRSSBytes     map[string]int64       `json:"peak_rss_bytes"`
	CPUSeconds       map[string]float64     `json:"cpu_seconds"`
	Paillier         map[string]paillierOps `json:"paillier_ops"`
}

// paillierOps counts the Paillier operations one party makes in steps 3–6. They follow
// from the sizes (the protocol makes no others): a controller encrypts each of its rows
// and a mask for each matched row of the other's, and decrypts its own matched rows; the
// third party adds and re-randomises every matched ciphertext of both. Additions are
// one modular multiplication each and not counted in the rate, which is per CPU second
// of the party's process.
type paillierOps struct {
	Encryptions                 int     `json:"encryptions"`
	Decryptions                 int     `json:"decryptions"`
	Additions                   int     `json:"additions"`
	Rerandomisations            int     `json:"rerandomisations"`
	ExponentiationsPerCPUSecond float64 `json:"exponentiations_per_cpu_s"`
}

// countPaillier fills in each party's operation counts for a join of rows[k] rows with
// cols[k] columns at controller k and m matched rows.
func countPaillier(rep *benchJoinReport, rows, cols [2]int, m int) error {
	l, err := paillier.NewLayout(join.DefaultParams().Fixed.Bits, join.DefaultParams().Kappa, rep.PaillierBits)
	if err != nil {
		return err
	}
	ctrl := [2]protocol.Role{protocol.ControllerA, protocol.ControllerB}
	var tp paillierOps
	for k, r := range ctrl {
		own, other := l.Ciphertexts(cols[k]), l.Ciphertexts(cols[1-k])
		rep.Paillier[r.String()] = paillierOps{Encryptions: rows[k]*own + m*other, Decryptions: m * own}
		tp.Additions += m * own
		tp.Rerandomisations += m * own
	}
	rep.Paillier[protocol.ThirdParty.String()] = tp
	for name, ops := range rep.Paillier {
		if cpu := rep.CPUSeconds[name]; cpu > 0 {
			ops.ExponentiationsPerCPUSecond = float64(ops.Encryptions+ops.Decryptions+ops.Rerandomisations) / cpu
			rep.Paillier[name] = ops
		}
	}
	return nil
}

// benchStage is one stage over the three processes: the slowest party's time and
// what each party sent.
type benchStage struct {
	Name          string           `json:"name"`
	ProtocolSteps string           `json:"protocol_steps"`
	Seconds       float64          `json:"seconds"`
	BytesSent     map[string]int64 `json:"bytes_sent"`
}

func mergeBenchStage(stages []benchStage, s outputs.Stage) []benchStage {
	secs := s.EndSeconds - s.StartSeconds
	for i := range stages {
		if stages[i].Name == s.Name {
			stages[i].Seconds = max(stages[i].Seconds, secs)
			for k, v := range s.BytesSent {
				stages[i].BytesSent[k] = v
			}
			return stages
		}
	}
	return append(stages, benchStage{Name: s.Name, ProtocolSteps: s.ProtocolSteps, Seconds: secs, BytesSent: maps.Clone(s.BytesSent)})
}

// benchJoin measures steps 1–7 with the three parties as separate "triad node"
// processes on loopback, so that each party's time, traffic and peak memory are its own.
func benchJoin(ctx context.Context, args []string, stdout io.Writer) error {
	fs := cli.NewFlags("bench join", "[--rows N | --rows-a N --rows-b M] [--features-a F] [--features-b F] [--overlap X] [--json]",
		"measure steps 1–7 with the three parties as separate triad node processes on loopback")
	rows := fs.Int("rows", 5000, "rows per controller, unless --rows-a or --rows-b is given")
	rowsA := fs.Int("rows-a", 0, "rows at controller A (default --rows)")
	rowsB := fs.Int("rows-b", 0, "rows at controller B (default --rows)")
	fa := fs.Int("features-a", 15, "feature columns at controller A (which also holds the outcome)")
	fb := fs.Int("features-b", 15, "feature columns at controller B")
	overlap := fs.Float64("overlap", 0.7, "share of the smaller side's rows that the other also has")
	bits := fs.Int("bits", 2048, "Paillier modulus size")
	asJSON := fs.Bool("json", false, "print one JSON object")
	keep := fs.String("keep", "", "keep the sites' folders and logs here instead of a temporary folder")
	if err := cli.Parse(fs, args, stdout); err != nil {
		return err
	}
	if *rowsA == 0 {
		*rowsA = *rows
	}
	if *rowsB == 0 {
		*rowsB = *rows
	}
	if *rowsA < 1 || *rowsB < 1 || *fa < 1 || *fb < 1 || *overlap < 0 || *overlap > 1 {
		return cli.Usagef(fs, "bench join: want --rows (or --rows-a and --rows-b), --features-a, --features-b ≥ 1 and 0 ≤ --overlap ≤ 1")
	}
	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "triad-bench-join-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fileA, fileB, err := synth.Write(dir, synth.Spec{Rows: *rowsA, RowsB: *rowsB, Overlap: *overlap, Minimal: true, ExtraA: *fa, ExtraB: *fb, Seed: 7})
	if err != nil {
		return err
	}
	cfgs, err := benchSites(dir, *bits, map[protocol.Role][2]string{
		protocol.ControllerA: {fileA, "hospital_days"},
		protocol.ControllerB: {fileB, ""},
	})
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var cmds [3]*exec.Cmd
	for _, r := range protocol.Roles() {
		logf, err := os.Create(filepath.Join(dir, r.String()+".log"))
		if err != nil {
			return err
		}
		defer logf.Close()
		cmds[r] = exec.CommandContext(ctx, exe, "node", "--config", cfgs[r], "--join-only")
		cmds[r].Stdout, cmds[r].Stderr = logf, logf
		if err := cmds[r].Start(); err != nil {
			return err
		}
	}
	// A child's rusage peak includes the bench's own memory at the fork (Linux keeps
	// the high-water mark across exec), so watch each node's own instead.
	var hwm [3]atomic.Int64
	stop := make(chan struct{})
	var watched sync.WaitGroup
	for _, r := range protocol.Roles() {
		watched.Go(func() { watchPeakRSS(cmds[r].Process.Pid, &hwm[r], stop) })
	}
	var errs []error
	for _, r := range protocol.Roles() {
		if err := cmds[r].Wait(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w (log: %s)", r, err, filepath.Join(dir, r.String()+".log")))
		}
	}
	close(stop)
	watched.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bench join: %w", err)
	}
	rep := benchJoinReport{RowsA: *rowsA, RowsB: *rowsB, FeaturesA: *fa, FeaturesB: *fb, Overlap: *overlap, PaillierBits: *bits,
		PeakRSSBytes: map[string]int64{}, CPUSeconds: map[string]float64{}, Paillier: map[string]paillierOps{}}
	for _, r := range protocol.Roles() {
		rep.PeakRSSBytes[r.String()] = hwm[r].Load()
		if ru, ok := cmds[r].ProcessState.SysUsage().(*syscall.Rusage); ok && hwm[r].Load() == 0 {
			rep.PeakRSSBytes[r.String()] = ru.Maxrss * 1024 // no /proc: an upper bound
		}
		ps := cmds[r].ProcessState
		rep.CPUSeconds[r.String()] = (ps.UserTime() + ps.SystemTime()).Seconds()
		var res outputs.Result
		b, err := os.ReadFile(filepath.Join(filepath.Dir(cfgs[r]), "out", "result.json"))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &res); err != nil {
			return err
		}
		rep.IntersectionSize = res.IntersectionSize
		rep.TotalSeconds = max(rep.TotalSeconds, res.TotalSeconds)
		for _, s := range res.Stages {
			rep.Stages = mergeBenchStage(rep.Stages, s)
		}
	}
	// Controller A holds the outcome and its features; the bench drops no rows.
	if err := countPaillier(&rep, [2]int{*rowsA, *rowsB}, [2]int{*fa + 1, *fb}, rep.IntersectionSize); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(stdout, "steps 1–7: %d rows at A, %d at B, %d+%d features, %d matched, %d-bit Paillier, three processes\n",
		rep.RowsA, rep.RowsB, rep.FeaturesA, rep.FeaturesB, rep.IntersectionSize, rep.PaillierBits)
	fmt.Fprintf(stdout, "%-13s %-5s %9s %14s %14s %14s\n", "stage", "steps", "seconds", "sent by A", "sent by B", "sent by 3rd")
	for _, s := range rep.Stages {
		fmt.Fprintf(stdout, "%-13s %-5s %9.2f %14d %14d %14d\n", s.Name, s.ProtocolSteps, s.Seconds,
			s.BytesSent["controller-a"], s.BytesSent["controller-b"], s.BytesSent["third-party"])
	}
	fmt.Fprintf(stdout, "%-13s %12s %12s %12s %12s %9s %10s %9s\n", "party", "encryptions", "decryptions", "additions",
		"rerandomised", "peak MiB", "CPU s", "exp/CPU s")
	for _, r := range protocol.Roles() {
		n := r.String()
		o := rep.Paillier[n]
		fmt.Fprintf(stdout, "%-13s %12d %12d %12d %12d %9d %10.1f %9.0f\n", n, o.Encryptions, o.Decryptions, o.Additions,
			o.Rerandomisations, rep.PeakRSSBytes[n]>>20, rep.CPUSeconds[n], o.ExponentiationsPerCPUSecond)
	}
	fmt.Fprintf(stdout, "total %.2fs\n", rep.TotalSeconds)
	return nil
}

// watchPeakRSS keeps in peak the largest VmHWM (the process's own peak resident set)
// that /proc shows for pid, read every 100 ms until stop is closed or the process is
// gone. The mark only grows, so a read misses only a peak made in the last interval.
func watchPeakRSS(pid int, peak *atomic.Int64, stop <-chan struct{}) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
					peak.Store(max(peak.Load(), kb*1024))
				}
			}
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// benchSites writes three sites' keys and configurations under dir, wired to each other
// on loopback ports, and returns the configuration paths by role. data gives each
// controller's file and outcome column.
func benchSites(dir string, bits int, data map[protocol.Role][2]string) ([3]string, error) {
	var paths [3]string
	var addrs [3]string
	for _, r := range protocol.Roles() {
		port, err := freePort()
		if err != nil {
			return paths, err
		}
		listen := fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port)
		site := filepath.Join(dir, r.String())
		id, err := initSite(site, r, []string{listen}, true)
		if err != nil {
			return paths, err
		}
		paths[r] = filepath.Join(site, configFileName)
		addrs[r] = fmt.Sprintf("%s/p2p/%s", listen, id)
	}
	for _, r := range protocol.Roles() {
		b, err := os.ReadFile(paths[r])
		if err != nil {
			return paths, err
		}
		var out []string
		for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			switch {
			case strings.HasPrefix(line, "file = "):
				line = "file = " + tomlString(data[r][0])
			case strings.HasPrefix(line, "id_column = "):
				line = `id_column = "patient_id"`
			case strings.HasPrefix(line, "outcome = "):
				line = "outcome = " + tomlString(data[r][1])
			case strings.HasPrefix(line, "paillier_bits = "):
				line = fmt.Sprintf("paillier_bits = %d", bits)
			}
			out = append(out, line)
		}
		for _, o := range r.Others() {
			out = append(out, fmt.Sprintf("%s = %s", o, tomlString(addrs[o])))
		}
		if err := os.WriteFile(paths[r], []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
			return paths, err
		}
	}
	return paths, nil
}

// freePort asks the system for a free TCP port on loopback.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
