package notice

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC()
}

func TestParseFrontMatter(t *testing.T) {
	n, err := Parse("data/notices/db-upgrade.md", []byte(`+++
title = "Database upgrade"
kind = "maintenance"
start = 2026-11-25T02:00:00Z
end = 2026-11-25T03:30:00+01:00
services = ["Linker", " sefaria.org "]
+++
The **Linker** may answer slowly.
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if n.Slug != "db-upgrade" || n.Title != "Database upgrade" || n.Kind != Maintenance {
		t.Errorf("Parse = %+v, want slug db-upgrade, the title and kind maintenance", n)
	}
	if want := mustTime(t, "2026-11-25T02:30:00Z"); !n.End.Equal(want) || n.End.Location() != time.UTC {
		t.Errorf("End = %v, want %v in UTC", n.End, want)
	}
	if strings.Join(n.Services, "|") != "Linker|sefaria.org" {
		t.Errorf("Services = %q, want [Linker sefaria.org]", n.Services)
	}
	if want := "<p>The <strong>Linker</strong> may answer slowly.</p>\n"; string(n.HTML) != want {
		t.Errorf("HTML = %q, want %q", n.HTML, want)
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"no front matter", "# Hello\n", "notice n.md:1: a notice must begin with"},
		{"never closed", "+++\ntitle = \"x\"\n", "notice n.md:1: the front matter opened here is never closed"},
		{"syntax", "+++\ntitle = \"x\"\nkind = maintenance\n+++\n", "notice n.md:3: "},
		{"unknown key", "+++\ntitle = \"x\"\nkind = \"info\"\nstart = 2026-01-01T00:00:00Z\nauthor = \"me\"\n+++\n", `notice n.md:5: unknown key "author"`},
		{"no title", "+++\nkind = \"info\"\nstart = 2026-01-01T00:00:00Z\n+++\n", "notice n.md: title is required"},
		{"bad kind", "+++\ntitle = \"x\"\nkind = \"outage\"\nstart = 2026-01-01T00:00:00Z\n+++\n", `notice n.md:3: kind must be "maintenance", "incident" or "info", not "outage"`},
		{"no start", "+++\ntitle = \"x\"\nkind = \"info\"\n+++\n", "notice n.md: start is required"},
		{"local start", "+++\ntitle = \"x\"\nkind = \"info\"\nstart = 2026-01-01T00:00:00\n+++\n", "notice n.md:4: start needs a UTC offset"},
		{"maintenance without end", "+++\ntitle = \"x\"\nkind = \"maintenance\"\nstart = 2026-01-01T00:00:00Z\n+++\n", "notice n.md: end is required for maintenance"},
		{"end before start", "+++\ntitle = \"x\"\nkind = \"maintenance\"\nstart = 2026-01-01T00:00:00Z\n\nend = 2025-01-01T00:00:00Z\n+++\n", "notice n.md:6: end must be after start"},
		{"wrong type", "+++\ntitle = 3\nkind = \"info\"\nstart = 2026-01-01T00:00:00Z\n+++\n", "notice n.md:2: "},
		{"empty service", "+++\ntitle = \"x\"\nkind = \"info\"\nstart = 2026-01-01T00:00:00Z\nservices = [\"\"]\n+++\n", "notice n.md:5: services must not contain an empty name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("n.md", []byte(tt.src))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse(%q) error = %v, want prefix %q", tt.src, err, tt.want)
			}
		})
	}
}

func TestMarkdownIsInert(t *testing.T) {
	tests := []struct {
		name, md string
		banned   []string // must not appear in the HTML
		kept     string   // must appear
	}{
		{"raw script", "<script>alert(1)</script>\n\nhi", []string{"<script"}, "hi"},
		{"inline html handler", `a <img src=x onerror=alert(1)> b`, []string{"<img", "onerror"}, "a"},
		{"javascript link", "[click](javascript:alert(1))", []string{"javascript:", "<a"}, "click"},
		{"mixed case scheme", "[click](JaVaScRiPt:alert(1))", []string{"alert", "<a"}, "click"},
		{"entity scheme", "[click](java&#115;cript:alert(1))", []string{"alert", "<a"}, "click"},
		{"autolink", "<javascript:alert(1)>", []string{"<a", "href"}, "javascript:alert(1)"},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)", []string{"data:", "<a"}, "x"},
		{"remote image", "![logo](https://evil.example/x.png)", []string{"<img", "evil"}, "logo"},
		{"bidi override", "pay \u202egnp.exe\u202c now", []string{"\u202e", "\u202c"}, "gnp.exe"},
		{"https link", "[status](https://www.sefaria.org/)", nil, `<a href="https://www.sefaria.org/">status</a>`},
		{"relative image", "![chart](chart.png)", nil, `<img src="chart.png" alt="chart">`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := render([]byte(tt.md))
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range tt.banned {
				if strings.Contains(strings.ToLower(string(got)), strings.ToLower(b)) {
					t.Errorf("render(%q) = %q, contains %q", tt.md, got, b)
				}
			}
			if !strings.Contains(string(got), tt.kept) {
				t.Errorf("render(%q) = %q, want it to contain %q", tt.md, got, tt.kept)
			}
		})
	}
}

func TestWindowsAndHeld(t *testing.T) {
	start, end := mustTime(t, "2026-11-25T02:00:00Z"), mustTime(t, "2026-11-25T03:00:00Z")
	notices := []Notice{
		{Slug: "db", Kind: Maintenance, Start: start, End: end, Services: []string{"Linker"}},
		{Slug: "all", Kind: Maintenance, Start: end.Add(time.Hour), End: end.Add(2 * time.Hour)},
		{Slug: "write-up", Kind: Incident, Start: start, End: end, Services: []string{"sefaria.org"}},
	}
	held := Held(notices)
	tests := []struct {
		service string
		at      time.Time
		want    bool
	}{
		{"Linker", start.Add(-time.Second), false},
		{"Linker", start, true},
		{"Linker", end.Add(-time.Second), true},
		{"Linker", end, false},
		{"sefaria.org", start.Add(time.Minute), false}, // an incident write-up holds nothing
		{"sefaria.org", end.Add(90 * time.Minute), true},
		{"Chatbot", end.Add(90 * time.Minute), true}, // no services: all of them
	}
	for _, tt := range tests {
		if got := held(tt.service, tt.at); got != tt.want {
			t.Errorf("Held(%s, %s) = %v, want %v", tt.service, tt.at.Format(time.RFC3339), got, tt.want)
		}
	}
	if !notices[0].Upcoming(start.Add(-time.Second)) || notices[0].Upcoming(start) {
		t.Error("Upcoming is wrong at the window's start")
	}
	if !(Notice{Start: start}).Active(end.Add(1000 * time.Hour)) {
		t.Error("a notice with no end should stay active")
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.md", "+++\ntitle = \"B\"\nkind = \"info\"\nstart = 2026-01-02T00:00:00Z\n+++\nb\n")
	write("a.md", "+++\ntitle = \"A\"\nkind = \"info\"\nstart = 2026-01-02T00:00:00Z\n+++\na\n")
	write("early.md", "+++\ntitle = \"E\"\nkind = \"info\"\nstart = 2026-01-01T00:00:00Z\n+++\n")
	write("README.txt", "not a notice")
	ns, problems := LoadDir(dir, nil)
	if len(problems) > 0 {
		t.Fatalf("LoadDir: %v", problems)
	}
	if got := slugs(ns); got != "early,a,b" {
		t.Errorf("LoadDir order = %s, want early,a,b", got)
	}
	if ns, problems := LoadDir(filepath.Join(dir, "missing"), nil); problems != nil || ns != nil {
		t.Errorf("LoadDir(missing) = %v, %v, want nil, nil", ns, problems)
	}
}

// TestLoadDirSkipsBadNotices: each file that cannot be used is left out and
// reported with its file and line; the others, and the maintenance window
// among them, still count.
func TestLoadDirSkipsBadNotices(t *testing.T) {
	known := []string{"sefaria.org", "Linker", "MCP Server"}
	tests := []struct {
		name, src string
		want      string // the problem, after "notice DIR/"
	}{
		{"syntax", "+++\ntitle = \"x\"\nkind = maintenance\n+++\n", "bad.md:3: "},
		{"bad kind", "+++\ntitle = \"x\"\nkind = \"nope\"\nstart = 2026-01-01T00:00:00Z\n+++\n", `bad.md:3: kind must be "maintenance", "incident" or "info", not "nope"`},
		{"no front matter", "# Maintenance tonight\n", "bad.md:1: a notice must begin with"},
		{"unknown service", "+++\ntitle = \"x\"\nkind = \"info\"\nstart = 2026-01-01T00:00:00Z\n\nservices = [\"Linker\", \"Chatbot\"]\n+++\n",
			`bad.md:6: services: "Chatbot" is not a configured service; known: "sefaria.org", "Linker", "MCP Server"`},
		{"the first word of a name", "+++\ntitle = \"x\"\nkind = \"info\"\nstart = 2026-01-01T00:00:00Z\nservices = [\"Sefaria\"]\n+++\n",
			`bad.md:5: services: "Sefaria" is not a configured service (did you mean "sefaria.org"?); known: "sefaria.org", "Linker", "MCP Server"`},
		{"a near miss", "+++\ntitle = \"x\"\nkind = \"info\"\nstart = 2026-01-01T00:00:00Z\nservices = [\"mcp-server\"]\n+++\n",
			`bad.md:5: services: "mcp-server" is not a configured service (did you mean "MCP Server"?); known: "sefaria.org", "Linker", "MCP Server"`},
	}
	start := mustTime(t, "2026-11-25T02:00:00Z")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			good := "+++\ntitle = \"DB\"\nkind = \"maintenance\"\nstart = 2026-11-25T02:00:00Z\nend = 2026-11-25T03:00:00Z\nservices = [\"Linker\"]\n+++\n"
			for name, src := range map[string]string{"db.md": good, "bad.md": tt.src} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ns, problems := LoadDir(dir, known)
			if got := slugs(ns); got != "db" {
				t.Errorf("LoadDir kept %q, want the good notice db alone", got)
			}
			want := "notice " + filepath.Join(dir, tt.want)
			if len(problems) != 1 || !strings.HasPrefix(problems[0].Error(), want) {
				t.Errorf("LoadDir problems = %q, want one starting %q", problems, want)
			}
			if !Held(ns)("Linker", start.Add(time.Minute)) {
				t.Error("the good maintenance notice holds no alert beside the bad file")
			}
		})
	}
}

func TestLoadDirListsAFewKnownNames(t *testing.T) {
	dir := t.TempDir()
	src := "+++\ntitle = \"x\"\nkind = \"info\"\nstart = 2026-01-01T00:00:00Z\nservices = [\"nope\"]\n+++\n"
	if err := os.WriteFile(filepath.Join(dir, "n.md"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var known []string
	for i := range 1000 {
		known = append(known, fmt.Sprintf("svc-%03d", i))
	}
	_, problems := LoadDir(dir, known)
	if len(problems) != 1 || !strings.HasSuffix(problems[0].Error(), `"svc-011" and 988 more`) {
		t.Errorf("LoadDir problems = %q, want the first twelve names and how many more", problems)
	}
}

func slugs(ns []Notice) string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Slug)
	}
	return strings.Join(out, ",")
}

// FuzzParse checks that no input panics, and that an accepted notice is
// well formed and its HTML carries no script.
func FuzzParse(f *testing.F) {
	f.Add([]byte("+++\ntitle = \"x\"\nkind = \"info\"\nstart = 2026-01-01T00:00:00Z\n+++\nhello\n"))
	f.Add([]byte("+++\ntitle = \"x\"\nkind = \"maintenance\"\nstart = 2026-01-01T00:00:00Z\nend = 2026-01-01T01:00:00Z\nservices = [\"a\"]\n+++\n<script>x</script>[a](javascript:x)\n"))
	f.Add([]byte("+++\ntitle = \"x\"\nkind = \"incident\"\nstart = 2026-01-01T00:00:00Z\n[[update]]\nat = 2026-01-01T00:05:00Z\nstatus = \"resolved\"\ntext = \"<script>x</script>ok\"\n+++\n"))
	f.Add([]byte("+++\n+++\n"))
	f.Add([]byte("+++\r\ntitle = 'x'\r\n+++\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse("f.md", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "notice f.md") {
				t.Errorf("Parse error %q does not name the file", err)
			}
			return
		}
		if n.Title == "" || (n.Kind != Maintenance && n.Kind != Incident && n.Kind != Info) {
			t.Errorf("Parse accepted %+v", n)
		}
		if !n.End.IsZero() && !n.End.After(n.Start) {
			t.Errorf("Parse accepted end %v before start %v", n.End, n.Start)
		}
		if strings.Contains(strings.ToLower(string(n.HTML)), "<script") {
			t.Errorf("HTML has a script: %q", n.HTML)
		}
		if len(n.Updates) > 0 && n.Kind != Incident {
			t.Errorf("Parse accepted a timeline on a %s notice", n.Kind)
		}
		for i, u := range n.Updates {
			if !validStatus(u.Status) || u.At.Before(n.Start) || (i > 0 && u.At.Before(n.Updates[i-1].At)) || u.Text == "" {
				t.Errorf("Parse accepted update %d: %+v", i+1, u)
			}
			if strings.Contains(strings.ToLower(string(u.HTML)), "<script") {
				t.Errorf("update %d HTML has a script: %q", i+1, u.HTML)
			}
		}
	})
}
