package testnet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The roles in the order they start: each dials only the roles after it, so a site
// can learn the addresses of the sites it dials from their output before it starts.
var (
	roles      = []string{"controller-a", "controller-b", "third-party"}
	startOrder = []string{"third-party", "controller-b", "controller-a"}
)

const (
	rows  = 300 // patients per controller in the synthetic data, unless a test asks for more
	alpha = 0.05
	// stageLogs makes each process log the start of every protocol stage as JSON,
	// so that a test can act during a given step; node warnings stay on.
	stageLogs = "GOLOG_LOG_LEVEL=error,triad/actors=info,triad/node=warn"
)

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// triad returns the binary under test, building it on first use; it skips the test
// unless TRIAD_TESTNET is set.
func triad(t *testing.T) string {
	t.Helper()
	if os.Getenv("TRIAD_TESTNET") == "" {
		t.Skip("process tests run only with TRIAD_TESTNET=1 (make testnet sets it)")
	}
	binOnce.Do(func() {
		if p := os.Getenv("TRIAD_BIN"); p != "" {
			binPath, binErr = filepath.Abs(p)
			return
		}
		if binDir, binErr = os.MkdirTemp("", "triad-testnet-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "triad")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/triad").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build ./cmd/triad: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// output is what a process writes to one of its streams: kept in memory to wait on,
// and in a file that the test prints when it fails.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	file    *os.File
	changed chan struct{} // closed and replaced on every write
}

func newOutput(path string) (*output, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &output{file: f, changed: make(chan struct{})}, nil
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	o.file.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// await waits until re matches what was written and returns the match, or fails once
// timeout passes or the process ends without writing it.
func (o *output) await(re *regexp.Regexp, ended <-chan struct{}, timeout time.Duration) ([]string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		m := re.FindStringSubmatch(o.buf.String())
		changed := o.changed
		o.mu.Unlock()
		if m != nil {
			return m, nil
		}
		select {
		case <-changed:
		case <-ended:
			if m := re.FindStringSubmatch(o.String()); m != nil {
				return m, nil
			}
			return nil, fmt.Errorf("ended without writing %q", re)
		case <-deadline.C:
			return nil, fmt.Errorf("no %q within %v", re, timeout)
		}
	}
}

// proc is one running `triad node` (or other triad command).
type proc struct {
	role        string
	cmd         *exec.Cmd
	stdout, log *output // standard output and standard error
	done        chan struct{}
	ended       time.Time
	err         error // from Wait
}

// code returns the exit status of a process that has ended, or -1 if a signal
// ended it.
func (p *proc) code() int { return p.cmd.ProcessState.ExitCode() }

// wait waits at most timeout for the process to end.
func (p *proc) wait(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

func (p *proc) signal(sig syscall.Signal) error { return syscall.Kill(-p.cmd.Process.Pid, sig) }

// errorLine returns the error the process printed before it exited.
func (p *proc) errorLine() string {
	m := regexp.MustCompile(`(?m)^triad: (.*)$`).FindStringSubmatch(p.log.String())
	if m == nil {
		return ""
	}
	return m[1]
}

// site is one party's folder: its key and configuration as `triad init` wrote them.
type site struct {
	role string
	dir  string
	cfg  string
	id   string // peer ID
	line string // init's own [peers] line value: its listen address (port 0) and ID
	ns   string // network namespace it runs in, if any
}

// cluster is the three sites of a test, with their data.
type cluster struct {
	t     *testing.T
	bin   string
	dir   string
	data  string // folder with hospital.csv and insurer.csv
	sites map[string]*site
	env   []string // extra environment of every process
	// peerTimeout, if set, goes into every site's triad.toml as peer_timeout.
	peerTimeout string
	// dialAddr picks, among the addresses a site printed, the one that another site
	// dials; by default the first TCP address.
	dialAddr func(from, to string, addrs []string) string
	procs    []*proc
	seq      int // sessions started, to name log files
}

// newCluster writes synthetic data, n patients per controller, and runs `triad
// init` for each role, listening on the given addresses (port 0: the system picks
// the port).
func newCluster(t *testing.T, listen map[string][]string, n int) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: triad(t), dir: t.TempDir(), sites: map[string]*site{}, env: []string{stageLogs, "GOLOG_LOG_FMT=json"}}
	c.data = filepath.Join(c.dir, "data")
	if out, err := exec.Command(c.bin, "demo", "--data-only", "--rows", fmt.Sprint(n), "--out", c.data).CombinedOutput(); err != nil {
		t.Fatalf("triad demo --data-only: %v\n%s", err, out)
	}
	line := regexp.MustCompile(`(?m)^(\S+) = "(/\S+/p2p/(\w+))"$`)
	for _, r := range roles {
		s := &site{role: r, dir: filepath.Join(c.dir, r)}
		args := []string{"init", "--role", r, "--dir", s.dir}
		for _, a := range listen[r] {
			args = append(args, "--listen", a)
		}
		out, err := exec.Command(c.bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("triad init --role %s: %v\n%s", r, err, out)
		}
		m := line.FindStringSubmatch(string(out))
		if m == nil || m[1] != r {
			t.Fatalf("triad init --role %s printed no [peers] line:\n%s", r, out)
		}
		s.line, s.id, s.cfg = m[2], m[3], filepath.Join(s.dir, "triad.toml")
		c.sites[r] = s
	}
	t.Cleanup(c.stopAll)
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpLogs()
		}
	})
	return c
}

