package site

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

func TestOverallBannerRule(t *testing.T) {
	tests := []struct {
		name    string
		conds   []condition
		ongoing int // ongoing outages listed
		want    banner
	}{
		{"all up", []condition{condUp, condUp, condUp, condUp}, 0, bannerUp},
		{"one degraded", []condition{condUp, condDegraded, condUp, condUp}, 0, bannerMinor},
		{"one down", []condition{condDown, condUp, condUp, condUp}, 1, bannerMajor},
		{"half down", []condition{condDown, condDown, condUp, condUp}, 2, bannerMajor},
		{"most down", []condition{condDown, condDown, condDown, condUp}, 3, bannerCritical},
		{"down and the rest in maintenance", []condition{condDown, condMaint, condMaint}, 1, bannerCritical},
		{"down service in maintenance, no outage listed", []condition{condMaint, condUp}, 0, bannerUp},
		{"ongoing outage of a service in maintenance", []condition{condMaint, condUp}, 1, bannerMajor},
		{"ongoing outage and something slow", []condition{condMaint, condDegraded}, 1, bannerMajor},
		{"all in maintenance", []condition{condMaint, condMaint}, 0, bannerMaint},
		{"all in maintenance, one outage ongoing", []condition{condMaint, condMaint}, 1, bannerMajor},
		{"never checked", []condition{condUnknown, condUnknown}, 0, bannerWaiting},
		{"one new service", []condition{condUnknown, condUp}, 0, bannerUp},
		{"no services", nil, 0, bannerUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := overall(tt.conds, tt.ongoing); got != tt.want {
				t.Errorf("overall(%v, %d) = %v, want %v", tt.conds, tt.ongoing, got, tt.want)
			}
		})
	}
}

func TestConditionOf(t *testing.T) {
	ok := fixedNow.Add(-time.Hour) // a last success on record
	tests := []struct {
		name  string
		s     Service
		under bool
		want  condition
		note  string
	}{
		{"up", Service{Status: uptime.Up}, false, condUp, ""},
		{"slow", Service{Status: uptime.Degraded}, false, condDegraded, ""},
		{"confirmed down", Service{Status: uptime.Down, Confirmed: true, Failures: 3}, false, condDown, ""},
		{"one failed check", Service{Status: uptime.Down, Failures: 1, LastSuccess: ok}, false, condUp, "1 failed check, watching"},
		{"two failed checks", Service{Status: uptime.Down, Failures: 2, LastSuccess: ok}, false, condUp, "2 failed checks, watching"},
		{"failing since its first check", Service{Status: uptime.Down, Failures: 1}, false, condUnknown, "1 failed check, watching"},
		{"confirmed down in maintenance", Service{Status: uptime.Down, Confirmed: true}, true, condMaint, ""},
		{"one failed check in maintenance", Service{Status: uptime.Down, Failures: 1, LastSuccess: ok}, true, condMaint, "1 failed check, watching"},
		{"never checked", Service{}, false, condUnknown, ""},
	}
	for _, tt := range tests {
		if got := conditionOf(tt.s, tt.under); got != tt.want {
			t.Errorf("%s: conditionOf(%+v, %v) = %v, want %v", tt.name, tt.s, tt.under, got, tt.want)
		}
		if got := watchNote(tt.s); got != tt.note {
			t.Errorf("%s: watchNote(%+v) = %q, want %q", tt.name, tt.s, got, tt.note)
		}
	}
}

