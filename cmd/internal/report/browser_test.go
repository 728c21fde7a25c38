package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/triad-mpc/triad/internal/browsertest"
)

// chartCounts is what the test reads of the rendered page.
type chartCounts struct {
	Features int `json:"features"` // rows of the coefficient chart: bars and zero marks
	Bars     int `json:"bars"`
	Zeros    int `json:"zeros"`
	Points   int `json:"points"`
	Curve    int `json:"curve"`
	Chosen   int `json:"chosen"`
	Spans    int `json:"spans"`
	BarWidth int `json:"bar_width"` // narrowest coefficient bar on screen, in pixels
}

const countCharts = `(() => {
  const q = s => document.querySelectorAll(s).length;
  const bars = [...document.querySelectorAll("#coefficients rect.bar")];
  return {features: q("#coefficients rect.bar") + q("#coefficients circle.zero"), bars: bars.length,
    zeros: q("#coefficients circle.zero"), points: q("#cv circle.point"), curve: q("#cv polyline.curve"),
    chosen: q("#cv line.chosen"), spans: q("#timing rect.span"),
    bar_width: Math.floor(Math.min(...bars.map(b => b.getBoundingClientRect().width)))};
})()`

// TestReportPage opens report.html in Chromium from a file, as an analyst would, and
// checks one bar per feature, the cross-validation curve and the timing bars.
func TestReportPage(t *testing.T) {
	browser := browsertest.New(t, 1000, 1200)
	r := sampleReport(t, true)
	path := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, r); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := chromedp.Do(browser, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(browser, chromedp.Evaluate[chartCounts](countCharts))
	if err != nil {
		t.Fatal(err)
	}
	want := chartCounts{Features: len(r.Features), Bars: len(r.Features) - 1, Zeros: 1, Points: len(r.CV.Alphas), Curve: 1, Chosen: 1, Spans: len(r.Steps), BarWidth: got.BarWidth}
	if got != want || got.BarWidth < 1 {
		t.Fatalf("page shows %+v, want %+v", got, want)
	}
	text, err := chromedp.Run(browser, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"undefined", "NaN", "<no value>", "%!"} {
		if strings.Contains(text, bad) {
			t.Errorf("the page shows %q", bad)
		}
	}
	png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Save(t, "report.png", png)
}
