// Package console serves the debug console of a Triad node: a page that shows, live,
// each party's session as a timeline of its steps, its actors, its links to the other
// parties, its disclosure log and its errors, and the same state as JSON.
//
// The console shows what an operator needs to tell a slow step from a hang, and nothing
// a party must not show: the registry it reads holds counts, timings, byte totals and
// what the party itself learned (its disclosure log), never a data value, an
// identifier or a key. It listens on loopback unless told otherwise; on any other
// address every request must carry a token made at start-up, since the page would
// otherwise be open to the hospital's whole network.
package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/triad-mpc/triad/actors"
)

//go:embed index.html
var page []byte

// Party is one party whose state the console shows.
type Party struct {
	Role     string
	Registry *actors.Registry
}

// State is what /api/state returns and /api/events pushes.
type State struct {
	Time    time.Time    `json:"time"`
	Parties []PartyState `json:"parties"`
}

// PartyState is one party's state.
type PartyState struct {
	Role string `json:"role"`
	actors.State
}

// Snapshot returns the parties' state now.
func Snapshot(parties ...Party) State {
	st := State{Time: time.Now().UTC(), Parties: make([]PartyState, 0, len(parties))}
	for _, p := range parties {
		st.Parties = append(st.Parties, PartyState{Role: p.Role, State: p.Registry.State()})
	}
	sort.Slice(st.Parties, func(i, j int) bool { return st.Parties[i].Role < st.Parties[j].Role })
	return st
}

// pushEvery is how often /api/events sends the state while it changes.
const pushEvery = 500 * time.Millisecond

// Handler serves the console page at /, the state as JSON at /api/state and as a
// stream of server-sent events at /api/events. If token is not empty, every request
// must carry it, as "Authorization: Bearer TOKEN" or as the query parameter token;
// if it is empty, only requests addressed to a loopback host name are answered (a
// page elsewhere cannot reach the console by pointing a name of its own at 127.0.0.1).
func Handler(token string, parties ...Party) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("GET /api/state", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(Snapshot(parties...))
	})
	mux.HandleFunc("GET /api/events", func(w http.ResponseWriter, r *http.Request) {
		flusher, ok := w.(http.Flusher)
		if !ok {
			http.Error(w, "streaming unsupported", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		t := time.NewTicker(pushEvery)
		defer t.Stop()
		var last []byte
		for {
			st := Snapshot(parties...)
			b, err := json.Marshal(st.Parties)
			if err != nil {
				return
			}
			if !bytes.Equal(b, last) {
				last = b
				b, _ = json.Marshal(st)
				fmt.Fprintf(w, "data: %s\n\n", b)
			} else {
				fmt.Fprint(w, ": unchanged\n\n")
			}
			flusher.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-t.C:
			}
		}
	})
	return guard(token, mux)
}

// guard refuses requests without the token (or, with none, not addressed to loopback)
// and sets the headers every answer carries: nothing is cached, nothing is loaded from
// elsewhere, and the token never leaves in a Referer.
func guard(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "+
			"connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		if token == "" {
			if !loopbackHost(r.Host) {
				http.Error(w, "the console answers on loopback only", http.StatusForbidden)
				return
			}
		} else if !hasToken(r, token) {
			h.Set("WWW-Authenticate", `Bearer realm="triad console"`)
			http.Error(w, "this console needs its token: open the address printed at start-up, or run triad console ADDR --token TOKEN", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func hasToken(r *http.Request, token string) bool {
	got := r.URL.Query().Get("token")
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		got = strings.TrimPrefix(a, "Bearer ")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// loopbackHost reports whether host (a Host header or listen address, with or without
// a port) names the loopback interface.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Server is a running console.
type Server struct {
	srv    *http.Server
	addr   net.Addr
	token  string
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// Start serves the console for parties on addr (host:port). On a loopback address it
// needs no token; on any other (including ":port", every interface) it makes a random
// token that every request must carry: print URL or Token for the operator.
func Start(addr string, parties ...Party) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("console address %q: want host:port, e.g. 127.0.0.1:7070", addr)
	}
	var token string
	if !loopbackHost(host) {
		b := make([]byte, 16)
		rand.Read(b)
		token = hex.EncodeToString(b)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{addr: l.Addr(), token: token, cancel: cancel, done: make(chan error, 1)}
	s.srv = &http.Server{
		Handler:           Handler(token, parties...),
		ReadHeaderTimeout: 5 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() {
		err := s.srv.Serve(l)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// Addr is the address the console listens on.
func (s *Server) Addr() net.Addr { return s.addr }

// Token is what every request must carry, or "" on loopback.
func (s *Server) Token() string { return s.token }

// URL is the page's address, with the token if there is one.
func (s *Server) URL() string {
	u := url.URL{Scheme: "http", Host: s.addr.String(), Path: "/"}
	if s.token != "" {
		u.RawQuery = url.Values{"token": {s.token}}.Encode()
	}
	return u.String()
}

// Close stops the console and ends the live streams of open pages.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.cancel()
		s.err = s.srv.Close()
		if err := <-s.done; s.err == nil {
			s.err = err
		}
	})
	return s.err
}
