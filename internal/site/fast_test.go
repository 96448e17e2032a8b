package site

import (
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

func TestEscapeFrom(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2026-11-24: 99.50% up", "2026-11-24: 99.50% up"},
		{`<b>&"x'`, "&lt;b&gt;&amp;&#34;x&#39;"},
		{"nul\x00", "nul\uFFFD"},
	} {
		got := string(escapeFrom([]byte("<title>"+tc.in), len("<title>")))
		if got != "<title>"+tc.want {
			t.Errorf("escapeFrom(%q) = %q, want %q", tc.in, got, "<title>"+tc.want)
		}
	}
}

func TestAppendIncidents(t *testing.T) {
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	for _, tc := range []struct {
		name string
		incs []incidentView
		want string
	}{
		{"none", nil, ""},
		{"ended the day before", []incidentView{{Start: at(-5), End: at(-1)}}, ""},
		{"ended at midnight", []incidentView{{Start: at(-5), End: at(0)}}, ""},
		{"spans midnight", []incidentView{{Start: at(-5), End: at(1)}}, ", 1 incident"},
		{"ongoing", []incidentView{{Start: at(-50)}}, ", 1 incident"},
		{"starts the next day", []incidentView{{Start: at(24)}}, ""},
		{"three", []incidentView{{Start: at(1), End: at(2)}, {Start: at(3), End: at(4)}, {Start: at(23)}}, ", 3 incidents"},
	} {
		if got := string(appendIncidents(nil, tc.incs, day)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
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
	if !strings.Contains(page, "<p>No history yet.</p>") || strings.Contains(page, `<table class="days">`) {
		t.Errorf("a service without rollups: want \"No history yet.\" and no daily table, got:\n%s", page)
	}
	for _, want := range []string{
		"<p class=\"meta\">not checked yet</p>",
		"<figure class=\"spark\">\n<figcaption>Response time, 24 h: no successful checks</figcaption>\n</figure>",
		"<dl class=\"uptime\"><div><dt>24 h</dt><dd>—</dd></div>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page of a service never checked lacks %q", want)
		}
	}
	old := string(files["services/"+uptime.Slug(in.Services[0].Name)+".html"])
	if strings.Contains(old, "No history yet.") || strings.Count(old, `<tr><th scope="row"><time datetime="`) < 2 {
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
	row := func(date string, cells ...string) string {
		return "\n<tr><th scope=\"row\"><time datetime=\"" + date + "\">" + date + "</time></th><td>" + strings.Join(cells, "</td><td>") + "</td></tr>"
	}
	want := row("2026-11-24", "—", "—", "12 h", "3", "—", "—", "—") +
		row("2026-11-23", "0.00%", "11 min", "23 h 49 min", "10", "—", "—", "—") +
		row("2026-11-21", "100.00%", "—", "—", "1440", "80 ms", "120 ms", "300 ms") +
		row("2026-11-20", "90.00%", "1 min", "—", "10", "70 ms", "90 ms", "95 ms")
	times := history.ServiceTimes(nil, days, "web", now, 2*time.Minute)
	if got := string(historyHTML(days, times, "web", now)); got != want {
		t.Errorf("historyHTML =\n%s\nwant\n%s", got, want)
	}
	if got := historyHTML(days, history.ServiceTimes(nil, days, "missing", now, 2*time.Minute), "missing", now); got != "" {
		t.Errorf("historyHTML of a service without rollups = %q, want empty", got)
	}
}
