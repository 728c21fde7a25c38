// Package browsertest opens pages in a headless Chromium for the tests of what Triad
// shows a person (the console, the report), and keeps screenshots of them.
//
// The browser is Debian's chromium, driven with chromedp. Without it a test is skipped,
// unless CI is set: there the browser is part of the machine and its absence fails.
// Screenshots go under $TRIAD_ARTIFACTS (or the test's temporary folder); with
// TRIAD_UPDATE_DOCS=1 a copy also goes into docs/ for the README.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// ExecPath is where Debian installs chromium; $TRIAD_CHROMIUM overrides it.
const ExecPath = "/usr/bin/chromium"

// New starts a fresh headless Chromium for t and returns a context to drive it with
// chromedp; the browser stops when t ends.
func New(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := ExecPath
	if p := os.Getenv("TRIAD_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs %s to test pages: %v", path, err)
		}
		t.Skipf("no browser to test pages with (%v); install Debian's chromium", err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action starts the browser; it must not run under a timeout of its own.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// Save keeps a screenshot (PNG) named name under $TRIAD_ARTIFACTS if set, else in the
// test's temporary folder, and returns its path.
func Save(t *testing.T, name string, png []byte) string {
	t.Helper()
	dir := os.Getenv("TRIAD_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// SaveForDocs saves like Save and, with TRIAD_UPDATE_DOCS=1, also writes the picture
// to docs/name at the module's root, where the README shows it.
func SaveForDocs(t *testing.T, name string, png []byte) string {
	t.Helper()
	path := Save(t, name, png)
	if os.Getenv("TRIAD_UPDATE_DOCS") != "1" {
		return path
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	docs := filepath.Join(root, "docs", name)
	if err := os.MkdirAll(filepath.Dir(docs), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(docs, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("README copy: %s", docs)
	return path
}

// moduleRoot is the nearest folder above the working directory with a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", os.ErrNotExist
		}
		dir = up
	}
}
