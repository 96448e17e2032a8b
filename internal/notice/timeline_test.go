package notice

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const incidentHead = "+++\ntitle = \"Linker slow\"\nkind = \"incident\"\nstart = 2026-11-24T09:00:00Z\nservices = [\"Linker\"]\n"

func TestParseTimeline(t *testing.T) {
	n, err := Parse("data/notices/linker.md", []byte(incidentHead+`
[[update]]
at = 2026-11-24T09:05:00Z
status = "investigating"
text = "We are looking into **slow** answers."

[[update]]
at = 2026-11-24T10:40:00+01:00  # 09:40 UTC
status = "identified"
text = """
A queue is stuck; see [the status](https://status.sefaria.org/).
[not a table header] <script>alert(1)</script>
"""

[[update]]
at = 2026-11-24T10:00:00Z
status = "resolved"
text = "Answers are fast again."
+++
Body.
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(n.Updates) != 3 {
		t.Fatalf("Updates = %+v, want 3", n.Updates)
	}
	want := []struct {
		at     string
		status Status
		html   string
	}{
		{"2026-11-24T09:05:00Z", Investigating, "<p>We are looking into <strong>slow</strong> answers.</p>\n"},
		{"2026-11-24T09:40:00Z", Identified, `<a href="https://status.sefaria.org/">the status</a>`},
		{"2026-11-24T10:00:00Z", Resolved, "<p>Answers are fast again.</p>\n"},
	}
	for i, w := range want {
		u := n.Updates[i]
		if !u.At.Equal(mustTime(t, w.at)) || u.At.Location() != time.UTC || u.Status != w.status || !strings.Contains(string(u.HTML), w.html) {
			t.Errorf("update %d = %v %s %q, want %s %s and HTML with %q", i+1, u.At, u.Status, u.HTML, w.at, w.status, w.html)
		}
	}
	if strings.Contains(string(n.Updates[1].HTML), "<script") {
		t.Errorf("update 2 HTML = %q, carries raw HTML", n.Updates[1].HTML)
	}
	if !n.End.Equal(mustTime(t, "2026-11-24T10:00:00Z")) {
		t.Errorf("End = %v, want the resolved update's time", n.End)
	}
	for at, want := range map[string]int{"2026-11-24T09:00:00Z": 0, "2026-11-24T09:40:00Z": 2, "2026-11-24T09:59:59Z": 2, "2026-11-24T10:00:00Z": 3} {
		if got := len(n.Posted(mustTime(t, at))); got != want {
			t.Errorf("Posted(%s) has %d updates, want %d", at, got, want)
		}
	}
	if !n.Open(mustTime(t, "2026-11-24T09:50:00Z")) || n.Open(mustTime(t, "2026-11-24T10:00:00Z")) || n.Open(mustTime(t, "2026-11-24T09:01:00Z")) {
		t.Error("Open is wrong: want open from the first update until the resolved one")
	}
}

// TestTimelineErrors: each mistake in a timeline is an error naming the
// file, the line, the update and the key.
func TestTimelineErrors(t *testing.T) {
	update := func(at, status, text string) string {
		return "[[update]]\nat = " + at + "\nstatus = " + status + "\ntext = " + text + "\n"
	}
	ok := update("2026-11-24T09:05:00Z", `"investigating"`, `"Looking."`)
	tests := []struct {
		name, src, want string
	}{
		{"unknown status", incidentHead + ok + update("2026-11-24T09:10:00Z", `"fixed"`, `"Done."`),
			`notice n.md:12: update 2: status must be one of investigating, identified, monitoring, resolved, not "fixed"`},
		{"empty status", incidentHead + update("2026-11-24T09:10:00Z", `""`, `"x"`),
			`notice n.md:8: update 1: status must be one of`},
		{"missing at", incidentHead + ok + "[[update]]\nstatus = \"resolved\"\ntext = \"Done.\"\n",
			"notice n.md:10: update 2: at is required"},
		{"quoted at", incidentHead + update(`"2026-11-24T09:05:00Z"`, `"investigating"`, `"x"`),
			`notice n.md:7: update 1: at must be a TOML date-time without quotes, like 2026-11-25T02:00:00Z, not the string "2026-11-24T09:05:00Z"`},
		{"at without offset", incidentHead + update("2026-11-24T09:05:00", `"investigating"`, `"x"`),
			"notice n.md:7: update 1: at needs a UTC offset"},
		{"at a date only", incidentHead + update("2026-11-24", `"investigating"`, `"x"`),
			"notice n.md:7: update 1: at needs a UTC offset"},
		{"at a number", incidentHead + update("1732435500", `"investigating"`, `"x"`),
			"notice n.md:7: update 1: at must be a date-time with its offset"},
		{"unparseable at", incidentHead + update("2026-13-45T09:05:00Z", `"investigating"`, `"x"`),
			`notice n.md:7: update.at: invalid datetime: "2026-13-45T09:05:00Z"`},
		{"out of order", incidentHead + ok + update("2026-11-24T09:01:00Z", `"identified"`, `"x"`),
			"notice n.md:11: update 2: at 2026-11-24T09:01:00Z is before update 1's 2026-11-24T09:05:00Z: write the updates oldest first"},
		{"before the start", incidentHead + update("2026-11-24T08:00:00Z", `"investigating"`, `"x"`),
			"notice n.md:7: update 1: at 2026-11-24T08:00:00Z is before the notice's start 2026-11-24T09:00:00Z"},
		{"no text", incidentHead + update("2026-11-24T09:05:00Z", `"investigating"`, `"  "`),
			"notice n.md:9: update 1: text is required"},
		{"unknown key", incidentHead + ok + "[[update]]\nat = 2026-11-24T09:06:00Z\nstatus = \"resolved\"\nbody = \"Done.\"\n",
			`notice n.md:13: update 2: unknown key "body" (known: at, status, text)`},
		{"on maintenance", "+++\ntitle = \"DB\"\nkind = \"maintenance\"\nstart = 2026-11-24T09:00:00Z\nend = 2026-11-24T10:00:00Z\n\n" + ok,
			`notice n.md:7: [[update]] is only for kind = "incident", not "maintenance"`},
		{"on info", "+++\ntitle = \"Hi\"\nkind = \"info\"\nstart = 2026-11-24T09:00:00Z\n" + ok,
			`notice n.md:5: [[update]] is only for kind = "incident", not "info"`},
		{"a single table", incidentHead + "[update]\nat = 2026-11-24T09:05:00Z\nstatus = \"investigating\"\ntext = \"x\"\n",
			"notice n.md:6: update: write each update as its own [[update]] table, with two brackets"},
		{"misspelt table", incidentHead + "[[updates]]\nat = 2026-11-24T09:05:00Z\nstatus = \"investigating\"\ntext = \"x\"\n",
			`notice n.md:6: unknown key "updates"`},
		{"wrong type of status", incidentHead + update("2026-11-24T09:05:00Z", "3", `"x"`),
			"notice n.md:8: update.status: incompatible types"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("n.md", []byte(tt.src+"+++\n"))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want prefix %q; source:\n%s", err, tt.want, tt.src)
			}
		})
	}
}

// TestLoadDirKeepsNoticesBesideABadTimeline: a notice whose timeline is
// wrong is left out and reported; the others, an incident with a good
// timeline among them, still load.
func TestLoadDirKeepsNoticesBesideABadTimeline(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"good.md": incidentHead + "[[update]]\nat = 2026-11-24T09:05:00Z\nstatus = \"monitoring\"\ntext = \"Watching.\"\n+++\n",
		"bad.md":  incidentHead + "[[update]]\nat = 2026-11-24T09:05:00Z\nstatus = \"done\"\ntext = \"x\"\n+++\n",
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ns, problems := LoadDir(dir, []string{"Linker"})
	if slugs(ns) != "good" || len(ns[0].Updates) != 1 {
		t.Errorf("LoadDir kept %q, want good with its update", slugs(ns))
	}
	want := "notice " + filepath.Join(dir, "bad.md") + `:8: update 1: status must be one of`
	if len(problems) != 1 || !strings.HasPrefix(problems[0].Error(), want) {
		t.Errorf("LoadDir problems = %q, want one starting %q", problems, want)
	}
}

// TestPlainText: what status.json's clients get of an update: the words,
// no markup, a safe link's target after its text, an unsafe one dropped.
func TestPlainText(t *testing.T) {
	tests := []struct{ md, want string }{
		{"We are investigating slow answers from the **Linker**.", "We are investigating slow answers from the Linker."},
		{"Raw <script>alert(1)</script> HTML", "Raw alert(1) HTML"},
		{"<div onclick=x>block</div>\n\nafter", "after"},
		{"See [the status](https://status.sefaria.org/).", "See the status (https://status.sefaria.org/)."},
		{"A [runbook](javascript:alert(1)) link", "A runbook link"},
		{"<https://www.sefaria.org/>", "https://www.sefaria.org/"},
		{"line one\nline two\n\nnext paragraph", "line one line two\n\nnext paragraph"},
		{"- one\n- two", "one\n\ntwo"},
		{"`code` and ![chart](https://evil.example/x.png)", "code and chart"},
		{"pay \u202egnp.exe now", "pay gnp.exe now"},
	}
	for _, tt := range tests {
		if got := plainText([]byte(tt.md)); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", tt.md, got, tt.want)
		}
	}
}
