package report

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/triad-mpc/triad/actors/actorstest"
	"github.com/triad-mpc/triad/actors/console"
	"github.com/triad-mpc/triad/cmd/internal/termview"
	"github.com/triad-mpc/triad/protocol"
)

// TestNothingOfTheInputIsShown runs a three-party session and scans everything an
// operator or analyst sees of it — the console's JSON and live stream, its page, the
// terminal view and report.html — half-way through and at the end, for every
// identifier and attribute value of the input.
func TestNothingOfTheInputIsShown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := actorstest.Start(ctx, actorstest.Options{Rows: 60, HoldAt: "resharing"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Wait()

	// The scan finds what it looks for: an identifier, a decoded value, an encoded one.
	probe := fmt.Sprintf(`{"id":%q,"x":%v,"e":%d}`, s.IDs[7], s.Settings.Join.Fixed.Decode(s.Encoded[5]), s.Encoded[11])
	if got := s.Leaks(probe); len(got) != 3 {
		t.Fatalf("the scan finds %v in %s", got, probe)
	}

	var parties []console.Party
	for _, r := range protocol.Roles() {
		parties = append(parties, console.Party{Role: r.String(), Registry: s.Regs[r]})
	}
	srv := httptest.NewServer(console.Handler("", parties...))
	defer srv.Close()
	fetch := func(path string) string {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if path == "/api/events" {
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			return line
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	scan := func(when string) {
		t.Helper()
		shown := map[string]string{
			"console JSON":  fetch("/api/state"),
			"console event": fetch("/api/events"),
			"console page":  fetch("/"),
		}
		for _, ansi := range []bool{false, true} {
			var b bytes.Buffer
			if err := termview.Run(ctx, &b, srv.URL, "", time.Second, true, termview.Options{ANSI: ansi}); err != nil {
				t.Fatal(err)
			}
			shown[fmt.Sprintf("terminal view (ANSI %v)", ansi)] = b.String()
		}
		for what, text := range shown {
			if len(text) < 100 {
				t.Fatalf("%s %s: too little to scan: %q", when, what, text)
			}
			if got := s.Leaks(text); len(got) > 0 {
				t.Errorf("%s, the %s shows input data: %v", when, what, got)
			}
		}
		if !strings.Contains(shown["console JSON"], `"role":"third-party"`) {
			t.Fatalf("%s: the console JSON lacks a party", when)
		}
	}

	<-s.Held()
	scan("half-way")
	outs, err := s.Wait()
	if err != nil {
		t.Fatal(err)
	}
	scan("at the end")

	r := fromSession(t, s, outs)
	r.CV = crossValidate(s.X, s.Y, []float64{0.001, 0.01, 0.1, 1}, 4)
	var b bytes.Buffer
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if got := s.Leaks(b.String()); len(got) > 0 {
		t.Errorf("report.html shows input data: %v", got)
	}
	if !strings.Contains(b.String(), "intersection_size") {
		t.Fatal("report.html lacks the disclosure logs")
	}
}
