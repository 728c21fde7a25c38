// Package actors runs one party's side of a Triad session as protoactor-go actors: a
// session actor supervises a stage actor for each part of steps 1–7 (handshake, hashing,
// encryption, intersection, masking, resharing), a regression actor that spawns one
// actor per solver iteration of step 8, and an actor per remote peer that watches its
// link. The protocol itself stays sequential Go in package protocol; the actors order
// the stages, own their state and report it for the debug console.
package actors

import (
	"sort"
	"sync"
	"time"
)

// ActorState is what an operator sees of one actor. It never holds data values.
type ActorState struct {
	Path      string    `json:"path"`
	Kind      string    `json:"kind"`   // session, stage, peer, regression, iteration
	Status    string    `json:"status"` // waiting, running, done, failed, stopped
	Steps     string    `json:"steps,omitempty"`
	Done      int64     `json:"done,omitempty"`
	Total     int64     `json:"total,omitempty"`
	BytesSent int64     `json:"bytes_sent,omitempty"`
	BytesRecv int64     `json:"bytes_received,omitempty"`
	Rounds    int64     `json:"rounds,omitempty"`
	LastEvent string    `json:"last_event"`
	Started   time.Time `json:"started"`
	Updated   time.Time `json:"updated"`
}

// Registry holds the state of every actor of one party, safe for concurrent use. The
// console reads it; the actors write it.
type Registry struct {
	mu     sync.Mutex
	states map[string]*ActorState
	live   map[string]func(*ActorState)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{states: make(map[string]*ActorState), live: make(map[string]func(*ActorState))}
}

// Snapshot returns every actor's state, ordered by start time then path.
func (r *Registry) Snapshot() []ActorState {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]ActorState, 0, len(r.states))
	for path, s := range r.states {
		c := *s
		if f := r.live[path]; f != nil && c.Status == "running" {
			f(&c)
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

// set creates or updates an actor's state.
func (r *Registry) set(path, kind string, f func(*ActorState)) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.states[path]
	now := time.Now()
	if !ok {
		s = &ActorState{Path: path, Kind: kind, Status: "waiting", Started: now}
		r.states[path] = s
	}
	f(s)
	s.Updated = now
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
	r.mu.Unlock()
}
