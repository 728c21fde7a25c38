package actors

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/triad-mpc/triad/protocol"
)

// clock is a settable time source for the registry.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func testRegistry() (*Registry, *clock) {
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r := NewRegistry()
	r.now = c.now
	return r, c
}

func TestTimelineRateAndTimeLeft(t *testing.T) {
	r, c := testRegistry()
	r.PlanSteps(StepPlan{Name: "hashing", Steps: "1-2"}, StepPlan{Name: "encryption", Steps: "3"},
		StepPlan{Name: "regression", Steps: "8", Unit: "iterations", Bounded: true})
	st := r.State()
	if len(st.Steps) != 3 || st.Session.Status != "waiting" || st.Steps[0].Title != "Prepare and keyed hashing" {
		t.Fatalf("planned timeline: %+v", st)
	}
	for _, s := range st.Steps {
		if s.Status != "waiting" || s.Done != 0 || s.Total != 0 || s.Remaining != -1 || s.Rate != 0 {
			t.Fatalf("a planned step shows %+v", s)
		}
	}

	r.StartStep("hashing")
	c.advance(2 * time.Second)
	r.StepProgress("hashing", 400, 1000)
	h := r.State().Steps[0]
	if h.Status != "running" || h.Rate != 200 || h.Remaining != 3 || h.Seconds != 2 {
		t.Fatalf("after 400 of 1000 in 2 s: %+v", h)
	}
	// A stall shows as a falling rate, not a frozen estimate.
	c.advance(2 * time.Second)
	if h := r.State().Steps[0]; h.Rate != 100 || h.Remaining != 6 {
		t.Fatalf("after a 2 s stall: %+v", h)
	}
	// The rate looks back rateWindow only: a step that speeds up is followed.
	for range 12 {
		c.advance(time.Second)
		r.StepProgress("hashing", r.State().Steps[0].Done+50, 2000)
	}
	h = r.State().Steps[0]
	if math.Abs(h.Rate-50) > 1e-9 {
		t.Fatalf("rate over the last window = %g, want 50 (%+v)", h.Rate, h)
	}
	if st := r.State(); st.Session.Status != "running" || st.Session.Current != "Prepare and keyed hashing" || st.Session.Done != 0 {
		t.Fatalf("session while hashing: %+v", st.Session)
	}
	r.EndStep("hashing", 1234, nil)
	h = r.State().Steps[0]
	if h.Status != "done" || h.BytesSent != 1234 || h.Seconds != 16 || h.Remaining != -1 || h.Rate != 0 {
		t.Fatalf("ended step: %+v", h)
	}

	// A live counter is read at every look and once more at the end.
	r.StartStep("encryption")
	n := int64(0)
	r.WatchStep("encryption", func() (int64, int64) { return n, 10 })
	c.advance(time.Second)
	n = 5
	if e := r.State().Steps[1]; e.Done != 5 || e.Total != 10 || e.Rate != 5 || e.Remaining != 1 {
		t.Fatalf("watched step: %+v", e)
	}
	n = 10
	r.EndStep("encryption", 0, nil)
	if e := r.State().Steps[1]; e.Done != 10 {
		t.Fatalf("watched step at its end: %+v", e)
	}

	// A bounded total (the iteration limit) has a count and a rate but no time left.
	r.StartStep("regression")
	c.advance(time.Second)
	r.StepProgress("regression", 4, 1000)
	if g := r.State().Steps[2]; g.Rate != 4 || g.Remaining != -1 || !g.Bounded || g.Unit != "iterations" {
		t.Fatalf("bounded step: %+v", g)
	}
	r.EndStep("regression", 10, nil)
	st = r.State()
	if st.Session.Status != "done" || st.Session.Done != 3 || st.Session.Seconds != 18 || len(st.Errors) != 0 {
		t.Fatalf("finished session: %+v", st.Session)
	}
}

