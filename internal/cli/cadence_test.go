package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// The tests of this file run a real `once` (a real check of a local
// server, the real clock) over history written as the production runner
// writes it: raw lines (and, where said, rollups) at the cadence the
// scheduled job really has. GitHub's cron fires every five minutes at best
// and often later, so the spacing cycles through these.
var actionsSpacing = []time.Duration{300 * time.Second, 300 * time.Second, 420 * time.Second, 300 * time.Second, 540 * time.Second, 360 * time.Second}

// target is a real local server answering the health check.
func target(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"allReady": true}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/healthz"
}

func cadenceConfig(url, interval string) string {
	return fmt.Sprintf(`[settings]
title = "Cadence"
interval = %q
retries = 1
retry_delay = "0s"

[[service]]
name = "web"
url = %q
expected_status = 200
failure_threshold = 2
timeout = "2s"
`, interval, url)
}

// spaced returns the times after from, each spacing[i % len] after the
// last, that come before until.
func spaced(from, until time.Time, spacing []time.Duration) []time.Time {
	var out []time.Time
	for i, t := 0, from.Add(spacing[0]); t.Before(until); i++ {
		out = append(out, t)
		t = t.Add(spacing[(i+1)%len(spacing)])
	}
	return out
}

// before is spaced backwards: the times before to, down to from, ascending.
func before(from, to time.Time, spacing []time.Duration) []time.Time {
	var out []time.Time
	for i, t := 0, to.Add(-spacing[0]); !t.Before(from); i++ {
		out = append([]time.Time{t}, out...)
		t = t.Add(-spacing[(i+1)%len(spacing)])
	}
	return out
}

type check struct {
	at     time.Time
	status uptime.Status
}

func checksOf(status uptime.Status, times ...time.Time) []check {
	out := make([]check, len(times))
	for i, t := range times {
		out[i] = check{t, status}
	}
	return out
}

// writeHistory writes service web's checks as a runner does: raw lines,
// and, unless cadence is 0, the rollups it folds them into.
func writeHistory(t *testing.T, dataDir string, cadence time.Duration, checks []check) {
	t.Helper()
	store := history.New(dataDir)
	results := make([]uptime.Result, len(checks))
	for i, c := range checks {
		r := uptime.Result{Time: c.at.UTC().Truncate(time.Millisecond), Service: "web", Status: c.status, Code: 200, MS: 80, Attempts: 1}
		if c.status == uptime.Down {
			r.Code, r.MS, r.Error, r.Detail = 503, 40, uptime.ErrStatus, "HTTP 503"
		}
		results[i] = r
	}
	if err := store.Append(results); err != nil {
		t.Fatal(err)
	}
	if cadence > 0 {
		// As `run` does: fold batches, write the rollups once.
		if err := store.FoldIntoRollups(results, cadence); err != nil {
			t.Fatal(err)
		}
		if err := store.FlushRollups(); err != nil {
			t.Fatal(err)
		}
	}
}

// sitePage is what a visitor reads on the rendered site about service web.
type sitePage struct {
	index, service string
}

