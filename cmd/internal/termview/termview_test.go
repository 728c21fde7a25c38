package termview

import (
	"bytes"
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/triad-mpc/triad/actors/actorstest"
	"github.com/triad-mpc/triad/actors/console"
	"github.com/triad-mpc/triad/protocol"
)

// TestTerminalView draws the console of a session held in step 5–6, as plain lines and
// with ANSI, through the token-protected JSON endpoint.
func TestTerminalView(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := actorstest.Start(ctx, actorstest.Options{Rows: 40, HoldAt: "masking"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Wait()
	<-s.Held()
	const tok = "5e3c0ffee"
	srv := httptest.NewServer(console.Handler(tok, console.Party{Role: "controller-a", Registry: s.Regs[protocol.ControllerA]}))
	defer srv.Close()

	if err := Run(ctx, new(bytes.Buffer), srv.URL, "", time.Second, true, Options{}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("without the token: %v", err)
	}
	var plain bytes.Buffer
	if err := Run(ctx, &plain, srv.URL, tok, time.Second, true, Options{Width: 120}); err != nil {
		t.Fatal(err)
	}
	out := plain.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^controller-a  running  5 of 8 parts done · now: Masks and blind subtraction · \d+\.\d s elapsed$`),
		regexp.MustCompile(`(?m)^    3      Paillier encryption +done +\[#{20}\] 100% +40 / 40 +– +– +\d+\.\d s +\d+\.\d kB$`),
		regexp.MustCompile(`(?m)^    5–6    Masks and blind subtraction +running +\[[#-]{20}\] +\d+% +\d+ / 30 `),
		regexp.MustCompile(`(?m)^    8      Secure lasso +waiting +\[-{20}\] +– +– +– +– +–$`),
		regexp.MustCompile(`(?m)^    third-party +– +in-memory +yes · up +– +[\d.]+ k?B +[\d.]+ k?B$`),
		regexp.MustCompile(`(?m)^    \d\d:\d\d:\d\d +4 +third-party +intersection_size +30$`),
		regexp.MustCompile(`(?m)^    session/masking +stage +running +0 +0 +0 +started$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("no line matching %s in\n%s", want, out)
		}
	}
	for _, bad := range []string{"undefined", "NaN", "\x1b", "<nil>", "%!"} {
		if strings.Contains(out, bad) {
			t.Errorf("plain output holds %q:\n%s", bad, out)
		}
	}

	// The address the node prints carries the token.
	if err := Run(ctx, new(bytes.Buffer), srv.URL+"/?token="+tok, "", time.Second, true, Options{}); err != nil {
		t.Fatalf("with the token in the address: %v", err)
	}
	var ansi bytes.Buffer
	if err := Run(ctx, &ansi, srv.URL+"/", tok, time.Second, true, Options{ANSI: true, Width: 120}); err != nil {
		t.Fatal(err)
	}
	if a := ansi.String(); !strings.HasPrefix(a, "\x1b[H\x1b[2J") || !strings.Contains(a, green+"████") || !strings.Contains(a, "5–6") {
		t.Errorf("ANSI output:\n%s", a)
	}
}

func TestTableWidths(t *testing.T) {
	tb := table{heads: []string{"A", "N", "LAST"}, right: map[int]bool{1: true}}
	tb.add(green+"done"+reset, "7", strings.Repeat("x", 40))
	tb.add("waiting", "1,234", "short")
	lines := tb.lines(30, func(_, s string) string { return s })
	want := []string{
		"A            N  LAST",
		green + "done" + reset + "         7  xxxxxxxxxxx…",
		"waiting  1,234  short",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%q\nwant\n%q", lines, want)
	}
}
