// Package actors runs one party's side of a Triad session as protoactor-go actors: a
// session actor supervises a stage actor for each part of steps 1–7 (handshake, hashing,
// encryption, intersection, masking, resharing), a regression actor that spawns one
// actor per solver iteration of step 8, and an actor per remote peer that watches its
// link. The protocol itself stays sequential Go in package protocol; the actors order
// the stages, own their state and report it for the debug console.
package actors

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/triad-mpc/triad/protocol"
)

// ActorState is what an operator sees of one actor. It never holds data values.
type ActorState struct {
	Path      string    `json:"path"`
	Kind      string    `json:"kind"`   // session, stage, peer, regression, iteration
	Status    string    `json:"status"` // waiting, running, done, failed, stopped
	Steps     string    `json:"steps,omitempty"`
	Done      int64     `json:"done"`  // items handled of Total; both 0 when not counted
	Total     int64     `json:"total"` // 0: the actor counts nothing
	BytesSent int64     `json:"bytes_sent,omitempty"`
	BytesRecv int64     `json:"bytes_received,omitempty"`
	Rounds    int64     `json:"rounds,omitempty"`
	Mailbox   int64     `json:"mailbox"`  // messages waiting in the actor's mailbox
	Handled   int64     `json:"handled"`  // messages the actor has received
	Restarts  int64     `json:"restarts"` // times its supervisor restarted it
	LastEvent string    `json:"last_event"`
	Started   time.Time `json:"started"`
	Updated   time.Time `json:"updated"`
}

// StepPlan announces one part of the session's timeline before it starts.
type StepPlan struct {
	Name  string // the stage's name: handshake, hashing, …, regression
	Steps string // the protocol steps it covers, as in DESIGN.md: "1-2", "8"
	Unit  string // what its count counts (rows, values, iterations); may be empty
	// Bounded says the total is only an upper bound (the solver's iteration limit):
	// there is then no estimate of the time left.
	Bounded bool
}

// StepState is one part of the session's timeline as an operator sees it.
type StepState struct {
	Name    string `json:"name"`
	Steps   string `json:"steps"`
	Title   string `json:"title"`  // what the part does, in a few words
	Status  string `json:"status"` // waiting, running, done, failed
	Unit    string `json:"unit,omitempty"`
	Bounded bool   `json:"bounded,omitempty"`
	Done    int64  `json:"done"`
	Total   int64  `json:"total"` // 0 while the count is unknown
	// Rate is items per second over the last few seconds (0 while unknown), and
	// Remaining the time left at that rate in seconds (-1 while unknown).
	Rate      float64   `json:"rate"`
	Remaining float64   `json:"remaining_seconds"`
	Seconds   float64   `json:"seconds"` // time so far, or the whole time once ended
	BytesSent int64     `json:"bytes_sent"`
	Started   time.Time `json:"started,omitzero"`
	Ended     time.Time `json:"ended,omitzero"`
	Error     string    `json:"error,omitempty"`
}

// PeerState is this party's link to another party: its libp2p identity and address,
// never anything about the data.
type PeerState struct {
	Role      string  `json:"role"`
	PeerID    string  `json:"peer_id"`
	Address   string  `json:"address"`   // the connection's remote multiaddr, if up
	State     string  `json:"state"`     // the session stream: waiting, up, lost, …
	Connected bool    `json:"connected"` // libp2p has a live connection
	RTTMillis float64 `json:"rtt_ms"`    // last measured round-trip time; 0 if not measured
	BytesSent int64   `json:"bytes_sent"`
	BytesRecv int64   `json:"bytes_received"`
	Error     string  `json:"error,omitempty"`
}

// DisclosureState is one entry of the party's disclosure log, as shown to its own
// operator: what the party learned, when, in which step and from whom. Value is the
// JSON of the value as opened, cut to a readable length.
type DisclosureState struct {
	Time  time.Time `json:"time"`
	Step  int       `json:"step"`
	From  string    `json:"from"`
	What  string    `json:"what"`
	Value string    `json:"value"`
}

// ErrorState is one error shown in the console's banner.
type ErrorState struct {
	Time    time.Time `json:"time"`
	Source  string    `json:"source"` // the actor or part of the session that failed
	Message string    `json:"message"`
}