func readPage(t *testing.T, w workspace) sitePage {
	t.Helper()
	index, err := os.ReadFile(filepath.Join(w.site, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	service, err := os.ReadFile(filepath.Join(w.site, "services", "web.html"))
	if err != nil {
		t.Fatal(err)
	}
	return sitePage{string(index), string(service)}
}

// uptime24h is the service page's "24 h" figure, in percent.
func (p sitePage) uptime24h(t *testing.T) float64 {
	t.Helper()
	m := regexp.MustCompile(`<dt>24 h</dt><dd>([0-9.]+)%`).FindStringSubmatch(p.service)
	if m == nil {
		t.Fatalf("the service page shows no 24 h uptime")
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// day is the details the 90-day bar's cell of day opens on focus; today's
// cell is labelled "Today so far" instead of its date.
func (p sitePage) day(t *testing.T, day time.Time) string {
	t.Helper()
	date := day.Format(time.DateOnly)
	label := date
	if date == time.Now().UTC().Format(time.DateOnly) {
		label = "Today so far"
	}
	m := regexp.MustCompile(`<li tabindex="0" class="[^"]*"><span><b>` + label + `</b> ([^<]*)</span></li>`).FindStringSubmatch(p.index)
	if m == nil {
		t.Fatalf("the bar has no day %s", date)
	}
	return m[1]
}

// row is the daily history table's cells of day on the service page.
func (p sitePage) row(t *testing.T, day time.Time) []string {
	t.Helper()
	date := day.Format(time.DateOnly)
	m := regexp.MustCompile(`<tr><th scope="row"><time datetime="` + date + `">` + date + `</time></th>(.*?)</tr>`).FindStringSubmatch(p.service)
	if m == nil {
		t.Fatalf("the daily table has no row for %s", date)
	}
	var cells []string
	for _, c := range regexp.MustCompile(`<td[^>]*>([^<]*)</td>`).FindAllStringSubmatch(m[1], -1) {
		cells = append(cells, c[1])
	}
	return cells
}

// percentOf parses the "98.95% up" at the start of a tooltip.
func percentOf(t *testing.T, tooltip string) float64 {
	t.Helper()
	s, _, ok := strings.Cut(tooltip, "% up")
	v, err := strconv.ParseFloat(s, 64)
	if !ok || err != nil {
		t.Fatalf("tooltip %q does not start with an uptime", tooltip)
	}
	return v
}

// near reports whether a shown percentage is what want gives at some
// moment between the test's clock before `once` and after it (the render
// reads the clock in between), within 0.02 points (rounding).
func near(got float64, want func(now time.Time) float64, before, after time.Time) bool {
	a, b := want(before), want(after)
	return got >= min(a, b)-0.02 && got <= max(a, b)+0.02
}

// window24h is how long the "24 h" window is at now: from the start of
// the 48th half-hour back to now.
func window24h(now time.Time) time.Duration {
	return now.Sub(now.Truncate(30 * time.Minute).Add(-47 * 30 * time.Minute))
}

// elapsed is how much of day has passed at now.
func elapsed(day, now time.Time) time.Duration { return min(now.Sub(day), 24*time.Hour) }

// inOneDay moves at back until [at, at+d] lies within one UTC day.
func inOneDay(at time.Time, d time.Duration) time.Time {
	if day := at.Truncate(24 * time.Hour); !at.Add(d).Before(day.Add(24 * time.Hour)) {
		return day.Add(24*time.Hour - d - time.Hour)
	}
	return at
}

// TestFiveMinuteCadenceMeasuresDowntimeInTime is the scheduled runner:
// HEALTH_CHECK_INTERVAL=300 (as the workflow sets it) while services.toml
// says 60 s, checks every five minutes or later. Three down checks five
// minutes apart are 15 minutes down, and every uptime figure is time up
// over time up and down. Counting checks (every check one interval) made
// the late cycles' hours count as much as the punctual ones'. The same
// page comes out whether the rollups were folded by the runner or
// rebuilt by `once` at start from the raw files (an upgrade).
func TestFiveMinuteCadenceMeasuresDowntimeInTime(t *testing.T) {
	url := target(t)
	for _, fold := range []bool{true, false} {
		t.Run(map[bool]string{true: "rollups folded", false: "rollups rebuilt from raw"}[fold], func(t *testing.T) {
			w := newWorkspace(t, cadenceConfig(url, "60s"))
			now := time.Now().UTC()
			start := now.Truncate(24*time.Hour).AddDate(0, 0, -2)
			s := inOneDay(now.Add(-12*time.Hour).Truncate(time.Minute), 20*time.Minute)
			var checks []check
			checks = append(checks, checksOf(uptime.Up, before(start, s, actionsSpacing)...)...)
			checks = append(checks, checksOf(uptime.Down, s, s.Add(5*time.Minute), s.Add(10*time.Minute))...)
			checks = append(checks, checksOf(uptime.Up, s.Add(15*time.Minute))...)
			checks = append(checks, checksOf(uptime.Up, spaced(s.Add(15*time.Minute), now.Add(-time.Minute), actionsSpacing)...)...)
			cadence := time.Duration(0)
			if fold {
				cadence = 300 * time.Second
			}
			writeHistory(t, w.data, cadence, checks)

			code, _, stderr := w.run(t, map[string]string{"HEALTH_CHECK_INTERVAL": "300"}, "once")
			if code != ExitOK {
				t.Fatalf("once = %d, stderr:\n%s", code, stderr)
			}
			after := time.Now().UTC()
			p := readPage(t, w)
			day := s.Truncate(24 * time.Hour)
			tip := p.day(t, day)
			if !strings.Contains(tip, " · 15 min down") || strings.Contains(tip, "no data") {
				t.Errorf("the bar says %q for the day of the outage, want 15 min down and no gap", tip)
			}
			dayUptime := func(now time.Time) float64 {
				length := elapsed(day, now)
				return 100 * float64(length-15*time.Minute) / float64(length)
			}
			if !near(percentOf(t, tip), dayUptime, now, after) {
				t.Errorf("the day's uptime = %q, want %.2f%% (15 min down of %v)", tip, dayUptime(now), elapsed(day, now))
			}
			if row := p.row(t, day); row[1] != "15 min" || row[2] != "—" {
				t.Errorf("the daily table says %q for the day of the outage, want 15 min down, no time without data", row)
			}
			uptime24h := func(now time.Time) float64 {
				win := window24h(now)
				return 100 * float64(win-15*time.Minute) / float64(win)
			}
			if got := p.uptime24h(t); !near(got, uptime24h, now, after) {
				t.Errorf("24 h uptime = %.2f%%, want %.2f%% (15 min down of %v)", got, uptime24h(now), window24h(now))
			}
		})
	}
}

// TestMinuteCadenceIsUnchanged: checks every 60 s at a 60 s interval
// measure what counting checks did, three down checks three minutes.
func TestMinuteCadenceIsUnchanged(t *testing.T) {
	w := newWorkspace(t, cadenceConfig(target(t), "60s"))
	now := time.Now().UTC()
	start := now.Truncate(24*time.Hour).AddDate(0, 0, -2)
	s := inOneDay(now.Add(-12*time.Hour).Truncate(time.Minute), 5*time.Minute)
	minute := []time.Duration{time.Minute}
	var checks []check
	checks = append(checks, checksOf(uptime.Up, before(start, s, minute)...)...)
	checks = append(checks, checksOf(uptime.Down, s, s.Add(time.Minute), s.Add(2*time.Minute))...)
	checks = append(checks, checksOf(uptime.Up, s.Add(3*time.Minute))...)
	checks = append(checks, checksOf(uptime.Up, spaced(s.Add(3*time.Minute), now.Add(-30*time.Second), minute)...)...)
	writeHistory(t, w.data, time.Minute, checks)

	if code, _, stderr := w.run(t, nil, "once"); code != ExitOK {
		t.Fatalf("once = %d, stderr:\n%s", code, stderr)
	}
	after := time.Now().UTC()
	p := readPage(t, w)
	day := s.Truncate(24 * time.Hour)
	tip := p.day(t, day)
	if !strings.Contains(tip, " · 3 min down") || strings.Contains(tip, "no data") {
		t.Errorf("the bar says %q for the day of the outage, want 3 min down and no gap", tip)
	}
	// Counting checks gave (checks − 3) / checks, one a minute.
	counted := func(now time.Time) float64 {
		length := elapsed(day, now).Minutes()
		return 100 * (length - 3) / length
	}
	if got := percentOf(t, tip); !near(got, counted, now, after) {
		t.Errorf("the day's uptime = %.2f%%, want %.2f%% as before", got, counted(now))
	}
	uptime24h := func(now time.Time) float64 {
		win := window24h(now).Minutes()
		return 100 * (win - 3) / win
	}
	if got := p.uptime24h(t); !near(got, uptime24h, now, after) {
		t.Errorf("24 h uptime = %.2f%%, want %.2f%%", got, uptime24h(now))
	}
}

// TestHourWithoutChecksIsNoData: a down check followed by an hour without
// checks (the scheduler skipped them) is down for 10 minutes, twice the
// cadence, not the hour and not one interval; the other 50 minutes are no
// data, left out of the uptime and shown as such.
func TestHourWithoutChecksIsNoData(t *testing.T) {
	w := newWorkspace(t, cadenceConfig(target(t), "60s"))
	now := time.Now().UTC()
	start := now.Truncate(24*time.Hour).AddDate(0, 0, -2)
	g := inOneDay(now.Add(-6*time.Hour).Truncate(time.Minute), 65*time.Minute)
	var checks []check
	checks = append(checks, checksOf(uptime.Up, before(start, g, actionsSpacing)...)...)
	checks = append(checks, checksOf(uptime.Down, g)...)
	checks = append(checks, checksOf(uptime.Up, g.Add(time.Hour))...)
	checks = append(checks, checksOf(uptime.Up, spaced(g.Add(time.Hour), now.Add(-time.Minute), actionsSpacing)...)...)
	writeHistory(t, w.data, 300*time.Second, checks)

	if code, _, stderr := w.run(t, map[string]string{"HEALTH_CHECK_INTERVAL": "300"}, "once"); code != ExitOK {
		t.Fatalf("once = %d, stderr:\n%s", code, stderr)
	}
	after := time.Now().UTC()
	p := readPage(t, w)
	day := g.Truncate(24 * time.Hour)
	tip := p.day(t, day)
	if !strings.Contains(tip, " · 10 min down") || !strings.Contains(tip, " · 50 min no data") {
		t.Errorf("the bar says %q for the day of the gap, want 10 min down and 50 min no data", tip)
	}
	dayUptime := func(now time.Time) float64 {
		length := elapsed(day, now)
		return 100 * float64(length-time.Hour) / float64(length-50*time.Minute)
	}
	if !near(percentOf(t, tip), dayUptime, now, after) {
		t.Errorf("the day's uptime = %q, want %.2f%% (the 50 minutes without data left out)", tip, dayUptime(now))
	}
	if row := p.row(t, day); row[1] != "10 min" || row[2] != "50 min" {
		t.Errorf("the daily table says %q for the day of the gap, want 10 min down and 50 min without data", row)
	}
	uptime24h := func(now time.Time) float64 {
		win := window24h(now)
		return 100 * float64(win-time.Hour) / float64(win-50*time.Minute)
	}
	if got := p.uptime24h(t); !near(got, uptime24h, now, after) {
		t.Errorf("24 h uptime = %.2f%%, want %.2f%%", got, uptime24h(now))
	}
}

// TestStaleNoteWaitsForCadenceAndRefresh renders the page with a real
// `once` and loads it in headless Chromium with the visitor's clock set
// ahead: the note "this page may be out of date" waits for the larger of
// three expected cadences and two page refreshes (the meta refresh, 60 s
// by default). At a 10 s interval it used to appear after 30 s, while the
// visitor's copy of the page is up to a refresh old anyway.
func TestStaleNoteWaitsForCadenceAndRefresh(t *testing.T) {
	url := target(t)
	for _, tc := range []struct {
		name       string
		interval   string
		env        map[string]string
		staleAfter string
		fresh      []time.Duration // the visitor's clock this far ahead of the render: no note
		stale      []time.Duration // a note
	}{
		{"10 s interval, 60 s refresh", "10s", nil, "120",
			[]time.Duration{30 * time.Second, 90 * time.Second, 110 * time.Second}, []time.Duration{130 * time.Second, 10 * time.Minute}},
		{"300 s cadence", "60s", map[string]string{"HEALTH_CHECK_INTERVAL": "300"}, "900",
			[]time.Duration{10 * time.Minute, 14 * time.Minute}, []time.Duration{16 * time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorkspace(t, cadenceConfig(url, tc.interval))
			if code, _, stderr := w.run(t, tc.env, "once"); code != ExitOK {
				t.Fatalf("once = %d, stderr:\n%s", code, stderr)
			}
			p := readPage(t, w)
			for name, html := range map[string]string{"index": p.index, "service page": p.service} {
				if m := regexp.MustCompile(`data-stale-after="(\d+)"`).FindStringSubmatch(html); m == nil || m[1] != tc.staleAfter {
					t.Errorf("%s: data-stale-after = %v, want %s seconds", name, m, tc.staleAfter)
				}
			}
			notes := staleNotes(t, w.site, append(append([]time.Duration{}, tc.fresh...), tc.stale...))
			for i, ahead := range append(append([]time.Duration{}, tc.fresh...), tc.stale...) {
				shown := strings.Contains(notes[i], "this page may be out of date")
				if want := i >= len(tc.fresh); shown != want {
					t.Errorf("visitor %v after the render: stale note %q, want shown = %v", ahead, notes[i], want)
				}
			}
		})
	}
}

// staleNotes loads the site's index in headless Chromium once for each
// clock offset, the visitor's Date.now that far ahead of the real one,
// and returns the staleness note's visible text each time ("" if hidden).
func staleNotes(t *testing.T, site string, ahead []time.Duration) []string {
	t.Helper()
	exe := findChromium(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(site)))
	defer srv.Close()
	browser := startChromium(t, exe)
	if err := chromedp.Run(browser); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	var notes []string
	for _, d := range ahead {
		tab, cancel := chromedp.NewContext(browser)
		ctx, cancelTimeout := context.WithTimeout(tab, 30*time.Second)
		clock := fmt.Sprintf(`(() => { const now = Date.now; Date.now = () => now.call(Date) + %d; })();`, d.Milliseconds())
		var note string
		err := chromedp.Run(ctx,
			chromedp.ActionFunc(func(ctx context.Context) error {
				_, err := page.AddScriptToEvaluateOnNewDocument(clock).Do(ctx)
				return err
			}),
			chromedp.Navigate(srv.URL+"/index.html"),
			chromedp.WaitReady("footer", chromedp.ByQuery),
			chromedp.Sleep(100*time.Millisecond), // the deferred script has run
			chromedp.Evaluate(`(e => e && !e.hidden ? e.innerText : "")(document.getElementById("stale"))`, &note),
		)
		cancelTimeout()
		cancel()
		if err != nil {
			t.Fatalf("chromedp, clock %v ahead: %v", d, err)
		}
		notes = append(notes, note)
	}
	return notes
}