func TestPhrase(t *testing.T) {
	tests := []struct {
		kind uptime.ErrorKind
		code int
		want string
	}{
		{uptime.ErrTimeout, 0, "Request timed out"},
		{uptime.ErrDNS, 0, "Service unreachable"},
		{uptime.ErrConnect, 0, "Service unreachable"},
		{uptime.ErrTLS, 0, "Secure connection failed"},
		{uptime.ErrProtocol, 200, "Invalid response"},
		{uptime.ErrTooLarge, 200, "Response too large"},
		{uptime.ErrStatus, 503, "Unexpected response (HTTP 503)"},
		{uptime.ErrStatus, 0, "Unexpected response"},
		{uptime.ErrStatus, 99999, "Unexpected response"},
		{uptime.ErrBody, 200, "Not responding correctly"},
		{uptime.ErrNotJSON, 200, "Not responding correctly"},
		{uptime.ErrBadResult, 200, "Not responding correctly"},
		{uptime.ErrNoTaskID, 202, "Not responding correctly"},
		{uptime.ErrTaskFailed, 500, "Task failed"},
		{uptime.ErrTaskTimeout, 202, "Task did not finish in time"},
		{uptime.ErrNoQuorum, 0, "Too few locations answered"}, // the monitor's locations, never "unreachable"
		{uptime.ErrorKind("<script>alert(1)</script>"), 0, "Not responding correctly"},
	}
	for _, tt := range tests {
		if got := Phrase(tt.kind, tt.code); got != tt.want {
			t.Errorf("Phrase(%q, %d) = %q, want %q", tt.kind, tt.code, got, tt.want)
		}
	}
	for _, k := range uptime.ErrorKinds {
		if p := Phrase(k, 0); p == "" || p[0] < 'A' || p[0] > 'Z' {
			t.Errorf("Phrase(%q) = %q, want a sentence for the public", k, p)
		}
	}
}

func TestPercentNeverRoundsUpToFull(t *testing.T) {
	if got := percent(0.99999, true); got != "99.99%" {
		t.Errorf("percent(0.99999) = %s, want 99.99%%", got)
	}
	if got := percent(1, true); got != "100.00%" {
		t.Errorf("percent(1) = %s, want 100.00%%", got)
	}
	if got := percent(0, false); got != "—" {
		t.Errorf("percent(no data) = %s, want —", got)
	}
}