// SessionState sums the timeline up.
type SessionState struct {
	Status  string    `json:"status"`  // waiting, running, done, failed
	Current string    `json:"current"` // title of the running part, if any
	Done    int       `json:"steps_done"`
	Total   int       `json:"steps_total"`
	Started time.Time `json:"started,omitzero"`
	Seconds float64   `json:"seconds"`
}

// State is everything the console shows of one party at one moment.
type State struct {
	Session     SessionState      `json:"session"`
	Steps       []StepState       `json:"steps"`
	Actors      []ActorState      `json:"actors"`
	Peers       []PeerState       `json:"peers"`
	Disclosures []DisclosureState `json:"disclosures"`
	Errors      []ErrorState      `json:"errors"`
}

// Registry holds the state of one party's session, safe for concurrent use: its
// timeline, every actor, the links to the peers, the disclosure log and the errors.
// The session and the node write it, the console reads it. Every method may be called
// on a nil *Registry, which records nothing, so a session without a console needs no
// special case.
//
// What feeds it, in a session's order:
//
//   - the session, once: WatchDisclosure with its disclosure log, and PlanSteps with
//     every stage of steps 0–7 and then step 8, so the timeline shows what is to come;
//   - each part: StartStep, then its count through WatchStep (read at every look) or
//     StepProgress (pushed), then EndStep with the bytes it sent and its error;
//   - each actor: the options of Observe when it is spawned (mailbox, messages
//     handled, restarts), and its status as it changes;
//   - the process around the session: WatchPeers with the node's link statistics,
//     and Error for a failure that belongs to no actor.
type Registry struct {
	mu     sync.Mutex
	now    func() time.Time
	states map[string]*ActorState
	live   map[string]func(*ActorState)
	boxes  map[string]*counters

	steps     []*step
	peers     func() []PeerState
	disclosed *protocol.Disclosure
	errs      []ErrorState
}

// step is a timeline entry with the samples its rate is measured from.
type step struct {
	StepState
	live    func() (done, total int64)
	samples []sample
}

type sample struct {
	t    time.Time
	done int64
}

// rateWindow is how far back the rate of a step looks: long enough to smooth batches,
// short enough to follow a step that speeds up or stalls.
const rateWindow = 10 * time.Second

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		now:    time.Now,
		states: make(map[string]*ActorState),
		live:   make(map[string]func(*ActorState)),
		boxes:  make(map[string]*counters),
	}
}

// StageTitle names a stage of the session for people ("masking": "Masks and blind
// subtraction"); an unknown stage is called by its name.
func StageTitle(name string) string {
	titles := map[string]string{
		"handshake":    "Settings check",
		"hashing":      "Prepare and keyed hashing",
		"encryption":   "Paillier encryption",
		"intersection": "Blind matching",
		"cohort":       "Minimum cohort check",
		"masking":      "Masks and blind subtraction",
		"resharing":    "To Shamir shares",
		"regression":   "Secure lasso",
	}
	if t, ok := titles[name]; ok {
		return t
	}
	return name
}

// PlanSteps lists the parts of the session in the order they will run, so the
// timeline shows what is still to come. Parts already known are left as they are.
func (r *Registry) PlanSteps(plan ...StepPlan) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range plan {
		s := r.step(p.Name)
		s.Steps, s.Unit, s.Bounded = p.Steps, p.Unit, p.Bounded
	}
}

// StartStep marks a part of the session as running from now.
func (r *Registry) StartStep(name string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.step(name)
	now := r.now()
	s.Status, s.Started, s.Ended, s.Error = "running", now, time.Time{}, ""
	s.Done, s.Total = 0, 0
	s.samples = []sample{{now, 0}}
}

// WatchStep installs a function that reports a running part's count (done of total)
// whenever the state is read, for counters the session keeps anyway.
func (r *Registry) WatchStep(name string, f func() (done, total int64)) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.step(name).live = f
	r.mu.Unlock()
}

// StepProgress sets a part's count: done items of total (0 if not known yet).
func (r *Registry) StepProgress(name string, done, total int64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.step(name).count(r.now(), done, total)
	r.mu.Unlock()
}

// EndStep marks a part as finished, having sent bytesSent bytes; err, if not nil,
// marks it failed and puts err in the banner.
func (r *Registry) EndStep(name string, bytesSent int64, err error) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.step(name)
	if s.live != nil {
		d, t := s.live()
		s.count(r.now(), d, t)
		s.live = nil
	}
	now := r.now()
	if s.Started.IsZero() {
		s.Started = now
	}
	s.Ended, s.BytesSent, s.Status = now, bytesSent, "done"
	if err == nil && s.Total > 0 && !s.Bounded {
		s.Done = s.Total // counters are updated per batch: a finished part did all
	}
	if err != nil {
		s.Status, s.Error = "failed", err.Error()
		r.addError(name, err.Error())
	}
}

