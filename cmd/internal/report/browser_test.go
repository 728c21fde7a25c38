package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/triad-mpc/triad/actors/console/browsertest"
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
	browser := browsertest.New(t, 1000, 1480)
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
	full, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Save(t, "report-full.png", full)
	top, err := chromedp.Run(browser, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	browsertest.SaveForDocs(t, "report.png", top)

	// Printed on A4 (182 mm between the page's margins, 688 CSS pixels), nothing is
	// wider than the paper.
	if err := chromedp.Do(browser, chromedp.EmulateViewport(688, 1000), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	wide, err := chromedp.Run(browser, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if wide > 688 {
		culprits, _ := chromedp.Run(browser, chromedp.Evaluate[[]string](`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 688).slice(0, 8).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))`))
		t.Errorf("printed, the report is %d px wide for 688 px of paper: %v", wide, culprits)
	}
	printed, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Save(t, "report-print.png", printed)
	yes := true
	pdf, err := chromedp.Run(browser, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, tg, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
		return r.Data, err
	})
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("print to PDF: %v", err)
	}
	browsertest.Save(t, "report.pdf", pdf)
}
