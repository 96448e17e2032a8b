package site

import (
	"encoding/json"
	"encoding/xml"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sebdah/goldie/v2"

	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/templates"
)

// timelineNotices are incident notices with timelines beside the full
// fixture's: one open while the Linker is down (hostile text in its
// updates), one resolved two days before fixedNow, one in October, for a
// month page of its own.
var timelineNotices = map[string]string{
	"linker-queue.md": `+++
title = "Linker answers slowly"
kind = "incident"
start = 2026-11-24T09:30:00Z
services = ["Linker"]

[[update]]
at = 2026-11-24T09:35:00Z
status = "investigating"
text = "We are investigating slow answers from the **Linker**. <script>alert(1)</script>"

[[update]]
at = 2026-11-24T09:50:00Z
status = "identified"
text = "A task queue is stuck. [runbook](javascript:alert(1))"

[[update]]
at = 2026-11-24T10:05:00Z
status = "monitoring"
text = """
The queue is drained; we are watching.
Details on [the status page](https://status.sefaria.org/).
"""
+++
Tasks sent to the Linker waited in a queue.
`,
	"search-slow.md": `+++
title = "Search was slow"
kind = "incident"
start = 2026-11-22T13:00:00Z
services = ["sefaria.org"]

[[update]]
at = 2026-11-22T13:05:00Z
status = "investigating"
text = "Searches take several seconds."

[[update]]
at = 2026-11-22T14:10:00Z
status = "resolved"
text = "An index was rebuilt; searches are fast again."
+++
`,
	"october.md": `+++
title = "Texts failed to load"
kind = "incident"
start = 2026-10-03T07:00:00Z

[[update]]
at = 2026-10-03T07:10:00Z
status = "resolved"
text = "A cache node was replaced."
+++
`,
}

// timelineInput is Load over the full fixture with timelineNotices.
func timelineInput(t testing.TB) Input {
	t.Helper()
	cfg, dir, st := fixture(t, append(append([]string{}, sefaria...), xssName), true)
	for name, src := range timelineNotices {
		writeNotice(t, dir, name, src)
	}
	in, err := Load(cfg, dir, st, fixedNow)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(in.NoticeProblems) > 0 {
		t.Fatalf("Load: notice problems %v", in.NoticeProblems)
	}
	return in
}

// TestIncidentGolden pins the history pages, the index's "Past incidents",
// a service page's incident reports, feed.atom and status.json of a site
// with incident timelines; `go test ./internal/site -run TestIncidentGolden
// -update` rewrites them.
func TestIncidentGolden(t *testing.T) {
	files, err := Files(templates.FS, timelineInput(t))
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	g := goldie.New(t, goldie.WithFixtureDir("testdata"), goldie.WithNameSuffix(".golden"))
	for _, name := range []string{"history.html", "history/2026-11.html", "history/2026-10.html", "history/2026-09.html", "feed.atom", "status.json"} {
		t.Run(name, func(t *testing.T) {
			got, ok := files[name]
			if !ok {
				t.Fatalf("Files lacks %s", name)
			}
			g.Assert(t, "timeline_"+goldenName(name), got)
		})
	}
	// Of the pages others design, only the sections these views own.
	for _, tt := range []struct{ page, section string }{
		{"index.html", `<section aria-labelledby="past-incidents"`},
		{"services/linker.html", `<section aria-labelledby="reports"`},
	} {
		t.Run(tt.page, func(t *testing.T) {
			g.Assert(t, "timeline_"+goldenName(tt.page)+"_section", []byte(pageSection(t, string(files[tt.page]), tt.section)))
		})
	}
}

// section cuts the <section> that starts with start out of page.
func pageSection(t *testing.T, page, start string) string {
	t.Helper()
	i := strings.Index(page, start)
	if i < 0 {
		t.Fatalf("page lacks %s", start)
	}
	j := strings.Index(page[i:], "</section>")
	return page[i:i+j+len("</section>")] + "\n"
}

