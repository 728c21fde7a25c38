package console

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/triad-mpc/triad/actors/actorstest"
	"github.com/triad-mpc/triad/protocol"
)

func get(t *testing.T, url string, h http.Handler, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestConsoleShowsASession runs a three-party session watched by the console and checks
// that the state shows its timeline, actors, links and disclosures once it is over.
func TestConsoleShowsASession(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := actorstest.Start(ctx, actorstest.Options{Rows: 40})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	h := Handler("", Party{Role: "controller-a", Registry: s.Regs[protocol.ControllerA]})
	w := get(t, "http://127.0.0.1:7070/api/state", h, nil)
	var st State
	if err := json.NewDecoder(w.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if len(st.Parties) != 1 || st.Parties[0].Role != "controller-a" {
		t.Fatalf("parties %+v", st.Parties)
	}
	p := st.Parties[0]
	var names []string
	for _, s := range p.Steps {
		names = append(names, s.Name)
		if s.Status != "done" || s.Seconds <= 0 || s.Title == "" {
			t.Errorf("step %+v", s)
		}
	}
	if got := strings.Join(names, " "); got != "handshake hashing encryption intersection cohort masking resharing regression" {
		t.Errorf("timeline %s", got)
	}
	if p.Session.Status != "done" || p.Session.Done != 8 {
		t.Errorf("session %+v", p.Session)
	}
	handled := map[string]int64{}
	for _, a := range p.Actors {
		handled[a.Path] = a.Handled
	}
	for _, path := range []string{"session", "session/hashing", "session/intersection", "session/resharing", "session/regression", "peer/third-party"} {
		if _, ok := handled[path]; !ok {
			t.Errorf("no actor %s in %v", path, handled)
		}
	}
	// The session actor hears from each of its 7 stages and the regression; the
	// regression from each iteration.
	if handled["session"] != 8 || handled["session/regression"] < 2 {
		t.Errorf("messages handled %v", handled)
	}
	if len(p.Peers) != 2 || p.Peers[1].Role != "third-party" || p.Peers[1].BytesSent == 0 {
		t.Errorf("peers %+v", p.Peers)
	}
	what := map[string]bool{}
	for _, d := range p.Disclosures {
		what[d.What] = true
	}
	if !what["intersection_size"] || !what["coefficient"] || !what["r2"] {
		t.Errorf("disclosures %+v", p.Disclosures)
	}

	page := get(t, "http://localhost:7070/", h, nil)
	if page.Code != 200 || !strings.Contains(page.Body.String(), "Triad console") || !strings.Contains(page.Body.String(), "api/events") {
		t.Fatalf("page %d", page.Code)
	}
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("page without a content security policy: %q", csp)
	}
	for _, ref := range []string{"http://", "https://", "//cdn", "<link", "src="} {
		if strings.Contains(page.Body.String(), ref) {
			t.Errorf("the page loads something from elsewhere (%q)", ref)
		}
	}
	if w := get(t, "http://127.0.0.1:7070/nope", h, nil); w.Code != http.StatusNotFound {
		t.Fatalf("unknown path answered %d", w.Code)
	}
}

// TestAccess checks who the console answers: loopback names without a token, and
// anyone with the token when it has one.
func TestAccess(t *testing.T) {
	open := Handler("")
	for host, want := range map[string]int{
		"127.0.0.1:7070": 200, "localhost:7070": 200, "[::1]:7070": 200, "127.0.0.2": 200,
		"attacker.example:7070": 403, "10.1.2.3:7070": 403, "": 403,
	} {
		req := httptest.NewRequest("GET", "/api/state", nil)
		req.Host = host
		w := httptest.NewRecorder()
		open.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("Host %q answered %d, want %d", host, w.Code, want)
		}
	}
	const tok = "0123456789abcdef"
	h := Handler(tok)
	for _, c := range []struct {
		url    string
		header map[string]string
		want   int
	}{
		{"http://ward-3.hospital.example:7070/api/state", nil, 401},
		{"http://ward-3.hospital.example:7070/", nil, 401},
		{"http://ward-3.hospital.example:7070/api/state?token=wrong", nil, 401},
		{"http://ward-3.hospital.example:7070/api/state?token=" + tok, nil, 200},
		{"http://ward-3.hospital.example:7070/?token=" + tok, nil, 200},
		{"http://ward-3.hospital.example:7070/api/state", map[string]string{"Authorization": "Bearer " + tok}, 200},
		{"http://ward-3.hospital.example:7070/api/state", map[string]string{"Authorization": "Bearer x" + tok}, 401},
	} {
		if w := get(t, c.url, h, c.header); w.Code != c.want {
			t.Errorf("%s %v answered %d, want %d", c.url, c.header, w.Code, c.want)
		}
	}
}

// TestStart checks that a console on every interface makes a token and one on
// loopback needs none, and that the live stream pushes the state.
func TestStart(t *testing.T) {
	s, err := Start("0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Token()) != 32 || !strings.Contains(s.URL(), "token="+s.Token()) {
		t.Errorf("a console on every interface has token %q (URL %s)", s.Token(), s.URL())
	}
	s.Close()
	if _, err := Start("7070"); err == nil {
		t.Error("an address without a port was accepted")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sess, err := actorstest.Start(ctx, actorstest.Options{Rows: 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Wait(); err != nil {
		t.Fatal(err)
	}
	s, err = Start("127.0.0.1:0", Party{Role: "third-party", Registry: sess.Regs[protocol.ThirdParty]})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Token() != "" || !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("loopback console: token %q, URL %s", s.Token(), s.URL())
	}
	resp, err := http.Get(s.URL() + "api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events served as %q", ct)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	var st State
	if !strings.HasPrefix(line, "data: ") || json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &st) != nil {
		t.Fatalf("first event %q", line)
	}
	if len(st.Parties) != 1 || st.Parties[0].Session.Status != "done" {
		t.Fatalf("pushed state %+v", st)
	}
	// Close ends the open stream instead of waiting for it.
	s.Close()
}