// configure rewrites a site's triad.toml for the session: its data, the model,
// the peer timeout and its [peers] table.
func (c *cluster) configure(role string, peers map[string]string) {
	c.t.Helper()
	s := c.sites[role]
	doc, err := os.ReadFile(s.cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	text := string(doc)
	// [peers] is the last table: drop what an earlier session put there.
	i := strings.Index(text, "\n[peers]\n")
	if i < 0 {
		c.t.Fatalf("%s has no [peers] table", s.cfg)
	}
	text = text[:i+len("\n[peers]\n")]
	set := func(key, value string) {
		re := regexp.MustCompile(`(?m)^` + key + ` = .*$`)
		if !re.MatchString(text) {
			c.t.Fatalf("%s has no %s key", s.cfg, key)
		}
		text = re.ReplaceAllLiteralString(text, key+" = "+value)
	}
	switch role {
	case "controller-a":
		set("file", fmt.Sprintf("%q", filepath.Join(c.data, "hospital.csv")))
		set("id_column", `"patient_id"`)
		set("outcome", `"hospital_days"`)
	case "controller-b":
		set("file", fmt.Sprintf("%q", filepath.Join(c.data, "insurer.csv")))
		set("id_column", `"patient_id"`)
		set("outcome", `""`)
	}
	set("alpha", fmt.Sprint(alpha))
	text = regexp.MustCompile(`(?m)^peer_timeout = .*\n`).ReplaceAllLiteralString(text, "")
	if c.peerTimeout != "" {
		set("out_dir", `"out"`+"\npeer_timeout = "+fmt.Sprintf("%q", c.peerTimeout))
	}
	for _, r := range roles {
		if r != role {
			text += fmt.Sprintf("%s = %q\n", r, peers[r])
		}
	}
	if err := os.WriteFile(s.cfg, []byte(text), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// start runs `triad node` for role, in its namespace if it has one.
func (c *cluster) start(role string) *proc {
	c.t.Helper()
	s := c.sites[role]
	args := []string{c.bin, "node", "--config", s.cfg}
	if s.ns != "" {
		args = append([]string{"ip", "netns", "exec", s.ns}, args...)
	}
	name := fmt.Sprintf("%s.%d", role, c.seq)
	stdout, err := newOutput(filepath.Join(c.dir, name+".out"))
	if err != nil {
		c.t.Fatal(err)
	}
	stderr, err := newOutput(filepath.Join(c.dir, name+".log"))
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "GOLOG_") }), c.env...)
	// Its own process group, so that signals reach it and nothing else; and it dies
	// with the test binary even if the test is cut short.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	p := &proc{role: role, cmd: cmd, stdout: stdout, log: stderr, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		p.ended = time.Now()
		stdout.file.Close()
		stderr.file.Close()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	return p
}

