package site

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/Sefaria/statusgen/templates"
)

// chromium finds the browser. In CI (CI=true or STATUSGEN_BROWSER_TESTS=1)
// a missing browser fails the test; otherwise it is skipped.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if browserTestsRequired() {
		t.Fatal("CI=true or STATUSGEN_BROWSER_TESTS=1 but no chromium found (apt-get install chromium, or set CHROMIUM)")
	}
	t.Skip("no chromium on PATH: browser test skipped (install chromium; CI sets STATUSGEN_BROWSER_TESTS=1 to require it)")
	return ""
}

// browserLog gathers what would make the page look broken to a visitor.
type browserLog struct {
	mu       sync.Mutex
	problems []string
	requests []string
}

func (l *browserLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// TestBrowser loads the rendered fixture in headless Chromium from a local
// server: no console error, no blocked or failed request, nothing from
// another origin, every service's status in words visible, no sideways
// scrolling at 360 px, and the staleness note shown only when stale.
// Screenshots go to $ARTIFACTS_DIR when set.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	stale := filepath.Join(t.TempDir(), "stale")
	fresh := filepath.Join(t.TempDir(), "fresh")
	in := fixtureInput(t)
	if err := Render(templates.FS, stale, in); err != nil {
		t.Fatal(err)
	}
	// The fresh copy is rendered as of now; the notices move with it, so
	// the maintenance in force at fixedNow is in force now too.
	in.Generated = time.Now().UTC()
	shift := in.Generated.Sub(fixedNow)
	in.Notices = slices.Clone(in.Notices)
	for i := range in.Notices {
		in.Notices[i].Start = in.Notices[i].Start.Add(shift)
		if !in.Notices[i].End.IsZero() {
			in.Notices[i].End = in.Notices[i].End.Add(shift)
		}
	}
	if err := Render(templates.FS, fresh, in); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/stale/", http.StripPrefix("/stale/", http.FileServer(http.Dir(stale))))
	mux.Handle("/fresh/", http.StripPrefix("/fresh/", http.FileServer(http.Dir(fresh))))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var log browserLog
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning || ev.Type == runtime.APITypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				log.add("console.%s: %s", ev.Type, strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			log.add("uncaught exception: %s", ev.ExceptionDetails.Error())
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.LevelError || ev.Entry.Level == cdplog.LevelWarning {
				log.add("log %s (%s): %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			log.mu.Lock()
			log.requests = append(log.requests, ev.Request.URL)
			log.mu.Unlock()
			if !strings.HasPrefix(ev.Request.URL, srv.URL+"/") && !strings.HasPrefix(ev.Request.URL, "data:") {
				log.add("request to another origin: %s", ev.Request.URL)
			}
		case *network.EventLoadingFailed:
			log.add("request failed: %s (blocked: %s, %s)", ev.RequestID, ev.BlockedReason, ev.ErrorText)
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				log.add("HTTP %d for %s", ev.Response.Status, ev.Response.URL)
			}
		}
	})

	artifacts := os.Getenv("ARTIFACTS_DIR")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	wantStates := []string{"Operational", "Under maintenance", "Operational", "Down", "Operational"}
	for _, tc := range []struct {
		name, path string
		width      int64
		dark       bool
		stale      bool
	}{
		{"phone-light", "/stale/index.html", 360, false, true},
		{"phone-dark", "/stale/index.html", 360, true, true},
		{"desktop", "/fresh/index.html", 1280, false, false},
		{"service-page", "/stale/services/linker.html", 360, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scheme := "light"
			if tc.dark {
				scheme = "dark"
			}
			var (
				states    []string
				overflow  bool
				staleText string
				shot      []byte
			)
			err := chromedp.Run(ctx,
				network.Enable(),
				cdplog.Enable(),
				emulation.SetDeviceMetricsOverride(tc.width, 800, 1, tc.width <= 400),
				emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}),
				chromedp.Navigate(srv.URL+tc.path),
				chromedp.WaitVisible("footer", chromedp.ByQuery),
				chromedp.Sleep(100*time.Millisecond), // the deferred script has run; let late events arrive
				chromedp.Evaluate(`Array.from(document.querySelectorAll(".state")).filter(e => e.offsetParent !== null && e.getBoundingClientRect().height > 0).map(e => e.innerText.trim())`, &states),
				chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow),
				chromedp.Evaluate(`(e => e && !e.hidden ? e.innerText : "")(document.getElementById("stale"))`, &staleText),
				chromedp.FullScreenshot(&shot, 100), // 100: PNG,
			)
			if err != nil {
				t.Fatalf("chromedp: %v", err)
			}
			file := filepath.Join(artifacts, "statusgen-"+tc.name+".png")
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", file)
			if strings.HasSuffix(tc.path, "index.html") {
				var got []string
				for _, s := range states {
					got = append(got, strings.TrimSpace(strings.TrimLeft(s, "✔▲✖⚙? ")))
				}
				if strings.Join(got, "|") != strings.Join(wantStates, "|") {
					t.Errorf("visible statuses = %q, want %q", got, wantStates)
				}
			} else if len(states) != 1 || !strings.Contains(states[0], "Down") {
				t.Errorf("service page statuses = %q, want one saying Down", states)
			}
			if overflow {
				t.Errorf("the page scrolls sideways at %d px", tc.width)
			}
			if tc.stale != strings.Contains(staleText, "this page may be out of date") {
				t.Errorf("stale note = %q, want shown = %v", staleText, tc.stale)
			}
		})
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, p := range log.problems {
		t.Error(p)
	}
	if len(log.requests) == 0 {
		t.Error("the browser made no request at all; the listener is broken")
	}
}