// Error puts an error that belongs to no actor (a link, a file) in the banner.
func (r *Registry) Error(source string, err error) {
	if r == nil || err == nil {
		return
	}
	r.mu.Lock()
	r.addError(source, err.Error())
	r.mu.Unlock()
}

// WatchPeers installs the function that reports the links to the other parties (the
// node's statistics), called whenever the state is read.
func (r *Registry) WatchPeers(f func() []PeerState) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.peers = f
	r.mu.Unlock()
}

// WatchDisclosure shows d, the party's disclosure log, as it grows.
func (r *Registry) WatchDisclosure(d *protocol.Disclosure) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.disclosed = d
	r.mu.Unlock()
}

// Observe returns the options that make an actor spawned with them count its mailbox,
// the messages it handled and its restarts into its state at path.
func (r *Registry) Observe(path, kind string) []actor.PropsOption {
	if r == nil {
		return nil
	}
	c := new(counters)
	r.mu.Lock()
	r.boxes[path] = c
	r.mu.Unlock()
	r.set(path, kind, func(*ActorState) {})
	return []actor.PropsOption{
		actor.WithMailbox(actor.Unbounded(c)),
		actor.WithReceiverMiddleware(c.receive),
	}
}

// State returns the party's whole state at this moment.
func (r *Registry) State() State {
	st := State{Steps: []StepState{}, Actors: r.Snapshot(), Peers: []PeerState{}, Disclosures: []DisclosureState{}, Errors: []ErrorState{}}
	if r == nil {
		st.Session.Status = "waiting"
		return st
	}
	r.mu.Lock()
	now := r.now()
	for _, s := range r.steps {
		if s.live != nil && s.Status == "running" {
			d, t := s.live()
			s.count(now, d, t)
		}
		st.Steps = append(st.Steps, s.view(now))
	}
	st.Errors = append(st.Errors, r.errs...)
	peers, disclosed := r.peers, r.disclosed
	r.mu.Unlock()

	if peers != nil {
		st.Peers = append(st.Peers, peers()...)
		sort.Slice(st.Peers, func(i, j int) bool { return st.Peers[i].Role < st.Peers[j].Role })
	}
	if disclosed != nil {
		for _, e := range disclosed.Entries() {
			st.Disclosures = append(st.Disclosures, DisclosureState{Time: e.Time, Step: e.Step, From: e.From, What: e.What, Value: showValue(e.Value)})
		}
	}
	st.Session = summarise(st.Steps, len(st.Errors) > 0, now)
	return st
}

// Snapshot returns every actor's state, ordered by start time then path.
func (r *Registry) Snapshot() []ActorState {
	if r == nil {
		return []ActorState{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]ActorState, 0, len(r.states))
	for path, s := range r.states {
		c := *s
		if f := r.live[path]; f != nil && c.Status == "running" {
			f(&c)
		}
		if b := r.boxes[path]; b != nil {
			c.Mailbox = max(0, b.posted.Load()-b.handled.Load())
			c.Handled, c.Restarts = b.handled.Load(), b.restarts.Load()
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.Before(out[j].Started)
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// set creates or updates an actor's state. An actor that turns failed puts its last
// event in the banner.
func (r *Registry) set(path, kind string, f func(*ActorState)) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.states[path]
	now := r.now()
	if !ok {
		s = &ActorState{Path: path, Kind: kind, Status: "waiting", Started: now}
		r.states[path] = s
	}
	was := s.Status
	f(s)
	s.Updated = now
	if s.Status == "failed" && was != "failed" {
		r.addError(path, s.LastEvent)
	}
}

// watch installs a function that refreshes a running actor's counters at snapshot time.
func (r *Registry) watch(path string, f func(*ActorState)) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.live[path] = f
	r.mu.Unlock()
}

// forget drops an actor's state (finished iteration actors, so the list stays short).
func (r *Registry) forget(path string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.states, path)
	delete(r.live, path)
	delete(r.boxes, path)
	r.mu.Unlock()
}

