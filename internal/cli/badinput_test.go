package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/runner"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// These tests drive the whole program (cli.Run) against real files in a
// temporary folder, a local target server and a local fake Slack, to hold
// the promise that one bad file never stops the page or the alerts, and
// that `once` says so (exit 1) when the page could not be updated.

// writeNoticeFile writes data/notices/name.
func writeNoticeFile(t *testing.T, data, name, src string) string {
	t.Helper()
	dir := filepath.Join(data, "notices")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// maintenanceNotice is a window over web from an hour ago to an hour from now.
func maintenanceNotice() string {
	now := time.Now().UTC()
	return fmt.Sprintf("+++\ntitle = \"Database upgrade\"\nkind = \"maintenance\"\nstart = %s\nend = %s\nservices = [\"web\"]\n+++\nThe site may answer slowly.\n",
		now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
}

// A malformed notice: kind is a bare word, a TOML syntax error on line 3.
const malformedNotice = "+++\ntitle = \"Oops\"\nkind = maintenance\nstart = 2026-01-01T00:00:00Z\n+++\n"

// serviceState is what the tests read of one service in state.json.
type serviceState struct {
	Status    string `json:"status"`
	Failures  int    `json:"failures"`
	Announced bool   `json:"announced"`
	Held      bool   `json:"held"`
}

func readState(t *testing.T, data string) (services map[string]serviceState, outbox int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, runner.StateFile))
	if err != nil {
		t.Fatalf("state.json: %v", err)
	}
	var st struct {
		Services map[string]serviceState `json:"services"`
		Outbox   []json.RawMessage       `json:"outbox"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("state.json: %v\n%s", err, b)
	}
	return st.Services, len(st.Outbox)
}

func (h *slackHook) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.accepted...)
}

// TestBadNoticeBesideMaintenance: a malformed notice next to a valid
// maintenance notice. Every cycle exits 0 and logs the bad file and line;
// the page renders with the maintenance notice; the maintenance still
// holds web's DOWN alert, so Slack hears nothing; `render` alone does the
// same.
func TestBadNoticeBesideMaintenance(t *testing.T) {
	f := newFakeSefaria(t)
	hook := &slackHook{status: http.StatusOK}
	slack := httptest.NewServer(hook)
	defer slack.Close()
	w := newWorkspace(t, f.config())
	writeNoticeFile(t, w.data, "db-upgrade.md", maintenanceNotice())
	bad := writeNoticeFile(t, w.data, "oops.md", malformedNotice)
	env := map[string]string{"SLACK_WEBHOOK_URL": slack.URL + "/services/T0/B0/hook"}

	f.healthy.Store(false)
	for i := range 3 { // web's threshold is 2
		code, _, errOut := w.run(t, env, "once")
		if code != ExitOK {
			t.Fatalf("cycle %d: exit %d, want 0 (a bad notice is skipped); stderr:\n%s", i, code, errOut)
		}
		if !strings.Contains(errOut, "notice skipped") || !strings.Contains(errOut, bad+":3:") {
			t.Errorf("cycle %d: stderr does not report %s:3:\n%s", i, bad, errOut)
		}
		if strings.Contains(errOut, "render failed") {
			t.Errorf("cycle %d: the render failed:\n%s", i, errOut)
		}
	}
	if got := hook.messages(); len(got) != 0 {
		t.Errorf("Slack got %d message(s) during web's maintenance, want none:\n%q", len(got), got)
	}
	services, outbox := readState(t, w.data)
	if web := services["web"]; web.Status != "down" || !web.Held || outbox != 0 {
		t.Errorf("state: web = %+v, outbox %d; want down, its alert held, nothing queued", web, outbox)
	}
	index, err := os.ReadFile(filepath.Join(w.site, "index.html"))
	if err != nil || !strings.Contains(string(index), "Database upgrade") || strings.Contains(string(index), "Oops") {
		t.Errorf("index.html (%v) lacks the maintenance notice or shows the bad one", err)
	}

	os.RemoveAll(w.site)
	code, out, errOut := w.run(t, nil, "render")
	if code != ExitOK || !strings.Contains(errOut, bad+":3:") || !strings.Contains(out, "rendered") {
		t.Errorf("render: exit %d, stdout %q, stderr %q; want 0 and a warning naming %s:3", code, out, errOut, bad)
	}
	if index, err := os.ReadFile(filepath.Join(w.site, "index.html")); err != nil || !strings.Contains(string(index), "Database upgrade") {
		t.Errorf("render: index.html (%v) lacks the maintenance notice", err)
	}
}

// TestNoticeForAnUnknownServiceIsSkipped: at run time a notice naming a
// service that does not exist (a typo) is left out and reported, not
// shown as if it held anything.
func TestNoticeForAnUnknownServiceIsSkipped(t *testing.T) {
	f := newFakeSefaria(t)
	w := newWorkspace(t, f.config())
	typo := writeNoticeFile(t, w.data, "typo.md", strings.Replace(maintenanceNotice(), `["web"]`, `["Web"]`, 1))
	code, _, errOut := w.run(t, nil, "once")
	// The log's text format escapes the quotes in the message.
	if code != ExitOK || !strings.Contains(errOut, typo+`:6: services: \"Web\" is not a configured service (did you mean \"web\"?)`) {
		t.Errorf("once: exit %d, stderr:\n%s\nwant 0 and the typo reported with its line", code, errOut)
	}
	if index, err := os.ReadFile(filepath.Join(w.site, "index.html")); err != nil || strings.Contains(string(index), "Database upgrade") {
		t.Errorf("index.html (%v) shows a notice that holds nothing", err)
	}
}

