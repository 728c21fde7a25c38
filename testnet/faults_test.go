package testnet

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stageOf names the stage that covers each step the fault tests act in.
var stageOf = map[int]string{2: "1-2", 4: "4", 6: "5-6", 8: "8"}

// survivorsFail checks that every process but the victim exits non-zero within
// limit of since, with an error that names the victim and blames no survivor, and
// returns how long each took.
func survivorsFail(t *testing.T, procs map[string]*proc, victim string, since time.Time, limit time.Duration) map[string]time.Duration {
	t.Helper()
	took := map[string]time.Duration{}
	for _, r := range roles {
		if r == victim {
			continue
		}
		p := procs[r]
		if !p.wait(time.Until(since.Add(limit))) {
			t.Errorf("%s still runs %v after %s was stopped", r, limit, victim)
			continue
		}
		took[r] = p.ended.Sub(since)
		msg := p.errorLine()
		switch {
		case p.code() == 0:
			t.Errorf("%s exited 0 after %s was stopped", r, victim)
		case !strings.Contains(msg, victim):
			t.Errorf("%s's error does not name %s: %q", r, victim, msg)
		}
		for _, o := range roles {
			if o != victim && strings.Contains(msg, "lost "+o) {
				t.Errorf("%s blames %s, which is alive: %q", r, o, msg)
			}
		}
	}
	return took
}

// freshSession checks that a session run after a failure succeeds.
func freshSession(t *testing.T, c *cluster) {
	t.Helper()
	procs := c.session(nil)
	c.finish(procs, 2*time.Minute)
	res := c.results()
	n := res["third-party"].IntersectionSize
	for _, r := range roles {
		if res[r].IntersectionSize != n || n == 0 || res[r].Iterations < 1 {
			t.Errorf("fresh session: %s joined %d rows in %d iterations (third party: %d)", r, res[r].IntersectionSize, res[r].Iterations, n)
		}
	}
	t.Logf("fresh session: %d joined rows, %d iterations, R² %.6f", n, res["controller-a"].Iterations, res["controller-a"].R2)
}

// TestKill kills each role with SIGKILL during steps 2, 4, 6 and 8: the other two
// must exit non-zero within 10 s naming the dead peer, nobody may write a result,
// and a fresh session afterwards must succeed.
func TestKill(t *testing.T) {
	for _, victim := range roles {
		for _, step := range []int{2, 4, 6, 8} {
			t.Run(fmt.Sprintf("%s/step%d", victim, step), func(t *testing.T) {
				c := newCluster(t, loopback(), rows)
				procs := c.session(nil)
				// The third party has no step 2: watch a controller then.
				watch := victim
				if victim == "third-party" && step == 2 {
					watch = "controller-a"
				}
				if _, err := procs[watch].log.await(stageStarted(stageOf[step]), procs[watch].done, time.Minute); err != nil {
					t.Fatalf("%s: %v", watch, err)
				}
				killed := time.Now()
				if err := procs[victim].signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				took := survivorsFail(t, procs, victim, killed, 10*time.Second)
				c.noResults()
				for r, d := range took {
					t.Logf("%s exited %v after the kill: %s", r, d.Round(time.Millisecond), procs[r].errorLine())
				}
				if !t.Failed() {
					freshSession(t, c)
				}
			})
		}
	}
}

// TestStopped stops a party with SIGSTOP in step 6 for longer than the heartbeat
// timeout: the others must take it as lost and exit non-zero within 10 s naming it;
// once it runs again it must exit non-zero too, nobody may write a result, and a
// fresh session must succeed. The third party is stopped about a second into the
// stage, on a larger table, while the controllers are busy decrypting what it
// forwarded and their queues from it are full.
func TestStopped(t *testing.T) {
	for _, c := range []struct {
		victim string
		rows   int
		after  time.Duration // into stage 5-6
	}{
		{"controller-b", rows, 0},
		{"third-party", 2000, time.Second},
	} {
		t.Run(c.victim, func(t *testing.T) { stopped(t, c.victim, c.rows, c.after) })
	}
}

