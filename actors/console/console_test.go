package console

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/session"
)

// TestConsoleShowsActors runs a session whose controller-a is watched by the console,
// and checks that the state endpoint lists its actors and the page is served.
func TestConsoleShowsActors(t *testing.T) {
	reg := actors.NewRegistry()
	srv := httptest.NewServer(Handler(Party{Role: "controller-a", Registry: reg, Links: func() any { return map[string]string{"third-party": "up"} }}))
	defer srv.Close()

	p := session.Default()
	p.Join.PaillierBits = 1024
	p.Model.MinRows = 20
	a := &join.Table{Columns: []string{"x", "y"}, Outcome: "y"}
	b := &join.Table{Columns: []string{"z"}}
	for i := range 30 {
		id := string(rune('A'+i%26)) + string(rune('a'+i/26))
		a.IDs, a.Rows = append(a.IDs, []byte(id)), append(a.Rows, []int64{int64(i) << 24, int64(3*i+i%4) << 24})
		b.IDs, b.Rows = append(b.IDs, []byte(id)), append(b.Rows, []int64{int64(i%7) << 24})
	}
	net := protocol.NewMemNetwork()
	defer net.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tables := map[protocol.Role]*join.Table{protocol.ControllerA: a, protocol.ControllerB: b}
	if _, err := protocol.RunParties(ctx, func(ctx context.Context, r protocol.Role) (*session.Outcome, error) {
		var watch *actors.Registry
		if r == protocol.ControllerA {
			watch = reg
		}
		return actors.Run(ctx, actors.Config{Transport: net.Transport(r), Settings: p,
			Options: []session.Option{session.WithTestKeys()}, Table: tables[r]}, watch)
	}); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(srv.URL + "/api/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if len(st.Parties) != 1 || st.Parties[0].Role != "controller-a" || st.Parties[0].Links == nil {
		t.Fatalf("state = %+v", st)
	}
	status := map[string]string{}
	for _, a := range st.Parties[0].Actors {
		status[a.Path] = a.Status
	}
	for _, path := range []string{"session", "session/hashing", "session/intersection", "session/resharing", "session/regression", "peer/third-party"} {
		if _, ok := status[path]; !ok {
			t.Fatalf("the console does not show actor %s (it shows %v)", path, status)
		}
	}
	if status["session"] != "done" {
		t.Fatalf("session shown as %q", status["session"])
	}

	page, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.Contains(string(body), "Triad console") || !strings.Contains(string(body), "api/state") {
		t.Fatal("the page is not the console")
	}
	if r, _ := http.Get(srv.URL + "/nope"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path answered %d", r.StatusCode)
	}
}
