// Package console serves the debug console: a page that shows, live, the state of
// every actor of one or more parties (stage, progress, bytes, last event) and of the
// links between the peers. It shows no data values: the actors' state holds none.
package console

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/triad-mpc/triad/actors"
)

//go:embed index.html
var page []byte

// Party is one party whose actors the console shows.
type Party struct {
	Role     string
	Registry *actors.Registry
	// Links, if set, reports the party's links to its peers (the node's statistics).
	Links func() any
}

// State is what /api/state returns.
type State struct {
	Time    time.Time    `json:"time"`
	Parties []PartyState `json:"parties"`
}

// PartyState is one party's actors and links.
type PartyState struct {
	Role   string              `json:"role"`
	Actors []actors.ActorState `json:"actors"`
	Links  any                 `json:"links,omitempty"`
}

// Handler serves the console page at / and the state as JSON at /api/state.
func Handler(parties ...Party) http.Handler {
	sort.Slice(parties, func(i, j int) bool { return parties[i].Role < parties[j].Role })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(page)
	})
	mux.HandleFunc("GET /api/state", func(w http.ResponseWriter, _ *http.Request) {
		st := State{Time: time.Now().UTC()}
		for _, p := range parties {
			ps := PartyState{Role: p.Role, Actors: p.Registry.Snapshot()}
			if p.Links != nil {
				ps.Links = p.Links()
			}
			st.Parties = append(st.Parties, ps)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(st)
	})
	return mux
}
