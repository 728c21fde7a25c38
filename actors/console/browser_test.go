package console

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/triad-mpc/triad/actors/actorstest"
	"github.com/triad-mpc/triad/actors/console/browsertest"
	"github.com/triad-mpc/triad/protocol"
)

// pageText is what the test reads of the page: each timeline row and actor row as text,
// and each progress bar's fill.
type pageText struct {
	Steps   map[string][]string `json:"steps"`  // step name → cells
	Actors  map[string][]string `json:"actors"` // actor path → cells
	Fills   map[string]string   `json:"fills"`  // step name → width of its bar's fill
	Banner  string              `json:"banner"`
	Session string              `json:"session"`
	Body    string              `json:"body"`
}

const readPage = `(() => {
  const cells = tr => [...tr.querySelectorAll("td")].map(td => td.textContent.trim());
  const out = {steps: {}, actors: {}, fills: {}, banner: document.getElementById("banner").textContent,
    session: (document.querySelector(".party-head") || {}).textContent || "", body: document.body.innerText};
  for (const tr of document.querySelectorAll("tr[data-step]")) {
    out.steps[tr.dataset.step] = cells(tr);
    const i = tr.querySelector(".bar i");
    out.fills[tr.dataset.step] = i ? i.style.width : "";
  }
  for (const tr of document.querySelectorAll("tr[data-path]")) out.actors[tr.dataset.path] = cells(tr);
  return out;
})()`

// TestConsolePageLive opens the console in Chromium while a real three-party session
// runs: first held in step 5–6, then let go to its end. It checks what the page shows
// of controller A at both moments, keeps a screenshot of each, and looks at the third
// party's tab.
func TestConsolePageLive(t *testing.T) {
	browser := browsertest.New(t, 1360, 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := actorstest.Start(ctx, actorstest.Options{Rows: 60, HoldAt: "masking"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Wait()
	var parties []Party
	for _, r := range protocol.Roles() {
		parties = append(parties, Party{Role: r.String(), Registry: s.Regs[r]})
	}
	srv := httptest.NewServer(Handler("", parties...))
	defer srv.Close()
	defer srv.CloseClientConnections() // the page's live stream stays open
	<-s.Held()

	wait := func(cond string) pageText {
		t.Helper()
		if err := chromedp.Do(browser, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(time.Minute))); err != nil {
			got, _ := chromedp.Run(browser, chromedp.Evaluate[pageText](readPage))
			t.Fatalf("waiting for %s: %v; page shows %+v", cond, err, got)
		}
		got, err := chromedp.Run(browser, chromedp.Evaluate[pageText](readPage))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"undefined", "NaN", "null", "[object"} {
			if strings.Contains(got.Body, bad) {
				t.Fatalf("the page shows %q:\n%s", bad, got.Body)
			}
		}
		return got
	}
	state := func(step string) string {
		return `(document.querySelector('tr[data-step="` + step + `"] .pill') || {}).textContent`
	}
	if err := chromedp.Do(browser, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}

	// Held in masking: the steps before are done with full bars, masking runs with a
	// count of its rows, the later ones wait with empty bars.
	mid := wait(state("masking") + ` === "running" && ` + state("resharing") + ` === "waiting" && document.querySelector('tr[data-path="session/masking"]')`)
	for _, name := range []string{"handshake", "hashing", "encryption", "intersection"} {
		if row := mid.Steps[name]; row[2] != "done" || mid.Fills[name] != "100%" || !regexp.MustCompile(`^\d+(\.\d)? s$`).MatchString(row[7]) {
			t.Errorf("finished step %s shows %q, bar %q", name, row, mid.Fills[name])
		}
	}
	count := regexp.MustCompile(`^\d[\d,]* / \d[\d,]*$`)
	if row := mid.Steps["masking"]; !count.MatchString(row[4]) || mid.Fills["masking"] == "" {
		t.Errorf("running step shows %q, bar %q", row, mid.Fills["masking"])
	}
	for _, name := range []string{"resharing", "regression"} {
		if row := mid.Steps[name]; row[2] != "waiting" || row[4] != "–" || mid.Fills[name] != "0%" {
			t.Errorf("waiting step %s shows %q, bar %q", name, row, mid.Fills[name])
		}
	}
	if a := mid.Actors["session/masking"]; a[2] != "running" || a[1] != "stage" {
		t.Errorf("actor row %q", a)
	}
	if !strings.Contains(mid.Session, "running") || !strings.Contains(mid.Session, "Masks and blind subtraction") {
		t.Errorf("session heading %q", mid.Session)
	}
	shot(t, browser, "console.png", true)

	// Let go: the page follows the session to its end without a reload.
	s.Release()
	end := wait(state("regression") + ` === "done" && document.body.innerText.includes("coefficient")`)
	for name, row := range end.Steps {
		if row[2] != "done" || end.Fills[name] != "100%" {
			t.Errorf("after the session, step %s shows %q, bar %q", name, row, end.Fills[name])
		}
	}
	if a := end.Actors["session"]; a[2] != "done" || a[4] != "8" {
		t.Errorf("session actor row %q, want done after 8 messages", a)
	}
	if a := end.Actors["session/masking"]; a[2] != "done" {
		t.Errorf("masking actor row %q", a)
	}
	if end.Banner != "" {
		t.Errorf("error banner %q", end.Banner)
	}
	if !strings.Contains(end.Body, "intersection_size") {
		t.Error("the disclosure log lacks the intersection size")
	}
	shot(t, browser, "console-done.png", false)

	// Each party has a tab; the third party's timeline has no keyed hashing.
	tp := wait(`(() => { const b = [...document.querySelectorAll("nav button")].find(b => b.textContent === "third-party");
		if (b && !b.classList.contains("on")) b.click();
		return document.getElementById("party-third-party") && document.querySelectorAll("nav button").length === 3; })()`)
	if _, ok := tp.Steps["hashing"]; ok || len(tp.Steps) != 7 || tp.Steps["intersection"][2] != "done" {
		t.Errorf("third party's timeline %v", tp.Steps)
	}
}

// TestConsolePageBanner checks that a failed session's error shows in the banner.
func TestConsolePageBanner(t *testing.T) {
	browser := browsertest.New(t, 1360, 800)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := actorstest.Start(ctx, actorstest.Options{Rows: 20, HoldAt: "encryption"})
	if err != nil {
		t.Fatal(err)
	}
	<-s.Held()
	cancel() // the operator stops the session
	s.Wait()
	srv := httptest.NewServer(Handler("", Party{Role: "controller-a", Registry: s.Regs[protocol.ControllerA]}))
	defer srv.Close()
	defer srv.CloseClientConnections() // the page's live stream stays open
	if err := chromedp.Do(browser, chromedp.Navigate(srv.URL+"/"),
		chromedp.Poll[chromedp.Void](`document.getElementById("banner").textContent.includes("context canceled")`, chromedp.WithPollingTimeout(time.Minute))); err != nil {
		body, _ := chromedp.Run(browser, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("no banner: %v\n%s", err, body)
	}
}

func shot(t *testing.T, browser context.Context, name string, docs bool) {
	t.Helper()
	png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if docs {
		browsertest.SaveForDocs(t, name, png)
	} else {
		browsertest.Save(t, name, png)
	}
}