// TestRemoteTextIsInert renders the hostile fixture (a service name with
// markup and bidi overrides, error details with a script, notices with
// raw HTML and javascript: links) and checks that none of it is live.
func TestRemoteTextIsInert(t *testing.T) {
	files, err := Files(templates.FS, fixtureInput(t))
	if err != nil {
		t.Fatal(err)
	}
	scriptTag := regexp.MustCompile(`(?i)<script\b[^>]*>`)
	for name, data := range files {
		s := string(data)
		for _, bad := range []string{"<img", "onerror=alert", "javascript:", "alert(\"detail\")", "alert(&#34;detail", "\u202e", "\u202c"} {
			if strings.Contains(s, bad) && !(bad == "onerror=alert" && !strings.Contains(s, "<img")) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
		for _, tag := range scriptTag.FindAllString(s, -1) {
			if !strings.Contains(tag, `src="`) || !strings.Contains(tag, `status.js"`) {
				t.Errorf("%s has a script tag other than status.js: %s", name, tag)
			}
		}
	}
	if !strings.Contains(string(files["index.html"]), "&lt;img src=x onerror=alert(1)&gt;Chat") {
		t.Error("index.html does not show the hostile service name as text")
	}
}

func TestPagesFollowTheRules(t *testing.T) {
	files, err := Files(templates.FS, fixtureInput(t))
	if err != nil {
		t.Fatal(err)
	}
	external := regexp.MustCompile(`(?i)\b(src|srcset|poster|data)="(https?:)?//|<link[^>]+href="(https?:)?//|url\((https?:)?//`)
	canonical := regexp.MustCompile(`<link rel="canonical" href="[^"]*">`) // an address, not a load
	var pages []string
	for name := range files {
		if strings.HasSuffix(name, ".html") {
			pages = append(pages, name)
		}
	}
	slices.Sort(pages)
	if want := []string{"history.html", "history/2026-08.html", "history/2026-09.html", "history/2026-10.html", "history/2026-11.html",
		"index.html", "notices.html", "services/chatbot.html", "services/img-src-x-onerror-alert-1-chat.html",
		"services/linker.html", "services/mcp-server.html", "services/sefaria-org.html"}; !slices.Equal(pages, want) {
		t.Errorf("pages = %v, want %v", pages, want)
	}
	for _, name := range pages {
		s := string(files[name])
		head := strings.SplitN(s, "<head>\n", 2)
		if len(head) != 2 || !strings.HasPrefix(head[1], `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'">`) {
			t.Errorf("%s: the Content-Security-Policy meta tag is not first in <head>", name)
		}
		if len(head) != 2 || !strings.Contains(strings.SplitN(head[1], "</head>", 2)[0], `<noscript><meta http-equiv="refresh" content="60"></noscript>`) {
			t.Errorf("%s lacks the meta refresh for browsers without JavaScript", name)
		}
		if m := external.FindString(canonical.ReplaceAllString(s, "")); m != "" {
			t.Errorf("%s loads from another origin: %s", name, m)
		}
		if strings.Contains(s, "style=") {
			t.Errorf("%s has an inline style, which the CSP blocks", name)
		}
	}
	for _, want := range []string{"status.json", "api/v2/summary.json", "feed.atom", "style.css", "status.js", "favicon.svg",
		"badges/linker.svg", "badges/linker-uptime.svg", "badges/img-src-x-onerror-alert-1-chat.svg"} {
		if _, ok := files[want]; !ok {
			t.Errorf("the site lacks %s", want)
		}
	}
	if !bytes.Equal(files["status.json"], files["api/v2/summary.json"]) {
		t.Error("status.json and api/v2/summary.json differ")
	}
}

func TestDeterministic(t *testing.T) {
	cfg, dir, st := fixture(t, sefaria, true)
	render := func() string {
		in, err := Load(cfg, dir, st, fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "site")
		if err := Render(templates.FS, out, in); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := render(), render()
	var n int
	filepath.WalkDir(a, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, path)
		x, _ := os.ReadFile(path)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two renders of the same input", rel)
		}
		n++
		return nil
	})
	if n < 15 {
		t.Errorf("rendered %d files, want at least 15", n)
	}
}

// TestRenderUpdatesTheFolderInPlace: a render never replaces the site
// folder (it may be a mount point) or touches anything beside it; a first
// render removes what an earlier one may have left in the site's own
// folders, and nothing else.
func TestRenderUpdatesTheFolderInPlace(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "site")
	files := []struct {
		path string
		kept bool
	}{
		{"services/gone.html", false},        // a service no longer configured
		{"badges/gone.svg", false},           // its badge
		{"services/.a.html.tmp-123", false},  // an interrupted render's
		{".index.html.tmp-9", false},         // the same, at the root
		{"README.md", false},                 // written by earlier versions
		{"CNAME", true},                      // not the site's
		{"images/logo.png", true},            // a folder the site does not write
		{".well-known/security.txt", true},   // the same
		{"../keep.txt", true},                // beside the site
		{"../.site.new-123/half.html", true}, // beside it too: never touched
	}
	for _, f := range files {
		write := filepath.Join(dir, filepath.FromSlash(f.path))
		os.MkdirAll(filepath.Dir(write), 0o755)
		if err := os.WriteFile(write, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Title: "T", Generated: fixedNow, Services: []Service{{Name: "a", Status: uptime.Up, LastCheck: fixedNow}}}
	if err := Render(templates.FS, dir, in); err != nil {
		t.Fatalf("Render: %v", err)
	}
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.path)))
		if kept := err == nil; kept != f.kept {
			t.Errorf("after Render, %s kept = %v (%v), want %v", f.path, kept, err, f.kept)
		}
	}
	if after, err := os.Stat(dir); err != nil || !os.SameFile(root, after) {
		t.Errorf("Render replaced the site folder (%v), want it updated in place", err)
	}
	sameAsFiles(t, dir, in, "index.html", "services/a.html", "badges/a.svg", "style.css")
	if err := Render(templates.FS, filepath.Join(parent, "keep.txt"), in); err == nil {
		t.Error("Render over a file succeeded, want an error")
	}
}