// listening waits for a started node to print its addresses, all of them: it says
// that it waits for its peers once it has.
func (c *cluster) listening(p *proc) []string {
	c.t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(p.role) + ` listening on (\S+)`)
	waiting := regexp.MustCompile(regexp.QuoteMeta(p.role) + `: waiting for`)
	if _, err := p.stdout.await(waiting, p.done, 30*time.Second); err != nil {
		c.t.Fatalf("%s: %v\n%s", p.role, err, p.log.String())
	}
	var addrs []string
	for _, m := range re.FindAllStringSubmatch(p.stdout.String(), -1) {
		addrs = append(addrs, m[1])
	}
	return addrs
}

func firstTCP(_, _ string, addrs []string) string {
	for _, a := range addrs {
		if strings.Contains(a, "/tcp/") {
			return a
		}
	}
	return ""
}

// session starts the three nodes of one session, each after the ones it dials, and
// returns them by role. peers, if not nil, overrides a site's [peers] entries.
func (c *cluster) session(override map[string]map[string]string) map[string]*proc {
	c.t.Helper()
	c.seq++
	for _, r := range roles {
		os.RemoveAll(filepath.Join(c.sites[r].dir, "out"))
	}
	pick := c.dialAddr
	if pick == nil {
		pick = firstTCP
	}
	addrs := map[string][]string{}
	procs := map[string]*proc{}
	for _, r := range startOrder {
		peers := map[string]string{}
		for _, o := range roles {
			switch {
			case o == r:
			case addrs[o] != nil:
				peers[o] = pick(r, o, addrs[o])
			default:
				peers[o] = c.sites[o].line // never dialed: it dials this site
			}
			if v, ok := override[r][o]; ok {
				peers[o] = v
			}
		}
		c.configure(r, peers)
		procs[r] = c.start(r)
		addrs[r] = c.listening(procs[r])
	}
	return procs
}

// finish waits for every process of a session to end and checks that each
// succeeded.
func (c *cluster) finish(procs map[string]*proc, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for _, r := range roles {
		p := procs[r]
		if !p.wait(time.Until(deadline)) {
			c.t.Fatalf("%s still runs after %v", r, timeout)
		}
		if p.err != nil {
			c.t.Fatalf("%s: %v: %s", r, p.err, p.errorLine())
		}
	}
}

// stopAll kills whatever still runs; it is also the test's cleanup.
func (c *cluster) stopAll() {
	for _, p := range c.procs {
		select {
		case <-p.done:
			continue
		default:
		}
		p.signal(syscall.SIGKILL)
		if !p.wait(10 * time.Second) {
			c.t.Errorf("%s (pid %d) did not end after SIGKILL", p.role, p.cmd.Process.Pid)
		}
	}
}

func (c *cluster) dumpLogs() {
	for _, p := range c.procs {
		c.t.Logf("--- %s (pid %d) stderr:\n%s", p.role, p.cmd.Process.Pid, tail(p.log.String(), 30))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// result is the part of result.json the tests compare.
type result struct {
	IntersectionSize int                `json:"intersection_size"`
	Iterations       int                `json:"iterations"`
	Intercept        float64            `json:"intercept"`
	Coefficients     map[string]float64 `json:"coefficients"`
	R2               float64            `json:"r2"`
}

func readResult(path string) (*result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// results reads the three sites' result.json files.
func (c *cluster) results() map[string]*result {
	c.t.Helper()
	out := map[string]*result{}
	for _, r := range roles {
		res, err := readResult(filepath.Join(c.sites[r].dir, "out", "result.json"))
		if err != nil {
			c.t.Fatal(err)
		}
		out[r] = res
	}
	return out
}

// noResults checks that no site wrote a result.
func (c *cluster) noResults() {
	c.t.Helper()
	for _, r := range roles {
		p := filepath.Join(c.sites[r].dir, "out", "result.json")
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			c.t.Errorf("%s wrote %s after a failed session (%v)", r, p, err)
		}
	}
}

// stageStarted matches a process's log line for the start of the stage that
// covers the given protocol steps ("1-2", "4", "5-6", "8").
func stageStarted(steps string) *regexp.Regexp {
	return regexp.MustCompile(`"msg":"stage started".*"steps":"` + regexp.QuoteMeta(steps) + `"`)
}
