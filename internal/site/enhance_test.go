package site

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/Sefaria/statusgen/templates"
)

// pageHost serves dir as a static host would, and reports each HTML page
// requested with GET (the index as "/": FileServer redirects index.html
// there), so a test can tell when the browser reloaded a page without
// polling the page, and each HEAD request. While failing is set it
// answers every request 503, as a host in trouble does.
type pageHost struct {
	*httptest.Server
	loads, heads chan string
	failing      atomic.Bool
}

func newPageHost(t *testing.T, dir string) *pageHost {
	t.Helper()
	h := &pageHost{loads: make(chan string, 64), heads: make(chan string, 64)}
	files := http.FileServer(http.Dir(dir))
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".html") || strings.HasSuffix(r.URL.Path, "/") {
			c := h.loads
			if r.Method == http.MethodHead {
				c = h.heads
			}
			select {
			case c <- r.URL.Path:
			default:
			}
		}
		if h.failing.Load() {
			http.Error(w, "host in trouble", http.StatusServiceUnavailable)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

// TestBrowserRefresh holds the auto-refresh to WCAG 2.2.1 in Chromium: with
// JavaScript the page reloads itself, keeping the scroll position; the
// "Pause auto-refresh" button stops it, the pause lasts across a reload,
// and pressing it again resumes; while the host answers 503 the page is
// kept rather than replaced by an error. Without JavaScript the
// <noscript> meta refresh still reloads the page. The refresh is set to 2 s so that the
// test waits seconds, not minutes; waiting out a pause is real time,
// because the browser's timer is the clock under test.
func TestBrowserRefresh(t *testing.T) {
	exe := chromium(t)
	const refresh = 2 * time.Second
	in := fixtureInput(t)
	in.Refresh = int(refresh / time.Second)
	dir := t.TempDir()
	if err := Render(templates.FS, dir, in); err != nil {
		t.Fatal(err)
	}
	srv := newPageHost(t, dir)
	loads := srv.loads
	ctx := newBrowser(t, exe, 2*time.Minute)

	reloaded := func(t *testing.T, within time.Duration) {
		t.Helper()
		select {
		case p := <-loads:
			if p != "/" {
				t.Fatalf("the browser loaded %s, want the index again", p)
			}
		case <-time.After(within):
			t.Fatalf("no reload within %v of a %v refresh", within, refresh)
		}
		// The new document (without the old one's mark) is in place once
		// it has run its deferred script. Polling may meet the old one as
		// it goes away (an error); then it asks again.
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := chromedp.Run(ctx, chromedp.Poll(`!window.statusgenOld && document.readyState === "complete" && !document.getElementById("refresh").hidden`, nil,
				chromedp.WithPollingTimeout(time.Until(deadline))))
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the reloaded page: %v", err)
			}
		}
	}
	// mark marks the document in place, to tell it from the next one.
	mark := chromedp.Evaluate(`window.statusgenOld = true`, nil)
	control := func(t *testing.T) (pressed, note string) {
		t.Helper()
		var visible bool
		err := chromedp.Run(ctx,
			chromedp.Evaluate(`(b => b.offsetParent !== null && b.getBoundingClientRect().height > 0)(document.querySelector("#refresh button"))`, &visible),
			chromedp.Evaluate(`document.querySelector("#refresh button").getAttribute("aria-pressed")`, &pressed),
			chromedp.Evaluate(`document.getElementById("refresh-note").textContent`, &note),
		)
		if err != nil {
			t.Fatalf("chromedp: %v", err)
		}
		if !visible {
			t.Error("the Pause auto-refresh button is not visible")
		}
		return pressed, note
	}

	err := chromedp.Run(ctx,
		emulation.SetDeviceMetricsOverride(360, 640, 1, true),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#refresh button", chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("chromedp: %v", err)
	}
	drain(loads) // the first load
	var label string
	if err := chromedp.Run(ctx, chromedp.Text("#refresh button", &label, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if label != "Pause auto-refresh" {
		t.Errorf("button label = %q, want Pause auto-refresh", label)
	}
	if pressed, note := control(t); pressed != "false" || note != "Reloads every 2 s" {
		t.Errorf("before a pause: aria-pressed = %s, note = %q; want false, Reloads every 2 s", pressed, note)
	}

	t.Run("reload keeps the scroll position", func(t *testing.T) {
		var y float64
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.statusgenOld = true; window.scrollTo(0, 700); window.scrollY`, &y)); err != nil {
			t.Fatal(err)
		}
		if y != 700 {
			t.Fatalf("scrolled to %v, want 700: the page is too short at 360 px for this test", y)
		}
		reloaded(t, 3*refresh)
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.scrollY`, &y)); err != nil {
			t.Fatal(err)
		}
		// Times above rewritten in the visitor's zone may take another
		// line, and the browser keeps what was in view where it was.
		if y < 680 || y > 750 {
			t.Errorf("after the reload scrollY = %v, want 700 (or a line or two more)", y)
		}
	})

	t.Run("pause survives a reload", func(t *testing.T) {
		if err := chromedp.Run(ctx, chromedp.Click("#refresh button", chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if pressed, note := control(t); pressed != "true" || note != "Auto-refresh paused" {
			t.Errorf("after a click: aria-pressed = %s, note = %q; want true, Auto-refresh paused", pressed, note)
		}
		drain(loads) // a reload that was under way as the button was pressed
		// The visitor reloads the page by hand: it stays paused.
		if err := chromedp.Run(ctx, mark, chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		reloaded(t, 10*time.Second)
		if pressed, note := control(t); pressed != "true" || note != "Auto-refresh paused" {
			t.Errorf("after a reload: aria-pressed = %s, note = %q; want true, Auto-refresh paused", pressed, note)
		}
		select {
		case p := <-loads:
			t.Errorf("the paused page reloaded (%s)", p)
		case <-time.After(3 * refresh):
		}
	})

	t.Run("resume", func(t *testing.T) {
		if err := chromedp.Run(ctx, mark, chromedp.Click("#refresh button", chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		var pressed string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector("#refresh button").getAttribute("aria-pressed")`, &pressed)); err != nil {
			t.Fatal(err)
		}
		if pressed != "false" {
			t.Errorf("after the second click aria-pressed = %s, want false", pressed)
		}
		reloaded(t, 3*refresh)
		if pressed, _ := control(t); pressed != "false" {
			t.Errorf("after resuming and a reload aria-pressed = %s, want false", pressed)
		}
	})

	t.Run("a host in trouble is not reloaded", func(t *testing.T) {
		// The script asks the host first (HEAD); while it answers 503 the
		// visitor keeps the page they have rather than an error page.
		if err := chromedp.Run(ctx, mark); err != nil {
			t.Fatal(err)
		}
		drain(srv.heads)
		srv.failing.Store(true)
		for range 2 {
			select {
			case <-srv.heads:
			case <-time.After(3 * refresh):
				t.Fatal("the script did not ask the host before reloading")
			}
		}
		srv.failing.Store(false)
		select {
		case p := <-loads:
			t.Errorf("the page reloaded (%s) while the host answered 503", p)
		default:
		}
		var title string
		if err := chromedp.Run(ctx, chromedp.Title(&title)); err != nil {
			t.Fatal(err)
		}
		if title != "Sefaria Status" {
			t.Errorf("the visitor sees %q, want the status page", title)
		}
		reloaded(t, 3*refresh) // and once the host answers again, it reloads
	})

	t.Run("without JavaScript", func(t *testing.T) {
		tab, cancel := chromedp.NewContext(ctx)
		defer cancel()
		drain(loads)
		// A new address, which the browser has not cached.
		if err := chromedp.Run(tab, emulation.SetScriptExecutionDisabled(true), chromedp.Navigate(srv.URL+"/?nojs")); err != nil {
			t.Fatal(err)
		}
		for _, what := range []string{"first load", "refresh"} {
			select {
			case p := <-loads:
				if p != "/" {
					t.Fatalf("%s: the browser loaded %s, want the index", what, p)
				}
			case <-time.After(3 * refresh):
				t.Fatalf("without JavaScript: no %s within %v of a %v refresh", what, 3*refresh, refresh)
			}
		}
	})
}

// freshInput is the fixture as of now: its notices move with the clock,
// so the maintenance in force at fixedNow is in force now, and the page is
// not stale.
func freshInput(t *testing.T) Input {
	t.Helper()
	in := fixtureInput(t)
	in.Generated = time.Now().UTC()
	shift := in.Generated.Sub(fixedNow)
	in.Notices = slices.Clone(in.Notices)
	for i := range in.Notices {
		in.Notices[i].Start = in.Notices[i].Start.Add(shift)
		if !in.Notices[i].End.IsZero() {
			in.Notices[i].End = in.Notices[i].End.Add(shift)
		}
	}
	return in
}

func drain(c chan string) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// TestBrowserLocalTimes loads the site in Chromium as a visitor in India
// (UTC+5:30 all year, so the half hour proves a real conversion): after
// status.js ran, times show in that zone with "… ago" for the recent
// ones, the footer names the zone, and dates without a time (the daily
// history) are left alone. Screenshots of the index and a service page,
// light and dark at 390 and 1280 px, go to $ARTIFACTS_DIR.
func TestBrowserLocalTimes(t *testing.T) {
	exe := chromium(t)
	in := fixtureInput(t)
	in.Generated = time.Now().UTC().Add(-5 * time.Minute).Truncate(time.Second)
	dir := t.TempDir()
	if err := Render(templates.FS, dir, in); err != nil {
		t.Fatal(err)
	}
	srv := newPageHost(t, dir)
	ctx := newBrowser(t, exe, 2*time.Minute)
	ist := time.FixedZone("IST", 5*3600+1800)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) // the welcome notice, in force
	var footer, tz, notice, day string
	err := chromedp.Run(ctx,
		emulation.SetTimezoneOverride("Asia/Kolkata"),
		emulation.SetDeviceMetricsOverride(1280, 800, 1, false),
		chromedp.Navigate(srv.URL+"/index.html"),
		chromedp.Poll(`document.getElementById("tz-note").textContent.startsWith("Times are in your")`, nil, chromedp.WithPollingTimeout(10*time.Second)), // status.js ran
		chromedp.Text("footer time", &footer, chromedp.ByQuery),
		chromedp.Text("#tz-note", &tz, chromedp.ByQuery),
		chromedp.Text(`time[datetime="`+start.Format(time.RFC3339)+`"]`, &notice, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("chromedp: %v", err)
	}
	// Intl.DateTimeFormat("en", {year, month: "short", day, hour and
	// minute "2-digit", timeZoneName: "short"}).
	want := func(at time.Time) string { return at.In(ist).Format("Jan 2, 2006, 03:04 PM") + " GMT+5:30" }
	for _, tc := range []struct {
		what, got string
		want      []string
	}{
		{"the footer's generated time", footer, []string{want(in.Generated) + " (5 minutes ago)"}},
		{"the notice's start (a month old: no relative time)", notice, []string{want(start)}},
		// ICU may name the zone by its older name.
		{"the footer's note", tz, []string{"Times are in your time zone (Asia/Kolkata).", "Times are in your time zone (Asia/Calcutta)."}},
	} {
		if !slices.Contains(tc.want, tc.got) {
			t.Errorf("%s = %q, want %q", tc.what, tc.got, tc.want[0])
		}
	}
	// A British visitor reads the English page with a 24-hour clock.
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	err = chromedp.Run(tab,
		emulation.SetTimezoneOverride("Asia/Kolkata"),
		emulation.SetUserAgentOverride("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome").WithAcceptLanguage("en-GB,en"), // navigator.languages
		chromedp.Navigate(srv.URL+"/index.html"),
		chromedp.Poll(`document.getElementById("tz-note").textContent.startsWith("Times are in your")`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text(`time[datetime="`+start.Format(time.RFC3339)+`"]`, &notice, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("chromedp: %v", err)
	}
	if want := start.In(ist).Format("2 Jan 2006, 15:04") + " GMT+5:30"; notice != want {
		t.Errorf("in en-GB the notice's start = %q, want %q", notice, want)
	}
	cancel()

	err = chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/services/linker.html"),
		chromedp.WaitVisible("#refresh button", chromedp.ByQuery),
		chromedp.Text(`table.stack time[datetime="2026-11-24"]`, &day, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("chromedp: %v", err)
	}
	if day != "2026-11-24" {
		t.Errorf("a date without a time reads %q, want it left as 2026-11-24", day)
	}

	artifacts := artifactsDir(t)
	for _, page := range []string{"index", "services/linker"} {
		for _, scheme := range []string{"light", "dark"} {
			for _, width := range []int64{390, 1280} {
				var shot []byte
				err := chromedp.Run(ctx,
					emulation.SetDeviceMetricsOverride(width, 844, 1, width <= 400),
					colorScheme(scheme),
					chromedp.Navigate(srv.URL+"/"+page+".html"),
					chromedp.WaitVisible("#refresh button", chromedp.ByQuery),
					chromedp.FullScreenshot(&shot, 100),
				)
				if err != nil {
					t.Fatalf("%s %s %d: chromedp: %v", page, scheme, width, err)
				}
				file := filepath.Join(artifacts, "statusgen-"+strings.ReplaceAll(page, "/", "-")+"-"+scheme+"-"+strconv.FormatInt(width, 10)+".png")
				if err := os.WriteFile(file, shot, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot: %s", file)
			}
		}
	}
}