// TestCheckValidatesNamesAndNotices: check exits 2 for what a runner would
// skip or fail on, naming the file and line; once, run and render refuse a
// slug clash too, before writing anything.
func TestCheckValidatesNamesAndNotices(t *testing.T) {
	f := newFakeSefaria(t)
	clash := f.config() + fmt.Sprintf("\n[[service]]\nname = \"sefaria.org\"\nurl = \"%[1]s/healthz\"\n\n[[service]]\nname = \"sefaria-org\"\nurl = \"%[1]s/healthz\"\n", f.srv.URL)
	tests := []struct {
		name    string
		config  string
		notices map[string]string
		want    []string // in stderr
	}{
		{"malformed notice", f.config(), map[string]string{"oops.md": malformedNotice, "db.md": maintenanceNotice()},
			[]string{"oops.md:3: ", "1 notice(s)"}},
		{"unknown service", f.config(), map[string]string{"db.md": strings.Replace(maintenanceNotice(), `["web"]`, `["web", "Sefaria"]`, 1)},
			[]string{`db.md:6: services: "Sefaria" is not a configured service; known: "web", "Linker"`}},
		{"slug clash", clash, nil,
			[]string{`services.toml:35: service "sefaria-org": name shares the page services/sefaria-org.html with service "sefaria.org" on line 31: rename one`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorkspace(t, tt.config)
			for name, src := range tt.notices {
				writeNoticeFile(t, w.data, name, src)
			}
			code, _, errOut := w.run(t, nil, "check")
			if code != ExitUsage {
				t.Errorf("check: exit %d, want 2; stderr:\n%s", code, errOut)
			}
			for _, want := range tt.want {
				if !strings.Contains(errOut, want) {
					t.Errorf("check: stderr lacks %q:\n%s", want, errOut)
				}
			}
		})
	}

	t.Run("slug clash stops every command", func(t *testing.T) {
		w := newWorkspace(t, clash)
		for _, cmd := range []string{"once", "run", "render", "prune", "publish"} {
			// A run that starts despite the clash is stopped, not left to hang the test.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var out, errb bytes.Buffer
			code := Run(ctx, []string{cmd, "--config", w.config, "--data", w.data, "--site", w.site}, func(string) string { return "" }, &out, &errb)
			cancel()
			errOut := errb.String()
			if code != ExitUsage || !strings.Contains(errOut, `"sefaria-org": name shares the page`) {
				t.Errorf("%s: exit %d, stderr %q; want 2 and the clash", cmd, code, errOut)
			}
		}
		for _, dir := range []string{w.data, w.site} {
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("%s exists after a slug clash, want nothing written", dir)
			}
		}
	})

	t.Run("valid notices pass", func(t *testing.T) {
		w := newWorkspace(t, f.config())
		writeNoticeFile(t, w.data, "db.md", maintenanceNotice())
		if code, out, errOut := w.run(t, nil, "check"); code != ExitOK || !strings.Contains(out, "# notices: 1 in") {
			t.Errorf("check: exit %d, stdout %q, stderr %q; want 0 and one valid notice", code, out, errOut)
		}
	})
}

