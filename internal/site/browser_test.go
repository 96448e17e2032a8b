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
	"github.com/chromedp/chromedp/kb"

	"github.com/Sefaria/statusgen/internal/uptime"
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

// browserContext starts a headless Chromium for the test, closed when it
// ends (see newBrowser).
func browserContext(t *testing.T, exe string) context.Context {
	t.Helper()
	return newBrowser(t, exe, 90*time.Second)
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

	ctx := browserContext(t, exe)

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

	artifacts := artifactsDir(t)
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

// longName is a 300-character name without a space to break at.
var longName = strings.Repeat("Sefaria", 43)[:300]

// hebrewNames are long right-to-left names, one a single long word.
var hebrewNames = []string{
	"ספריא — ספרייה חיה של טקסטים יהודיים, שירות הקישורים האוטומטי למקורות",
	"שירותהקישוריםהאוטומטילמקורותשלספריאבעבריתובאנגליתולכלהשפות",
}

// phoneInput is the fixture with names and lists that strain a narrow
// screen: a 300-character name, long Hebrew names in a group, and 70
// incidents.
func phoneInput(t *testing.T) Input {
	in := fixtureInput(t)
	in.Services = append(slices.Clone(in.Services),
		Service{Name: longName, Status: uptime.Up, LastCheck: fixedNow, LastSuccess: fixedNow, LastMS: 99},
		Service{Name: hebrewNames[0], Group: "שירותים בעברית — Hebrew services", Status: uptime.Up, LastCheck: fixedNow, LastSuccess: fixedNow, LastMS: 99},
		Service{Name: hebrewNames[1], Group: "שירותים בעברית — Hebrew services", Status: uptime.Down, Confirmed: true, Since: fixedNow.Add(-12 * time.Minute), LastCheck: fixedNow, LastError: uptime.ErrTimeout},
	)
	for i := range 70 {
		since := fixedNow.Add(-time.Duration(i+1) * 29 * time.Hour)
		name := []string{longName, hebrewNames[0], hebrewNames[1]}[i%3]
		in.Incidents = append(in.Incidents, uptime.Incident{ID: fmt.Sprintf("strain-%02d", i), Service: name,
			Since: since, Until: since.Add(17 * time.Minute), Seconds: 17 * 60, Error: uptime.ErrStatus})
	}
	return in
}

// TestBrowserNarrowAndWide renders pages full of long names at 360 and 1280
// px and checks what a visitor on a phone or a keyboard would notice: no
// sideways scrolling, the bar's legend shown, 30 days on a phone and 90 on
// a desktop, day cells reached with Tab, and a focused day showing its
// details (date and uptime) inside the screen.
func TestBrowserNarrowAndWide(t *testing.T) {
	exe := chromium(t)
	srv := serveRendered(t, phoneInput(t))
	ctx := browserContext(t, exe)
	artifacts := artifactsDir(t)
	type focused struct {
		Tabs              int
		Tip               string
		Left, Right, Wide float64
	}
	for _, tc := range []struct {
		name, path string
		width      int64
		days       int
	}{
		{"index-360", "/index.html", 360, 30},
		{"index-1280", "/index.html", 1280, 90},
		{"long-name-360", "/services/" + uptime.Slug(longName) + ".html", 360, 30},
		{"hebrew-360", "/services/" + uptime.Slug(hebrewNames[1]) + ".html", 360, 30},
		{"hebrew-1280", "/services/" + uptime.Slug(hebrewNames[1]) + ".html", 1280, 90},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				overflow, legend bool
				days             int
				f                focused
				shot             []byte
			)
			actions := []chromedp.Action{
				emulation.SetDeviceMetricsOverride(tc.width, 800, 1, tc.width <= 400),
				chromedp.Navigate(srv.URL + tc.path),
				chromedp.WaitVisible("footer", chromedp.ByQuery),
				chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow),
				chromedp.Evaluate(`(l => !!l && l.getBoundingClientRect().height > 0 && getComputedStyle(l).visibility === "visible")(document.querySelector(".legend"))`, &legend),
				chromedp.Evaluate(`Array.from(document.querySelector(".days").children).filter(li => li.getBoundingClientRect().width > 0).length`, &days),
				chromedp.Evaluate(`document.activeElement && document.activeElement.blur()`, nil),
			}
			if tc.path == "/index.html" {
				actions = slices.Insert(actions, 4, chromedp.Action(chromedp.Evaluate(`(document.querySelector(".legend") || document.body).scrollIntoView()`, nil)))
			}
			if err := chromedp.Run(ctx, actions...); err != nil {
				t.Fatalf("chromedp: %v", err)
			}
			// Tab from the top of the page until a day cell has the focus.
			for f.Tabs = 1; f.Tabs <= 60; f.Tabs++ {
				var onDay bool
				if err := chromedp.Run(ctx,
					chromedp.KeyEvent(kb.Tab),
					chromedp.Evaluate(`!!document.activeElement.closest(".days")`, &onDay),
				); err != nil {
					t.Fatalf("chromedp: %v", err)
				}
				if onDay {
					break
				}
			}
			if err := chromedp.Run(ctx,
				chromedp.Evaluate(`(s => { const r = s.getBoundingClientRect(); return {Tabs: 0, Tip: s.innerText, Left: r.left, Right: r.right, Wide: r.width} })(document.activeElement.querySelector("span"))`, &f),
				chromedp.FullScreenshot(&shot, 100),
			); err != nil {
				t.Fatalf("chromedp: %v", err)
			}
			file := filepath.Join(artifacts, "statusgen-strain-"+tc.name+".png")
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", file)
			if overflow {
				t.Errorf("the page scrolls sideways at %d px", tc.width)
			}
			if !legend {
				t.Errorf("no visible legend for the bar at %d px", tc.width)
			}
			if days != tc.days {
				t.Errorf("the bar shows %d days at %d px, want %d", days, tc.width, tc.days)
			}
			if f.Wide < 100 || !strings.Contains(f.Tip, "20") || !(strings.Contains(f.Tip, "up") || strings.Contains(f.Tip, "No data")) {
				t.Errorf("the focused day's details = %q, %.0f px wide: want its date and uptime shown", f.Tip, f.Wide)
			}
			if f.Left < 0 || f.Right > float64(tc.width) {
				t.Errorf("the focused day's details span %.0f to %.0f px, outside the %d px screen", f.Left, f.Right, tc.width)
			}
		})
	}
}

// serveRendered renders in into a new folder and serves it over http until
// the test ends.
func serveRendered(t *testing.T, in Input) *httptest.Server {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "site")
	if err := Render(templates.FS, dir, in); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv
}

// artifactsDir is where a browser test leaves its screenshots: CI's
// $ARTIFACTS_DIR, kept as the run's artifacts, else a folder of the test's.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