// TestPastIncidentsShowsSevenDays: the index lists the last seven UTC
// days, today first, each outage and incident notice under the day it
// began, and says so on a quiet day.
func TestPastIncidentsShowsSevenDays(t *testing.T) {
	files, err := Files(templates.FS, timelineInput(t))
	if err != nil {
		t.Fatal(err)
	}
	past := pageSection(t, string(files["index.html"]), `<section aria-labelledby="past-incidents"`)
	days := regexp.MustCompile(`<h3 class="day"><time datetime="([0-9-]+)">`).FindAllStringSubmatch(past, -1)
	var got []string
	for _, d := range days {
		got = append(got, d[1])
	}
	want := []string{"2026-11-24", "2026-11-23", "2026-11-22", "2026-11-21", "2026-11-20", "2026-11-19", "2026-11-18"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("days = %v, want %v", got, want)
	}
	byDay := map[string]string{}
	parts := strings.Split(past, `<h3 class="day">`)[1:]
	for i, p := range parts {
		byDay[want[i]] = p
	}
	tests := []struct {
		day  string
		want []string
	}{
		{"2026-11-24", []string{"Linker answers slowly", "Monitoring", "The queue is drained", "Linker</bdi></a> is down", "<strong>Ongoing</strong>"}},
		{"2026-11-23", []string{"No incidents reported."}},
		{"2026-11-22", []string{"Search was slow", "Resolved", "searches are fast again"}},
		{"2026-11-21", []string{"sefaria.org</bdi></a> was down", "2 h"}},
		{"2026-11-20", []string{"No incidents reported."}},
		{"2026-11-19", []string{"was down", "30 min"}},
		{"2026-11-18", []string{"No incidents reported."}},
	}
	for _, tt := range tests {
		for _, w := range tt.want {
			if !strings.Contains(byDay[tt.day], w) {
				t.Errorf("Past incidents, %s: lacks %q in\n%s", tt.day, w, byDay[tt.day])
			}
		}
	}
	if strings.Contains(past, "Texts failed to load") || strings.Contains(past, "2026-11-14") {
		t.Error("Past incidents lists an incident older than seven days")
	}
	// The open incident's timeline is on the index in full, newest first.
	index := string(files["index.html"])
	mon, ide, inv := strings.Index(index, "The queue is drained"), strings.Index(index, "A task queue is stuck"), strings.Index(index, "We are investigating slow answers")
	if mon < 0 || !(mon < ide && ide < inv) {
		t.Errorf("the index does not show the open incident's timeline newest first (at %d, %d, %d)", mon, ide, inv)
	}
}

// TestUpdateWaitsForItsTime: an update written ahead of its time shows
// nowhere until the render's clock reaches it.
func TestUpdateWaitsForItsTime(t *testing.T) {
	in := timelineInput(t)
	future := in.Generated.Add(time.Hour)
	for i, n := range in.Notices {
		if n.Slug == "linker-queue" {
			u := n.Updates[len(n.Updates)-1]
			u.At, u.Status, u.Text, u.Plain, u.HTML = future, notice.Resolved, "Fixed later.", "Fixed later.", "<p>Fixed later.</p>"
			in.Notices[i].Updates = append(slices.Clone(n.Updates), u)
		}
	}
	files, err := Files(templates.FS, in)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if strings.Contains(string(data), "Fixed later") {
			t.Errorf("%s shows an update an hour ahead of its time", name)
		}
	}
	if !strings.Contains(string(files["status.json"]), `"status": "monitoring"`) {
		t.Error("status.json does not keep the incident at its latest posted status")
	}
}

