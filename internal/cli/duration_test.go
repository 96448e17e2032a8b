package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/runner"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestNinetySecondsReadTheSameEverywhere: one outage of 90 s, ended by a
// real `once`, and a day with 90 s down. The table, Slack, the page's
// incidents, the feed, the daily table and the 90-day bar all say
// "1 min 30 s"; they used to say "1m30s", "1m 30s", "1 min" and "2 min".
func TestNinetySecondsReadTheSameEverywhere(t *testing.T) {
	slack := newSlackInbox(t)
	w := newWorkspace(t, cadenceConfig(target(t), "60s"))

	// A past day, two days back, with 90 s down: down at noon and a
	// minute later, up 30 s after that.
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -2)
	noon := day.Add(12 * time.Hour)
	writeHistory(t, w.data, 60*time.Second, []check{
		{noon, uptime.Down}, {noon.Add(time.Minute), uptime.Down}, {noon.Add(90 * time.Second), uptime.Up}})

	// An announced outage that began 90 s before the cycle below ends it
	// (a quarter second less: the cycle starts a moment after this).
	since := time.Now().UTC().Add(-90*time.Second + 250*time.Millisecond)
	st := tracker.New()
	st.Services["web"] = &tracker.ServiceState{Status: uptime.Down, Failures: 2, Since: since, Announced: true,
		IncidentID: "web-outage", DownError: uptime.ErrStatus, LastCheck: since, LastCode: 503, LastError: uptime.ErrStatus}
	if err := os.MkdirAll(w.data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(filepath.Join(w.data, runner.StateFile)); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := w.run(t, map[string]string{"SLACK_WEBHOOK_URL": slack.hook()}, "once")
	if code != ExitOK {
		t.Fatalf("once = %d, stderr:\n%s", code, stderr)
	}
	const want = "1 min 30 s"
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(w.site, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	p := readPage(t, w)
	var slackText []string
	for _, m := range slack.all() {
		var msg slackMessage
		if err := json.Unmarshal(m.body, &msg); err != nil {
			t.Fatal(err)
		}
		slackText = append(slackText, msg.Text)
		slackText = append(slackText, msg.blocksText()...)
	}
	row := p.row(t, day)
	incident := regexp.MustCompile(`<tr id="incident-web-outage">.*?</tr>`)
	places := []struct{ where, text string }{
		{"the once table", lineWith(stdout, "web")},
		{"Slack's RECOVERED message", strings.Join(slackText, "\n")},
		{"the index's past incidents", regexp.MustCompile(`(?s)<article class="incident outage">.*?</article>`).FindString(p.index)},
		{"the service page's incidents", incident.FindString(p.service)},
		{"the feed", regexp.MustCompile(`<title>web was down[^<]*</title>`).FindString(read("feed.atom"))},
		{"the daily table's Down cell", row[1]},
		{"the 90-day bar's tooltip", p.day(t, day)},
	}
	for _, pl := range places {
		if !strings.Contains(pl.text, want) {
			t.Errorf("%s does not say %q:\n%s", pl.where, want, pl.text)
		}
	}
}
