package site

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/Sefaria/statusgen/templates"
)

// browserTestsRequired reports whether a missing browser or browser tool
// fails a test rather than skipping it: in CI (CI=true, or .ci/run's
// STATUSGEN_BROWSER_TESTS=1).
func browserTestsRequired() bool {
	return os.Getenv("STATUSGEN_BROWSER_TESTS") == "1" || os.Getenv("CI") == "true"
}

// npmFile finds a file of a package .ci/run installs from npm into
// .ci/node: at $env when set, else in the repository's .ci/node. Missing,
// it fails the test in CI and skips it locally.
func npmFile(t *testing.T, env, rel string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		path = filepath.Join("..", "..", ".ci", "node", "node_modules", filepath.FromSlash(rel))
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("%s: %v (bash .ci/run installs it from npm into .ci/node, or set %s)", rel, err, env)
		if browserTestsRequired() {
			t.Fatal(msg)
		}
		t.Skip(msg + ": skipped")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// newBrowser starts headless Chromium for one test, with nothing running
// in the background that could reach the network.
func newBrowser(t *testing.T, exe string, timeout time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(chromeDataDir(t)),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		chromedp.Cancel(ctx) // close the browser, and wait for it
		cancelTimeout()
		cancelBrowser()
		cancelAlloc()
	})
	if err := chromedp.Run(ctx); err != nil { // start the browser now, so a failure is named here
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// chromeDataDir is a profile folder for one browser, removed after the
// test. Not t.TempDir: Chromium's helper processes may still write to it
// for a moment after the browser closed, and TempDir's cleanup fails the
// test on a folder that is not empty.
func chromeDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "statusgen-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 { // up to 5 s for the last helper process to go
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("could not remove the browser profile %s", dir)
	})
	return dir
}

// colorScheme emulates the visitor's light or dark preference.
func colorScheme(scheme string) chromedp.Action {
	return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}})
}

// axeViolation is the part of an axe-core result a reader needs to fix it.
type axeViolation struct {
	ID, Impact, Help, HelpURL string
	Nodes                     []struct {
		Target         []any  `json:"target"`
		FailureSummary string `json:"failureSummary"`
	}
}

// TestAxe runs axe-core (npm axe-core, installed by .ci/run) in headless
// Chromium on every HTML page the renderer writes, in English and in
// Hebrew (right to left), light and dark, at 360
// and 1280 px, with status.js run as a visitor's browser runs it. axe is
// injected by the test, never shipped with the site. Any violation of any
// rule axe runs by default (WCAG 2.x A and AA and its best practices)
// fails, named with its impact, the elements and the fix axe suggests.
func TestAxe(t *testing.T) {
	exe := chromium(t)
	axeJS, err := os.ReadFile(npmFile(t, "AXE_CORE_JS", "axe-core/axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Render(templates.FS, dir, hebrew(fixtureInput(t))); err != nil { // English at the root, Hebrew under he/
		t.Fatal(err)
	}
	// A site with three locations, beside it: the Locations tables.
	if err := Render(templates.FS, filepath.Join(dir, "locations"), locationsInput(t)); err != nil {
		t.Fatal(err)
	}
	var pages []string
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".html") {
			rel, _ := filepath.Rel(dir, path)
			pages = append(pages, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(pages)
	for _, kind := range []string{"index.html", "notices.html", "services/linker.html", "locations/services/sefaria-org.html", "he/index.html", "he/services/linker.html", "he/history.html"} {
		if !slices.Contains(pages, kind) {
			t.Fatalf("the rendered site lacks %s; pages = %v", kind, pages)
		}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	ctx := newBrowser(t, exe, 3*time.Minute)
	for _, page := range pages {
		// One load per page; the width and the colour scheme then change
		// under it as a visitor's would (a rotated phone, a switch to dark).
		err := chromedp.Run(ctx,
			emulation.SetDeviceMetricsOverride(360, 800, 1, true),
			chromedp.Navigate(srv.URL+"/"+page),
			chromedp.WaitVisible("footer", chromedp.ByQuery),
			chromedp.Evaluate(string(axeJS), nil),
		)
		if err != nil {
			t.Fatalf("%s: chromedp: %v", page, err)
		}
		for _, scheme := range []string{"light", "dark"} {
			for _, width := range []int64{360, 1280} {
				t.Run(fmt.Sprintf("%s/%s/%d", page, scheme, width), func(t *testing.T) {
					var raw string
					err := chromedp.Run(ctx,
						emulation.SetDeviceMetricsOverride(width, 800, 1, width <= 400),
						colorScheme(scheme),
						chromedp.Evaluate(`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`, &raw,
							func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
					)
					if err != nil {
						t.Fatalf("chromedp: %v", err)
					}
					var violations []axeViolation
					if err := json.Unmarshal([]byte(raw), &violations); err != nil {
						t.Fatalf("axe's result %q: %v", raw, err)
					}
					for _, v := range violations {
						var where []string
						for _, n := range v.Nodes {
							where = append(where, fmt.Sprintf("    %v: %s", n.Target, strings.ReplaceAll(n.FailureSummary, "\n", " ")))
						}
						t.Errorf("%s (%s): %s\n  %s\n%s", v.ID, v.Impact, v.Help, v.HelpURL, strings.Join(where, "\n"))
					}
				})
			}
		}
	}
}
