package cli

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRenderShowsIncidentTimeline drives `statusgen render` over a data
// folder holding an incident notice with a timeline, a resolved one, and a
// notice whose timeline is wrong. The page still renders, the bad notice
// is reported with its file, line and key (and `check` exits 2 over it),
// and the timeline reaches the index, the service page, the history page,
// the feed and status.json.
func TestRenderShowsIncidentTimeline(t *testing.T) {
	w := newWorkspace(t, renderConfig)
	now := time.Now().UTC().Truncate(time.Second)
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	start := now.Add(-2 * time.Hour)
	writeNoticeFile(t, w.data, "web-slow.md", fmt.Sprintf(`+++
title = "Pages load slowly"
kind = "incident"
start = %s
services = ["web"]

[[update]]
at = %s
status = "investigating"
text = "Pages take **seconds** to load."

[[update]]
at = %s
status = "identified"
text = "A database replica fell behind."

[[update]]
at = %s
status = "monitoring"
text = "The replica caught up; we are watching it."
+++
`, at(-2*time.Hour), at(-110*time.Minute), at(-80*time.Minute), at(-20*time.Minute)))
	writeNoticeFile(t, w.data, "search.md", fmt.Sprintf(`+++
title = "Search was down"
kind = "incident"
start = %s

[[update]]
at = %s
status = "resolved"
text = "Search is back."
+++
`, at(-50*time.Hour), at(-49*time.Hour)))
	bad := writeNoticeFile(t, w.data, "bad.md", fmt.Sprintf(`+++
title = "Broken"
kind = "incident"
start = %s

[[update]]
at = %s
status = "fixed"
text = "Done."
+++
`, at(-time.Hour), at(-30*time.Minute)))

	code, _, stderr := w.run(t, nil, "render")
	wantProblem := bad + `:8: update 1: status must be one of investigating, identified, monitoring, resolved, not \"fixed\"`
	if code != ExitOK || !strings.Contains(stderr, "notice skipped") || !strings.Contains(stderr, wantProblem) {
		t.Fatalf("render = %d, stderr:\n%s\nwant 0 and the bad notice reported as %s", code, stderr, wantProblem)
	}
	code, _, stderr = w.run(t, nil, "check")
	if code != ExitUsage || !strings.Contains(stderr, strings.ReplaceAll(wantProblem, `\"`, `"`)) {
		t.Errorf("check = %d, stderr:\n%s\nwant 2 and the bad notice's line and key", code, stderr)
	}

	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(w.site, filepath.FromSlash(name)))
		if err != nil {
			t.Fatalf("after render: %v", err)
		}
		return string(b)
	}
	month := start.Format("2006-01")
	texts := []string{"The replica caught up; we are watching it.", "A database replica fell behind.", "Pages take <strong>seconds</strong> to load."}
	for _, page := range []string{"index.html", "history/" + month + ".html"} {
		s := read(page)
		last := -1
		for _, text := range texts {
			i := strings.Index(s, text)
			if i < 0 || i < last {
				t.Errorf("%s: update %q missing or out of order (newest first)", page, text)
			}
			last = i
		}
		if strings.Contains(s, "Broken") {
			t.Errorf("%s shows the bad notice", page)
		}
	}
	index := read("index.html")
	for _, want := range []string{`<h2 id="past-incidents">Past incidents</h2>`, "Search was down", "Search is back.", "No incidents reported.",
		`<a href="history.html">Incident history</a>`} {
		if !strings.Contains(index, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if s := read("services/web.html"); !strings.Contains(s, "Incident reports") || !strings.Contains(s, texts[0]) {
		t.Error("services/web.html lacks the incident report with its latest update")
	}
	if s := read("history.html"); !strings.Contains(s, `href="history/`+month+`.html"`) {
		t.Errorf("history.html does not link to %s's page", month)
	}

	var feed struct {
		Entries []struct {
			ID      string `xml:"id"`
			Updated string `xml:"updated"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(read("feed.atom")), &feed); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range feed.Entries {
		if strings.HasSuffix(e.ID, ":notice:web-slow") {
			found = true
			if want := now.Add(-20 * time.Minute).Format("2006-01-02T15:04:05.000Z"); e.Updated != want || !strings.Contains(e.Content, texts[1]) {
				t.Errorf("feed entry updated %s, content %q; want %s and the timeline", e.Updated, e.Content, want)
			}
		}
	}
	if !found {
		t.Error("feed.atom lacks the incident notice")
	}

	var summary struct {
		Incidents []struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Updates []struct {
				Status string `json:"status"`
				Body   string `json:"body"`
			} `json:"incident_updates"`
		} `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(read("status.json")), &summary); err != nil {
		t.Fatal(err)
	}
	if len(summary.Incidents) != 1 || summary.Incidents[0].ID != "web-slow" || summary.Incidents[0].Status != "monitoring" {
		t.Fatalf("status.json incidents = %+v, want the open incident web-slow, monitoring", summary.Incidents)
	}
	var got []string
	for _, u := range summary.Incidents[0].Updates {
		got = append(got, u.Status+": "+u.Body)
	}
	want := []string{"monitoring: " + texts[0], "identified: " + texts[1], "investigating: Pages take seconds to load."}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("incident_updates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