func TestErrorsReachTheBannerOnce(t *testing.T) {
	r, _ := testRegistry()
	r.StartStep("masking")
	boom := errors.New("steps 5-6: link to third-party lost")
	r.EndStep("masking", 0, boom)
	r.set("session", "session", func(a *ActorState) { a.Status, a.LastEvent = "failed", boom.Error() })
	r.Error("peer/third-party", errors.New("stream reset"))
	r.Error("nothing", nil)
	st := r.State()
	if st.Session.Status != "failed" || len(st.Errors) != 2 || st.Errors[0].Source != "masking" || st.Errors[1].Message != "stream reset" {
		t.Fatalf("errors %+v, session %+v", st.Errors, st.Session)
	}
	if st.Steps[0].Status != "failed" || st.Steps[0].Error != boom.Error() {
		t.Fatalf("failed step: %+v", st.Steps[0])
	}
}

func TestPeersAndDisclosures(t *testing.T) {
	r, _ := testRegistry()
	r.WatchPeers(func() []PeerState {
		return []PeerState{{Role: "third-party", Connected: true, RTTMillis: 0.2}, {Role: "controller-b"}}
	})
	d := protocol.NewDisclosure(protocol.ControllerA, nil)
	r.WatchDisclosure(d)
	if st := r.State(); len(st.Peers) != 2 || st.Peers[0].Role != "controller-b" || len(st.Disclosures) != 0 {
		t.Fatalf("state %+v", st)
	}
	d.Record(4, protocol.ThirdParty, "intersection_size", 60)
	long := make([]float64, 100)
	d.Record(8, protocol.ControllerA, "coefficients", long)
	st := r.State()
	if len(st.Disclosures) != 2 || st.Disclosures[0].Value != "60" || st.Disclosures[0].From != "third-party" {
		t.Fatalf("disclosures %+v", st.Disclosures)
	}
	if v := []rune(st.Disclosures[1].Value); len(v) != maxValueLen || v[len(v)-1] != '…' {
		t.Fatalf("a long value is shown as %q", st.Disclosures[1].Value)
	}
}

// TestObserveCountsMessages checks the mailbox, handled and restart counts of a real
// actor, synchronising on its replies.
func TestObserveCountsMessages(t *testing.T) {
	r, _ := testRegistry()
	system := actor.NewActorSystem()
	defer system.Shutdown()
	release := make(chan struct{})
	props := actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case string:
			switch m {
			case "block":
				<-release
			case "panic":
				panic("test restart")
			}
			c.Respond(m)
		}
	}, r.Observe("worker", "stage")...)
	pid := system.Root.Spawn(props)
	ask := func(m string) {
		t.Helper()
		if _, err := system.Root.RequestFuture(pid, m, 10*time.Second).Result(); err != nil {
			t.Fatal(err)
		}
	}
	ask("a")
	ask("b")
	// While the actor is busy, what is sent to it waits in its mailbox.
	system.Root.Send(pid, "block")
	system.Root.Send(pid, "c")
	system.Root.Send(pid, "d")
	a := find(t, r, "worker")
	if a.Mailbox < 2 || a.Kind != "stage" {
		t.Fatalf("while blocked: %+v", a)
	}
	close(release)
	ask("e")
	system.Root.Send(pid, "panic")
	ask("f") // answered by the restarted actor
	a = find(t, r, "worker")
	if a.Handled != 8 || a.Restarts != 1 || a.Mailbox != 0 {
		t.Fatalf("after 8 messages and a panic: %+v", a)
	}
}

func find(t *testing.T, r *Registry, path string) ActorState {
	t.Helper()
	for _, a := range r.Snapshot() {
		if a.Path == path {
			return a
		}
	}
	t.Fatalf("no actor %s", path)
	return ActorState{}
}

func TestNilRegistry(t *testing.T) {
	var r *Registry
	r.PlanSteps(StepPlan{Name: "x"})
	r.StartStep("x")
	r.StepProgress("x", 1, 2)
	r.EndStep("x", 0, errors.New("e"))
	r.Error("x", errors.New("e"))
	r.WatchPeers(nil)
	r.WatchDisclosure(nil)
	if r.Observe("x", "y") != nil {
		t.Fatal("nil registry observes")
	}
	if st := r.State(); st.Session.Status != "waiting" || len(st.Actors) != 0 {
		t.Fatalf("nil registry state %+v", st)
	}
}