// TestLongServiceName: names of about 240 ASCII characters get a bounded,
// stable page slug; check accepts them and once renders their pages.
// (Unbounded, a 245-byte slug made badges/<slug>-uptime.svg longer than
// the 255 bytes a file name may have.)
func TestLongServiceName(t *testing.T) {
	for _, n := range []int{240, 250} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newFakeSefaria(t)
			long := strings.Repeat("Sefaria main site ", 14)[:n]
			w := newWorkspace(t, strings.Replace(f.config(), `name = "web"`, fmt.Sprintf("name = %q", long), 1))
			if code, _, errOut := w.run(t, nil, "check"); code != ExitOK {
				t.Fatalf("check: exit %d: %s", code, errOut)
			}
			code, _, errOut := w.run(t, nil, "once")
			if code != ExitOK || strings.Contains(errOut, "render failed") {
				t.Fatalf("once: exit %d, stderr:\n%s\nwant 0 and the site rendered", code, errOut)
			}
			slug := uptime.Slug(long)
			if len(slug) > uptime.MaxSlug || slug != uptime.Slug(long) {
				t.Errorf("slug of a %d-character name is %q, %d bytes; want a stable one of at most %d", n, slug, len(slug), uptime.MaxSlug)
			}
			for _, name := range []string{"services/" + slug + ".html", "badges/" + slug + ".svg", "badges/" + slug + "-uptime.svg"} {
				if _, err := os.Stat(filepath.Join(w.site, name)); err != nil {
					t.Errorf("the long name's %v", err)
				}
			}
		})
	}
}

// TestOnceExits1WhenTheSiteFails: when the site cannot be rendered or
// published, once exits 1 and says why, but only after the checks were
// recorded, the state saved and the alert delivered.
func TestOnceExits1WhenTheSiteFails(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, w *workspace) (config string)
		want  string // in stderr
	}{
		{"site folder cannot be made", func(t *testing.T, w *workspace) string {
			blocker := filepath.Join(w.dir, "blocker")
			writeOrFail(t, blocker, "a file where the site's parent folder should be")
			w.site = filepath.Join(blocker, "site")
			return ""
		}, "render: site: "},
		{"publish refused", func(t *testing.T, w *workspace) string {
			public := filepath.Join(w.dir, "public")
			if err := os.Mkdir(public, 0o755); err != nil {
				t.Fatal(err)
			}
			writeOrFail(t, filepath.Join(public, "index.html"), "someone else's site")
			return fmt.Sprintf("[publish]\ntarget = \"dir\"\ndir = %q\n\n", public)
		}, "publish: publish to "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSefaria(t)
			hook := &slackHook{status: http.StatusOK}
			slack := httptest.NewServer(hook)
			defer slack.Close()
			w := newWorkspace(t, f.config())
			if extra := tt.setup(t, &w); extra != "" {
				writeOrFail(t, w.config, strings.Replace(f.config(), "[[service]]", extra+"[[service]]", 1))
			}
			env := map[string]string{"SLACK_WEBHOOK_URL": slack.URL + "/services/T0/B0/hook"}
			f.healthy.Store(false)
			for i := range 2 { // web's threshold is 2: the second cycle announces it
				code, out, errOut := w.run(t, env, "once")
				if code != ExitFailed || !strings.Contains(errOut, "site not updated") || !strings.Contains(errOut, tt.want) {
					t.Errorf("cycle %d: exit %d, stderr:\n%s\nwant 1, \"site not updated\" and %q", i, code, errOut, tt.want)
				}
				if !strings.Contains(lineWith(out, "web "), "down (status)") {
					t.Errorf("cycle %d: the table lacks web's check:\n%s", i, out)
				}
			}
			if lines := readJSONL(t, filepath.Join(w.data, "checks")); len(lines) != 4 {
				t.Errorf("history holds %d lines, want 4: two services, two cycles", len(lines))
			}
			services, outbox := readState(t, w.data)
			if web := services["web"]; web.Status != "down" || web.Failures != 2 || !web.Announced || outbox != 0 {
				t.Errorf("state: web = %+v, outbox %d; want down twice, announced, nothing queued", web, outbox)
			}
			if got := hook.messages(); len(got) != 1 || !strings.Contains(got[0], "web") {
				t.Errorf("Slack got %q, want web's DOWN alert", got)
			}
		})
	}
}