// TestTimelineIsInert: an update's Markdown reaches the pages and the feed
// as the notice body does, without script or javascript: links.
func TestTimelineIsInert(t *testing.T) {
	files, err := Files(templates.FS, timelineInput(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"index.html", "history/2026-11.html", "services/linker.html", "notices.html", "feed.atom"} {
		s := strings.ToLower(string(files[name]))
		if name == "feed.atom" {
			s = strings.ToLower(feedHTML(t, files[name]))
		}
		if live := regexp.MustCompile(`<script>alert|<img[^>]*onerror|href="javascript:`).FindString(s); live != "" {
			t.Errorf("%s carries live markup from a notice: %s", name, live)
		}
	}
	if !strings.Contains(string(files["history/2026-11.html"]), "<strong>Linker</strong>") {
		t.Error("history/2026-11.html does not render the update's Markdown")
	}
}

// feedHTML is the HTML content of every entry of an Atom feed, unescaped:
// what a feed reader renders as HTML (titles and summaries are text).
func feedHTML(t *testing.T, doc []byte) string {
	t.Helper()
	var f atomFeed
	if err := xml.Unmarshal(doc, &f); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range f.Entries {
		if e.Content != nil {
			b.WriteString(e.Content.Body)
		}
	}
	return b.String()
}

// TestStatusJSONIncidentUpdates: an open incident notice is listed in
// status.json's incidents with its updates, newest first, in Statuspage's
// shape; the Linker's outage, which it covers, is not listed twice; the
// resolved incidents are not listed.
func TestStatusJSONIncidentUpdates(t *testing.T) {
	v := renderView(t, timelineInput(t))
	var incidents []struct {
		ID, Name, Status, Impact string
		MonitoringAt             *string `json:"monitoring_at"`
		ResolvedAt               *string `json:"resolved_at"`
		UpdatedAt                string  `json:"updated_at"`
		Updates                  []struct {
			ID, Status, Body string
			IncidentID       string `json:"incident_id"`
			CreatedAt        string `json:"created_at"`
			DisplayAt        string `json:"display_at"`
		} `json:"incident_updates"`
		Components []struct{ ID string } `json:"components"`
	}
	raw, _ := json.Marshal(v.summary["incidents"])
	if err := json.Unmarshal(raw, &incidents); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, inc := range incidents {
		ids = append(ids, inc.ID)
	}
	if strings.Join(ids, " ") != "linker-queue" {
		t.Fatalf("incidents = %v, want the open incident notice alone (it covers the Linker's outage)", ids)
	}
	inc := incidents[0]
	if inc.Status != "monitoring" || inc.Impact != "major" || inc.MonitoringAt == nil || *inc.MonitoringAt != "2026-11-24T10:05:00.000Z" ||
		inc.ResolvedAt != nil || inc.UpdatedAt != "2026-11-24T10:05:00.000Z" {
		t.Errorf("incident = %+v, want monitoring since 10:05, impact major (the Linker is down), not resolved", inc)
	}
	if len(inc.Components) != 1 || inc.Components[0].ID != "linker" {
		t.Errorf("components = %+v, want the Linker", inc.Components)
	}
	want := []struct{ id, status, at, body string }{
		{"linker-queue-3", "monitoring", "2026-11-24T10:05:00.000Z", "The queue is drained; we are watching. Details on the status page (https://status.sefaria.org/)."},
		{"linker-queue-2", "identified", "2026-11-24T09:50:00.000Z", "A task queue is stuck. runbook"},
		{"linker-queue-1", "investigating", "2026-11-24T09:35:00.000Z", "We are investigating slow answers from the Linker. alert(1)"},
	}
	if len(inc.Updates) != len(want) {
		t.Fatalf("incident_updates = %+v, want %d", inc.Updates, len(want))
	}
	for i, w := range want {
		u := inc.Updates[i]
		if u.ID != w.id || u.Status != w.status || u.CreatedAt != w.at || u.DisplayAt != w.at || u.Body != w.body || u.IncidentID != "linker-queue" {
			t.Errorf("incident_updates[%d] = %+v, want %+v", i, u, w)
		}
	}
	if js := string(v.files["status.json"]); strings.Contains(js, "\\u003cscript") || strings.Contains(js, "javascript:") {
		t.Error("status.json carries an update's markup")
	}
}

// TestHistoryPages: history.html lists every month from the first
// retained day to this one, newest first, with its count; each month's
// page holds its incidents in full, links its neighbours, and says so
// when it has none.
func TestHistoryPages(t *testing.T) {
	files, err := Files(templates.FS, timelineInput(t))
	if err != nil {
		t.Fatal(err)
	}
	index := string(files["history.html"])
	months := regexp.MustCompile(`<li><a href="(history/[0-9-]+\.html)">([^<]+)</a> · ([^<]+)</li>`).FindAllStringSubmatch(index, -1)
	var got []string
	for _, m := range months {
		got = append(got, m[1]+" "+m[2]+" "+m[3])
	}
	want := []string{
		"history/2026-11.html November 2026 7 incidents",
		"history/2026-10.html October 2026 1 incident",
		"history/2026-09.html September 2026 No incidents reported",
		"history/2026-08.html August 2026 1 incident",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history.html months:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for path, checks := range map[string][]string{
		"history/2026-11.html": {`<a href="../history/2026-10.html" rel="prev">October 2026</a>`, `id="notice-linker-queue"`,
			"We are investigating slow answers", "Tasks sent to the Linker waited", `id="incident-linker-20261114T020000Z"`},
		"history/2026-10.html": {`rel="prev">September 2026`, `rel="next">November 2026`, "Texts failed to load", "A cache node was replaced."},
		"history/2026-09.html": {"No incidents reported in September 2026."},
	} {
		page := string(files[path])
		for _, c := range checks {
			if !strings.Contains(page, c) {
				t.Errorf("%s lacks %q", path, c)
			}
		}
	}
	if !strings.Contains(string(files["index.html"]), `<a href="history.html">Incident history</a>`) {
		t.Error("the index does not link to history.html")
	}
}

// TestFeedCarriesTimeline: an incident notice's entry is updated at its
// latest update and its content is the timeline, newest first.
func TestFeedCarriesTimeline(t *testing.T) {
	files, err := Files(templates.FS, timelineInput(t))
	if err != nil {
		t.Fatal(err)
	}
	var f atomFeed
	if err := xml.Unmarshal(files["feed.atom"], &f); err != nil {
		t.Fatal(err)
	}
	for _, e := range f.Entries {
		if !strings.HasSuffix(e.ID, "/notice/linker-queue") {
			continue
		}
		if e.Updated != "2026-11-24T10:05:00.000Z" || e.Published != "2026-11-24T09:30:00.000Z" {
			t.Errorf("entry updated %s published %s, want the latest update's time and the start", e.Updated, e.Published)
		}
		body := e.Content.Body
		mon, inv := strings.Index(body, "The queue is drained"), strings.Index(body, "We are investigating")
		if mon < 0 || inv < mon || !strings.Contains(body, "Monitoring") {
			t.Errorf("content = %q, want the timeline newest first with its status words", body)
		}
		if !strings.HasSuffix(e.Summary, " · monitoring") {
			t.Errorf("summary = %q, want the latest status", e.Summary)
		}
		return
	}
	t.Error("feed.atom has no entry for the open incident")
}

// TestIncidentLinksResolve: every same-site link of the index, the history
// pages, the service pages and the notices page leads to a file the render
// wrote and, with a #fragment, to an element with that id.
func TestIncidentLinksResolve(t *testing.T) {
	files, err := Files(templates.FS, timelineInput(t))
	if err != nil {
		t.Fatal(err)
	}
	href := regexp.MustCompile(`href="([^"]*)"`)
	checked := 0
	for name, data := range files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		for _, m := range href.FindAllStringSubmatch(string(data), -1) {
			link := m[1]
			if strings.Contains(link, ":") || strings.HasPrefix(link, "//") {
				continue // another site
			}
			target, frag, _ := strings.Cut(link, "#")
			if target == "" {
				target = name
			} else {
				target = path.Join(path.Dir(name), target)
			}
			page, ok := files[target]
			if !ok {
				t.Errorf("%s links to %s, which the render did not write", name, link)
				continue
			}
			if frag != "" && !strings.Contains(string(page), `id="`+frag+`"`) {
				t.Errorf("%s links to %s, which has no id %q", name, link, frag)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Errorf("checked %d links, want the site's hundreds", checked)
	}
}