// step returns the timeline entry called name, adding it at the end if new. r.mu is held.
func (r *Registry) step(name string) *step {
	for _, s := range r.steps {
		if s.Name == name {
			return s
		}
	}
	s := &step{StepState: StepState{Name: name, Title: StageTitle(name), Status: "waiting", Remaining: -1}}
	r.steps = append(r.steps, s)
	return s
}

// addError adds an error to the banner once, however many actors report it. r.mu is held.
func (r *Registry) addError(source, msg string) {
	for _, e := range r.errs {
		if e.Message == msg {
			return
		}
	}
	r.errs = append(r.errs, ErrorState{Time: r.now().UTC(), Source: source, Message: msg})
}

// count records a new count and keeps the samples of the rate window.
func (s *step) count(now time.Time, done, total int64) {
	if done != s.Done || len(s.samples) == 0 {
		s.samples = append(s.samples, sample{now, done})
	}
	s.Done, s.Total = done, total
	// keep the newest sample older than the window as the rate's starting point
	i := 0
	for i+1 < len(s.samples) && now.Sub(s.samples[i+1].t) >= rateWindow {
		i++
	}
	s.samples = s.samples[i:]
}

// view returns the entry as shown at now, with its rate and time left.
func (s *step) view(now time.Time) StepState {
	v := s.StepState
	v.Rate, v.Remaining = 0, -1
	switch {
	case v.Started.IsZero():
	case !v.Ended.IsZero():
		v.Seconds = v.Ended.Sub(v.Started).Seconds()
	default:
		v.Seconds = now.Sub(v.Started).Seconds()
		if len(s.samples) > 0 {
			first := s.samples[0]
			if dt := now.Sub(first.t).Seconds(); dt > 0 && v.Done > first.done {
				v.Rate = float64(v.Done-first.done) / dt
			}
		}
		if v.Rate > 0 && v.Total >= v.Done && !v.Bounded {
			v.Remaining = float64(v.Total-v.Done) / v.Rate
		}
	}
	return v
}

// summarise sums a timeline up.
func summarise(steps []StepState, failed bool, now time.Time) SessionState {
	ss := SessionState{Status: "waiting", Total: len(steps)}
	var end time.Time
	running, ended := false, true
	for _, s := range steps {
		if !s.Started.IsZero() && (ss.Started.IsZero() || s.Started.Before(ss.Started)) {
			ss.Started = s.Started
		}
		switch s.Status {
		case "done":
			ss.Done++
			if s.Ended.After(end) {
				end = s.Ended
			}
		case "running":
			running = true
			ss.Current = s.Title
		}
		if s.Status != "done" {
			ended = false
		}
	}
	switch {
	case failed:
		ss.Status = "failed"
	case len(steps) > 0 && ended:
		ss.Status = "done"
	case running || ss.Done > 0:
		ss.Status = "running"
	}
	if !ss.Started.IsZero() {
		if ss.Status != "done" {
			end = now
		}
		ss.Seconds = end.Sub(ss.Started).Seconds()
	}
	return ss
}

// maxValueLen is how much of a disclosed value the console shows; the log on disk has all.
const maxValueLen = 160

// showValue renders a disclosed value as JSON, cut to maxValueLen characters.
func showValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	s := string(b)
	if n := len([]rune(s)); n > maxValueLen {
		s = string([]rune(s)[:maxValueLen-1]) + "…"
	}
	return strings.TrimSpace(s)
}

// counters counts an actor's mailbox traffic and lifecycle for the console. It is the
// actor's mailbox middleware (messages posted) and receiver middleware (messages
// handled, restarts) at once; the mailbox holds what was posted and not yet handled.
type counters struct {
	posted, handled, restarts atomic.Int64
}

func (c *counters) MailboxStarted() {}

func (c *counters) MessagePosted(m any) {
	switch m.(type) {
	case actor.SystemMessage, *actor.SuspendMailbox, *actor.ResumeMailbox:
	default:
		c.posted.Add(1)
	}
}

func (c *counters) MessageReceived(any) {}
func (c *counters) MailboxEmpty()       {}

func (c *counters) receive(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(ctx actor.ReceiverContext, env *actor.MessageEnvelope) {
		switch env.Message.(type) {
		case *actor.Restarting:
			c.restarts.Add(1)
		case actor.SystemMessage, actor.AutoReceiveMessage:
		default:
			c.handled.Add(1)
		}
		next(ctx, env)
	}
}