func stopped(t *testing.T, victim string, n int, after time.Duration) {
	c := newCluster(t, loopback(), n)
	procs := c.session(nil)
	p := procs[victim]
	if _, err := p.log.await(stageStarted("5-6"), p.done, time.Minute); err != nil {
		t.Fatal(err)
	}
	time.Sleep(after)
	stopped := time.Now()
	if err := p.signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	took := survivorsFail(t, procs, victim, stopped, 10*time.Second)
	for r, d := range took {
		t.Logf("%s exited %v after %s stopped: %s", r, d.Round(time.Millisecond), victim, procs[r].errorLine())
	}
	// Stopped for longer than the heartbeat timeout (4 s), whenever the others left.
	time.Sleep(time.Until(stopped.Add(6 * time.Second)))
	if err := p.signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	if !p.wait(10 * time.Second) {
		t.Fatalf("%s still runs 10 s after it was resumed", victim)
	}
	if p.code() == 0 || p.errorLine() == "" {
		t.Errorf("%s, resumed after the others gave it up, exited %d: %q", victim, p.code(), p.errorLine())
	}
	t.Logf("%s was stopped %v, exited %v after it resumed: %s", victim, resumed.Sub(stopped).Round(time.Millisecond),
		p.ended.Sub(resumed).Round(time.Millisecond), p.errorLine())
	c.noResults()
	if !t.Failed() {
		freshSession(t, c)
	}
}

// TestWrongPeerID gives controller-a a wrong peer ID for the third party. At the
// default log level, controller-a must say within 30 s that the peer at that address
// has another ID, and the third party that controller-a has not come; both keep
// trying and give up after the configured peer timeout with an error naming the
// peer, and controller-b, which reached both, is told why the session cannot start.
func TestWrongPeerID(t *testing.T) {
	const timeout = 15 * time.Second
	c := newCluster(t, loopback(), rows)
	c.env = nil // the default log level
	c.peerTimeout = timeout.String()
	other := filepath.Join(c.dir, "other")
	out, err := exec.Command(c.bin, "init", "--role", "third-party", "--dir", other).CombinedOutput()
	stranger := regexp.MustCompile(`/p2p/(\w+)"`).FindStringSubmatch(string(out))
	if err != nil || stranger == nil {
		t.Fatalf("triad init: %v\n%s", err, out)
	}
	c.dialAddr = func(from, to string, addrs []string) string {
		a := firstTCP(from, to, addrs)
		if from == "controller-a" && to == "third-party" {
			a = strings.Replace(a, c.sites[to].id, stranger[1], 1)
		}
		return a
	}
	start := time.Now()
	procs := c.session(nil)
	warn := regexp.MustCompile(`WARN.*peer not reached yet.*"peer": "third-party".*wrong peer ID.*` + stranger[1])
	if _, err := procs["controller-a"].log.await(warn, procs["controller-a"].done, 30*time.Second); err != nil {
		t.Errorf("controller-a: %v", err)
	}
	t.Logf("controller-a named the wrong peer ID %v after it started", time.Since(start).Round(time.Millisecond))
	waiting := regexp.MustCompile(`WARN.*peer not reached yet.*"peer": "controller-a"`)
	if _, err := procs["third-party"].log.await(waiting, procs["third-party"].done, 30*time.Second); err != nil {
		t.Errorf("third party: %v", err)
	}
	for r, want := range map[string]string{
		"controller-a": "gave up on third-party",
		"third-party":  "gave up on controller-a",
		"controller-b": "gave up on",
	} {
		p := procs[r]
		if !p.wait(time.Until(start.Add(timeout + 15*time.Second))) {
			t.Errorf("%s still runs %v after it started, with a peer timeout of %v", r, time.Since(start).Round(time.Second), timeout)
			continue
		}
		if msg := p.errorLine(); p.code() == 0 || !strings.Contains(msg, want) {
			t.Errorf("%s exited %d with %q, want an error saying %q", r, p.code(), msg, want)
		}
		t.Logf("%s exited %v after it started: %s", r, p.ended.Sub(start).Round(time.Millisecond), p.errorLine())
	}
	c.noResults()
}
