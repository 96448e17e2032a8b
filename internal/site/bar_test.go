package site

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

func TestIncidentsOn(t *testing.T) {
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	for _, tc := range []struct {
		name string
		incs []incidentView
		want int
	}{
		{"none", nil, 0},
		{"ended the day before", []incidentView{{Start: at(-5), End: at(-1)}}, 0},
		{"ended at midnight", []incidentView{{Start: at(-5), End: at(0)}}, 0},
		{"spans midnight", []incidentView{{Start: at(-5), End: at(1)}}, 1},
		{"ongoing", []incidentView{{Start: at(-50)}}, 1},
		{"starts the next day", []incidentView{{Start: at(24)}}, 0},
		{"three", []incidentView{{Start: at(1), End: at(2)}, {Start: at(3), End: at(4)}, {Start: at(23)}}, 3},
	} {
		if got := incidentsOn(tc.incs, day); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestDayDetails: the words a day cell's details show, from the "day"
// fragment.
func TestDayDetails(t *testing.T) {
	pages, err := parsePages(templates.FS, newIncidentLog(Input{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFragments(pages)
	for _, tc := range []struct {
		name, fragment string
		day            dayView
		want           string
	}{
		{"no data", "day", dayView{Class: "nd", Date: "2026-11-20"}, `<li tabindex="0" class="nd"><span><b>2026-11-20</b> No data</span></li>`},
		{"all up", "day", dayView{Class: "b0", Date: "2026-11-20", Uptime: "100.00%"}, `<li tabindex="0" class="b0"><span><b>2026-11-20</b> 100.00% up</span></li>`},
		{"everything", "day", dayView{Class: "b2", Date: "2026-11-20", Uptime: "95.00%", Down: "1 h", Gap: "50 min", Incidents: 2},
			`<li tabindex="0" class="b2"><span><b>2026-11-20</b> 95.00% up · 1 h down · 50 min no data · 2 incidents</span></li>`},
		{"one incident", "day", dayView{Class: "b1", Date: "2026-11-20", Uptime: "99.00%", Down: "14 min", Incidents: 1},
			`<li tabindex="0" class="b1"><span><b>2026-11-20</b> 99.00% up · 14 min down · 1 incident</span></li>`},
		{"today", "today", dayView{Class: "b3", Date: "2026-11-24", Uptime: "0.00%", Down: "25 min"},
			`<li tabindex="0" class="b3"><span><b>Today so far</b> 0.00% up · 25 min down</span></li>`},
	} {
		got, err := f.day(tc.fragment, tc.day)
		if err != nil || got != tc.want {
			t.Errorf("%s: %s = %q, %v; want %q", tc.name, tc.fragment, got, err, tc.want)
		}
	}
}

// A service added today, with no rollup yet and not checked yet, says so
// on its page instead of showing an empty table or chart; the others keep
// their rows.
func TestServicePageWithoutHistory(t *testing.T) {
	in := fixtureInput(t)
	in.Services = append(in.Services, Service{Name: "brand new"})
	files, err := Files(templates.FS, in)
	if err != nil {
		t.Fatal(err)
	}
	page := string(files["services/brand-new.html"])
	if !strings.Contains(page, "<p>No history yet.</p>") || strings.Contains(page, `<table class="stack">`) {
		t.Errorf("a service without rollups: want \"No history yet.\" and no daily table, got:\n%s", page)
	}
	for _, want := range []string{
		"<p class=\"meta\">not checked yet</p>",
		"<figure class=\"chart large\">\n<figcaption>Response time, last 24 hours: no successful checks</figcaption>\n</figure>",
		"<figure class=\"chart large\">\n<figcaption>Response time, last 7 days: no successful checks</figcaption>\n</figure>",
		"<dl class=\"uptime\"><div><dt>24 h</dt><dd>—</dd></div>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page of a service never checked lacks %q", want)
		}
	}
	old := string(files["services/"+uptime.Slug(in.Services[0].Name)+".html"])
	if strings.Contains(old, "No history yet.") || strings.Count(old, `<tr><th scope="row"><time datetime=`) < 2 {
		t.Errorf("a service with rollups lost its daily rows")
	}
}

// TestHistoryRows: the daily table lists days newest first, skips days
// without the service, shows each day's time with the span of its last
// check carried over midnight, and dashes where a day had no downtime, no
// time without data, no up or down time, or no successful check to time.
// A day rolled up by a version that counted checks has no "no data".
func TestHistoryRows(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	const v = history.RollupVersion
	days := []history.Day{
		{Date: "2026-11-20", Services: map[string]*history.ServiceDay{"web": {Checks: 10, Up: 9, Down: 1, UpTimeMS: 540_000, DownTimeMS: 60_000, P50MS: 70, P95MS: 90, MaxMS: 95}}},
		{Date: "2026-11-21", Version: v, Services: map[string]*history.ServiceDay{"web": {Checks: 1440, Up: 1440, UpTimeMS: 86_340_000,
			First: at("2026-11-21T00:00:00Z"), Last: at("2026-11-21T23:59:00Z"), LastStatus: uptime.Up, P50MS: 80, P95MS: 120, MaxMS: 300}}},
		{Date: "2026-11-22", Version: v, Services: map[string]*history.ServiceDay{"other": {Checks: 5, Up: 5}}},
		{Date: "2026-11-23", Version: v, Services: map[string]*history.ServiceDay{"web": {Checks: 10, Down: 10, DownTimeMS: 540_000,
			First: at("2026-11-23T10:00:00Z"), Last: at("2026-11-23T10:09:00Z"), LastStatus: uptime.Down}}},
		{Date: "2026-11-24", Version: v, Services: map[string]*history.ServiceDay{"web": {Checks: 3, Inconclusive: 3, InconclusiveTimeMS: 120_000,
			First: at("2026-11-24T12:00:00Z"), Last: at("2026-11-24T12:02:00Z"), LastStatus: uptime.Inconclusive}}},
	}
	now := at("2026-11-24T12:03:00Z")
	want := []historyRow{
		{"2026-11-24", "", "", "12 h", "3", "", "", ""},
		{"2026-11-23", "0.00%", "11 min", "23 h 49 min", "10", "", "", ""},
		{"2026-11-21", "100.00%", "", "", "1440", "80 ms", "120 ms", "300 ms"},
		{"2026-11-20", "90.00%", "1 min", "", "10", "70 ms", "90 ms", "95 ms"},
	}
	// The same whether the days are in one ledger or split between two,
	// as Load keeps the last days apart.
	for split := 0; split <= len(days); split++ {
		in := Input{Past: []*history.Ledger{ledgerOf(days[:split]), ledgerOf(days[split:])}}
		web := in.serviceDays(nil, "web")
		times := history.ServiceTimes(nil, web, now, 2*time.Minute)
		if got := historyRows(nil, web, times, now); !slices.Equal(got, want) {
			t.Errorf("split after %d days: historyRows =\n%v\nwant\n%v", split, got, want)
		}
		if missing := in.serviceDays(nil, "missing"); historyRows(nil, missing, history.ServiceTimes(nil, missing, now, 2*time.Minute), now) != nil {
			t.Errorf("split after %d days: a service without rollups has history rows", split)
		}
	}
}

// ledgerOf packs days as Load does; nil for none.
func ledgerOf(days []history.Day) *history.Ledger {
	if len(days) == 0 {
		return nil
	}
	var b history.LedgerBuilder
	for _, d := range days {
		b.Add(d)
	}
	return b.Ledger()
}

// TestDayClass: a day is graded by its downtime or by its uptime, whichever
// is worse, so today's cell after 15 minutes all down is the worst grade,
// while a whole day with the same 15 minutes down is the mildest.
func TestDayClass(t *testing.T) {
	min := func(m float64) uint32 { return uint32(m * 60000) }
	for _, tc := range []struct {
		name string
		cell dayCell
		want string
	}{
		{"no data", dayCell{}, "nd"},
		{"inconclusive only", dayCell{covered: min(60)}, "nd"},
		{"up all day", dayCell{up: min(1440)}, "b0"},
		{"up for the first 5 minutes of today", dayCell{up: min(5)}, "b0"},
		{"15 min down in a whole day", dayCell{up: min(1425), down: min(15)}, "b1"},
		{"today: 15 min, all down (0% up)", dayCell{down: min(15)}, "b3"},
		{"today: 15 min down of an hour (75% up)", dayCell{up: min(45), down: min(15)}, "b3"},
		{"today: 1 min down of 10 hours (99.83%)", dayCell{up: min(599), down: min(1)}, "b1"},
		{"today: 20 min down of 10 hours (96.66%)", dayCell{up: min(580), down: min(20)}, "b2"},
		{"29 min down in a whole day", dayCell{up: min(1411), down: min(29)}, "b1"},
		{"30 min down in a whole day", dayCell{up: min(1410), down: min(30)}, "b2"},
		{"119 min down in a whole day", dayCell{up: min(1321), down: min(119)}, "b2"},
		{"2 h down in a whole day", dayCell{up: min(1320), down: min(120)}, "b3"},
	} {
		if got := dayClass(tc.cell); got != tc.want {
			t.Errorf("%s: dayClass(%+v) = %q, want %q", tc.name, tc.cell, got, tc.want)
		}
	}
}

// TestTodaySoFar: today's cell shows the uptime of the part of the day
// that has passed, and its grade follows that number.
func TestTodaySoFar(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 25, 0, 0, time.UTC)
	today := now.Truncate(24 * time.Hour)
	w := newWindow(Input{}, today, now, 2*time.Minute)
	for _, tc := range []struct {
		name string
		cell dayCell
		want dayView
	}{
		{"down since midnight", dayCell{down: 25 * 60000, covered: 25 * 60000}, dayView{Class: "b3", Uptime: "0.00%", Down: "25 min"}},
		{"up since midnight", dayCell{up: 25 * 60000, covered: 25 * 60000}, dayView{Class: "b0", Uptime: "100.00%"}},
		{"ten minutes down, five without data", dayCell{up: 10 * 60000, down: 10 * 60000, covered: 20 * 60000}, dayView{Class: "b3", Uptime: "50.00%", Down: "10 min", Gap: "5 min"}},
		{"not checked yet", dayCell{}, dayView{Class: "nd"}},
	} {
		var cells [barDays]dayCell
		cells[barDays-1] = tc.cell
		days := make([]dayView, barDays)
		for i := range days {
			days[i] = w.cellKey("day", i, cells[i], nil).view()
		}
		tc.want.Date = "2026-11-24"
		if got := days[barDays-1]; got != tc.want {
			t.Errorf("%s: today's cell = %+v, want %+v", tc.name, got, tc.want)
		}
		if days[0] != (dayView{Class: "nd", Date: "2026-08-27"}) {
			t.Errorf("%s: the first day = %+v, want 2026-08-27 without data", tc.name, days[0])
		}
	}
}

// TestSinceIn: a window longer than the data says where its figure
// really begins.
func TestSinceIn(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)
	for _, tc := range []struct {
		name         string
		first, start time.Time
		clock, ok    bool
		want         string
	}{
		{"data older than the window", time.Time{}, now.AddDate(0, 0, -90), false, true, ""},
		{"data from the window's first moment", now.AddDate(0, 0, -7), now.AddDate(0, 0, -7), false, true, ""},
		{"90 days, data since 29 Oct", time.Date(2026, 10, 29, 8, 0, 0, 0, time.UTC), now.AddDate(0, 0, -90), false, true, "29 Oct"},
		{"24 hours, data since 09:50", now.Add(-25 * time.Minute), now.Add(-24 * time.Hour), true, true, "09:50 UTC"},
		{"no figure, no since", now.Add(-25 * time.Minute), now.Add(-24 * time.Hour), true, false, ""},
	} {
		if got := sinceIn(tc.first, tc.start, tc.clock, tc.ok); got != tc.want {
			t.Errorf("%s: sinceIn = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestHonestNumbers renders a service first checked 25 minutes ago: each
// window's figure says it covers only that, the row says since when the
// service is operational, and an outage says how long it has lasted.
func TestHonestNumbers(t *testing.T) {
	now := fixedNow
	first := now.Add(-25 * time.Minute)
	day := history.Day{Date: now.Format(time.DateOnly), Version: history.RollupVersion, Services: map[string]*history.ServiceDay{
		"new":  {Checks: 25, Up: 25, UpTimeMS: 25 * 60000, First: first, Last: now.Add(-time.Minute), LastStatus: uptime.Up, P50MS: 80, P95MS: 90, MaxMS: 99},
		"down": {Checks: 25, Up: 13, Down: 12, UpTimeMS: 13 * 60000, DownTimeMS: 12 * 60000, First: first, Last: now.Add(-time.Minute), LastStatus: uptime.Down},
	}}
	in := Input{Generated: now, Past: []*history.Ledger{ledgerOf([]history.Day{day})}, Services: []Service{
		{Name: "new", Status: uptime.Up, LastCheck: now.Add(-time.Minute), LastSuccess: now.Add(-time.Minute),
			Recent: Recent{Checks: 25, Up: 25, UpTime: 25 * time.Minute}},
		{Name: "down", Status: uptime.Down, Confirmed: true, Since: now.Add(-12 * time.Minute), LastCheck: now.Add(-time.Minute), LastError: uptime.ErrTimeout,
			Recent: Recent{Checks: 25, Up: 13, UpTime: 13 * time.Minute, DownTime: 12 * time.Minute}},
	}}
	files, err := Files(templates.FS, in)
	if err != nil {
		t.Fatal(err)
	}
	index, page := string(files["index.html"]), string(files["services/new.html"])
	for _, tc := range []struct{ where, got, want string }{
		{"index", index, "100.00% uptime since 24 Nov"},
		{"index", index, `Operational since <time datetime="2026-11-24T09:50:30Z">`},
		{"index", index, `Down for <span class="nb">12 min</span>`},
		{"page", page, `<dt>24 h</dt><dd>100.00% <span class="since">since 09:50 UTC</span></dd>`},
		{"page", page, `<dt>7 d</dt><dd>100.00% <span class="since">since 24 Nov</span></dd>`},
		{"page", page, `<dt>90 d</dt><dd>100.00% <span class="since">since 24 Nov</span></dd>`},
		{"page", page, `<dt>All</dt><dd>100.00% <span class="since">since 24 Nov</span></dd>`},
	} {
		if !strings.Contains(tc.got, tc.want) {
			t.Errorf("%s lacks %q", tc.where, tc.want)
		}
	}
}

// TestNiceCeil: the chart's axis tops at a round number.
func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ in, want int64 }{{0, 10}, {11, 15}, {16, 20}, {21, 25}, {26, 30}, {31, 40}, {41, 50}, {51, 60}, {61, 80}, {81, 100}, {101, 150}, {230, 250}, {2868, 3000}, {10000, 10000}} {
		if got := niceCeil(tc.in); got != tc.want {
			t.Errorf("niceCeil(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestChartPaths: lines break where a point is missing; a point with no
// neighbour gets a dot, and with few points every point does.
func TestChartPaths(t *testing.T) {
	x := func(i int) float64 { return float64(i * 10) }
	y := func(v int64) float64 { return float64(v) }
	for _, tc := range []struct {
		name       string
		vs         []int64
		all        bool
		line, dots string
	}{
		{"none", []int64{-1, -1}, false, "", ""},
		{"a gap", []int64{1, 2, -1, 4, 5}, false, "M0 1L10 2M30 4L40 5", ""},
		{"a lone point", []int64{1, 2, -1, 4, -1}, false, "M0 1L10 2M30 4", "M30 4h0"},
		{"three points, all dotted", []int64{1, -1, 3, 4}, true, "M0 1M20 3L30 4", "M0 1h0M20 3h0M30 4h0"},
	} {
		line, dots := paths(tc.vs, x, y, tc.all)
		if line != tc.line || dots != tc.dots {
			t.Errorf("%s: paths = %q, %q; want %q, %q", tc.name, line, dots, tc.line, tc.dots)
		}
	}
}
