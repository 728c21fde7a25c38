package testnet

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nsPrefix starts the name of every network namespace the tests create; the
// process ID after it says whose it is, so that a namespace left by a test binary
// that was killed can be told from one in use.
const nsPrefix = "triadtn-"

// link is a veth pair between two sites' namespaces, on a /30 of the benchmarking
// range 198.18.0.0/15, which is routed nowhere.
type link struct {
	a, b         string // roles
	devA, devB   string
	addrA, addrB string
}

var links = []link{
	{"controller-a", "controller-b", "vab", "vba", "198.18.1.1", "198.18.1.2"},
	{"controller-a", "third-party", "vat", "vta", "198.18.2.1", "198.18.2.2"},
	{"controller-b", "third-party", "vbt", "vtb", "198.18.3.1", "198.18.3.2"},
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// removeStaleNamespaces deletes namespaces that an earlier test binary created
// and could not remove because it was killed.
func removeStaleNamespaces() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, nsPrefix)
		if !ok {
			continue
		}
		owner, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(owner)
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue
		}
		ip("netns", "del", name)
	}
}

// namespaces puts each site of c in a network namespace of its own, joined to
// each other site's by a veth pair, and returns the listen addresses to give
// `triad init`. Everything is removed when the test ends.
func namespaces(t *testing.T) (ns map[string]string, listen map[string][]string) {
	t.Helper()
	// CI runs as root with iproute2 installed: there a missing one is a failure.
	missing := t.Skip
	if os.Getenv("CI") == "true" {
		missing = t.Fatal
	}
	if os.Geteuid() != 0 {
		missing("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		missing("no ip command (iproute2)")
	}
	removeStaleNamespaces()
	ns = map[string]string{}
	for _, r := range roles {
		name := fmt.Sprintf("%s%d-%s", nsPrefix, os.Getpid(), r)
		t.Cleanup(func() {
			if err := ip("netns", "del", name); err != nil {
				t.Errorf("removing namespace: %v", err)
			}
		})
		if err := ip("netns", "add", name); err != nil {
			t.Fatal(err)
		}
		ns[r] = name
		if err := ip("-n", name, "link", "set", "lo", "up"); err != nil {
			t.Fatal(err)
		}
	}
	listen = map[string][]string{}
	for _, l := range links {
		if err := ip("link", "add", l.devA, "netns", ns[l.a], "type", "veth", "peer", "name", l.devB, "netns", ns[l.b]); err != nil {
			t.Fatal(err)
		}
		for _, end := range []struct{ role, dev, addr string }{{l.a, l.devA, l.addrA}, {l.b, l.devB, l.addrB}} {
			if err := ip("-n", ns[end.role], "addr", "add", end.addr+"/30", "dev", end.dev); err != nil {
				t.Fatal(err)
			}
			if err := ip("-n", ns[end.role], "link", "set", end.dev, "up"); err != nil {
				t.Fatal(err)
			}
			// A site listens where the sites that dial it reach it.
			if end.role == l.b {
				listen[end.role] = append(listen[end.role], "/ip4/"+end.addr+"/tcp/0")
			}
		}
	}
	// Controller-a dials both others and needs no listener; give it one anyway, on
	// its link to controller-b, as `triad init` expects.
	listen["controller-a"] = []string{"/ip4/" + links[0].addrA + "/tcp/0"}
	return ns, listen
}

// overVeth picks, among the addresses that site to printed, the one on its link
// with site from.
func overVeth(from, to string, addrs []string) string {
	for _, l := range links {
		want := ""
		switch {
		case l.a == from && l.b == to:
			want = l.addrB
		case l.b == from && l.a == to:
			want = l.addrA
		default:
			continue
		}
		for _, a := range addrs {
			if strings.HasPrefix(a, "/ip4/"+want+"/tcp/") {
				return a
			}
		}
	}
	return ""
}

// TestNamespaces runs a session across three network namespaces, then takes the
// link between controller-a and the third party down for 10 s during step 6 and
// brings it back. The session does not survive it, and fails cleanly: the two ends
// of the link take each other as lost after the heartbeat timeout, controller-b is
// told by them, all three exit non-zero within 10 s naming the party they lost,
// nobody writes a result, and once the link is back a fresh session succeeds.
func TestNamespaces(t *testing.T) {
	triad(t)
	ns, listen := namespaces(t)
	c := newCluster(t, listen, rows)
	for r, name := range ns {
		c.sites[r].ns = name
	}
	c.dialAddr = overVeth
	freshSession(t, c)

	const outage = 10 * time.Second
	procs := c.session(nil)
	tp := procs["third-party"]
	if _, err := tp.log.await(stageStarted("5-6"), tp.done, time.Minute); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	if err := ip("-n", ns["controller-a"], "link", "set", "vat", "down"); err != nil {
		t.Fatal(err)
	}
	restored := make(chan error, 1)
	go func() {
		time.Sleep(outage)
		restored <- ip("-n", ns["controller-a"], "link", "set", "vat", "up")
	}()
	for r, want := range map[string]string{
		"controller-a": "lost third-party",
		"third-party":  "lost controller-a",
		"controller-b": "stopped the session",
	} {
		p := procs[r]
		if !p.wait(time.Until(down.Add(10 * time.Second))) {
			t.Errorf("%s still runs 10 s after the link went down", r)
			continue
		}
		if msg := p.errorLine(); p.code() == 0 || !strings.Contains(msg, want) {
			t.Errorf("%s exited %d with %q, want an error saying %q", r, p.code(), msg, want)
		}
		t.Logf("%s exited %v after the link went down: %s", r, p.ended.Sub(down).Round(time.Millisecond), p.errorLine())
	}
	c.noResults()
	if err := <-restored; err != nil {
		t.Fatal(err)
	}
	if !t.Failed() {
		freshSession(t, c)
	}
}