func TestSlugCollisionIsAnError(t *testing.T) {
	in := Input{Generated: fixedNow, Services: []Service{{Name: "MCP Server"}, {Name: "mcp-server"}}}
	if _, err := Files(templates.FS, in); err == nil || !strings.Contains(err.Error(), "services/mcp-server.html") {
		t.Errorf("Files with colliding slugs: error = %v, want one naming services/mcp-server.html", err)
	}
}

func TestLoad(t *testing.T) {
	cfg, dir, st := fixture(t, sefaria, true)
	in, err := Load(cfg, dir, st, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if packed := len(in.pastDays()); packed != 90 || len(in.Past) != 3 {
		t.Errorf("Load read %d days in %d ledgers, want 90 in 3 (the last two days on their own)", packed, len(in.Past))
	}
	var open int
	for _, inc := range in.Incidents {
		if inc.Until.IsZero() {
			open++
		}
	}
	if open != 1 || len(in.Incidents) != 4 {
		t.Errorf("Load incidents = %d (%d open), want 4 (1 open: Linker)", len(in.Incidents), open)
	}
	linker := in.Services[3]
	if linker.Name != "Linker" || !linker.Confirmed || linker.Recent.Checks != 48 || linker.Recent.Up != 46 {
		t.Errorf("Linker = %+v, want confirmed down with 46 of 48 checks up in 24 h", linker)
	}
	if len(in.Notices) != 4 {
		t.Errorf("Load notices = %d, want 4", len(in.Notices))
	}

	// A state that was never saved: every service without data yet.
	in, err = Load(cfg, dir, nil, fixedNow)
	if err != nil || in.Services[0].Status != "" {
		t.Errorf("Load(nil state) = %+v, %v; want services with no status", in.Services[0], err)
	}

	// A broken notice and one naming no configured service are left out
	// and reported; the four good ones stay.
	writeNotice(t, dir, "broken.md", "+++\ntitle = \"x\"\nkind = \"outage\"\nstart = 2026-01-01T00:00:00Z\n+++\n")
	writeNotice(t, dir, "typo.md", "+++\ntitle = \"x\"\nkind = \"info\"\nstart = 2026-01-01T00:00:00Z\nservices = [\"Sefaria\"]\n+++\n")
	in, err = Load(cfg, dir, st, fixedNow)
	if err != nil {
		t.Fatalf("Load with a broken notice: %v, want the rest loaded", err)
	}
	if len(in.Notices) != 4 || len(in.NoticeProblems) != 2 ||
		!strings.Contains(in.NoticeProblems[0].Error(), "broken.md:3:") || !strings.Contains(in.NoticeProblems[1].Error(), `typo.md:5: services: "Sefaria"`) {
		t.Errorf("Load with broken notices = %d notices, problems %q; want 4 and broken.md:3, typo.md:5", len(in.Notices), in.NoticeProblems)
	}
}

// TestSizeBudget keeps the page light for a phone: index.html and
// style.css for Sefaria's four services, every day with data, under 60 KB.
func TestSizeBudget(t *testing.T) {
	cfg, dir, st := fixture(t, sefaria, true)
	in, err := Load(cfg, dir, st, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	files, err := Files(templates.FS, in)
	if err != nil {
		t.Fatal(err)
	}
	size := len(files["index.html"]) + len(files["style.css"])
	t.Logf("index.html %d B + style.css %d B = %d B", len(files["index.html"]), len(files["style.css"]), size)
	if size >= 60_000 {
		t.Errorf("index.html + style.css = %d bytes, want under 60 KB", size)
	}
}
