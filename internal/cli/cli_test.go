package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/runner"
)

// fakeSefaria serves a health endpoint whose status the test switches, and
// the Linker's two-phase API answering as the real one does.
type fakeSefaria struct {
	healthy   atomic.Bool
	userAgent atomic.Value
	srv       *httptest.Server
}

func newFakeSefaria(t *testing.T) *fakeSefaria {
	f := &fakeSefaria{}
	f.healthy.Store(true)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		f.userAgent.Store(r.UserAgent())
		if !f.healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"allReady": false}`)
			return
		}
		fmt.Fprint(w, `{"allReady": true}`)
	})
	mux.HandleFunc("POST /api/find-refs", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `{"task_id": "7d3c"}`)
	})
	mux.HandleFunc("GET /api/async/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"task_id":%q,"state":"SUCCESS","ready":true,"result":{"title":{"results":[],"refData":{}},`+
			`"body":{"results":[{"startChar":0,"endChar":7,"text":"Job 1:1","linkFailed":false,"refs":["Job 1:1"]}],"refData":{}}}}`,
			r.PathValue("id"))
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSefaria) config() string {
	return fmt.Sprintf(`[settings]
title = "Test Status"
status_page_url = "https://status.example.org"
interval = "60s"
retries = 1
retry_delay = "0s"

[[service]]
name = "web"
url = "%[1]s/healthz"
expected_status = 200
failure_threshold = 2
timeout = "2s"
expect_json = { allReady = true }

[[service]]
name = "Linker"
url = "%[1]s/api/find-refs"
method = "POST"
expected_status = 202
check_type = "async_two_phase"
failure_threshold = 3
timeout = "2s"
request_body = '{"text": {"title": "", "body": "Job 1:1"}}'
[service.async_verification]
base_url = "%[1]s/api/async/"
max_poll_attempts = 3
poll_interval = "0s"
`, f.srv.URL)
}

type workspace struct {
	dir, config, data, site string
}

func newWorkspace(t *testing.T, config string) workspace {
	dir := t.TempDir()
	w := workspace{dir: dir, config: filepath.Join(dir, "services.toml"),
		data: filepath.Join(dir, "data"), site: filepath.Join(dir, "site")}
	if err := os.WriteFile(w.config, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w workspace) run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{args[0], "--config", w.config, "--data", w.data, "--site", w.site}, args[1:]...)
	code = Run(context.Background(), full, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestOnceEndToEndThroughAnOutage(t *testing.T) {
	f := newFakeSefaria(t)
	w := newWorkspace(t, f.config())
	plan := []struct {
		healthy    bool
		row        string // expected in web's table row
		transition string // expected on stderr, "" for none
	}{
		{true, "up", ""},
		{false, "down (status)", ""},
		{false, "DOWN since", "DOWN web since"},
		{false, "down (status)", ""},
		{true, "RECOVERED after", "RECOVERED web after"},
	}
	for i, step := range plan {
		f.healthy.Store(step.healthy)
		code, out, errOut := w.run(t, nil, "once")
		if code != ExitOK {
			t.Fatalf("cycle %d: exit %d, stderr:\n%s", i, code, errOut)
		}
		if !strings.HasPrefix(out, "SERVICE") {
			t.Errorf("cycle %d: table lacks its header:\n%s", i, out)
		}
		webRow := lineWith(out, "web ")
		if !strings.Contains(webRow, step.row) {
			t.Errorf("cycle %d: web row = %q, want it to contain %q", i, webRow, step.row)
		}
		if linker := lineWith(out, "Linker"); !strings.Contains(linker, "up") || !strings.Contains(linker, " 200 ") {
			t.Errorf("cycle %d: Linker row = %q, want up with the final poll's code 200", i, linker)
		}
		hasDown, hasRec := strings.Contains(errOut, "DOWN web"), strings.Contains(errOut, "RECOVERED web")
		switch {
		case step.transition == "" && (hasDown || hasRec):
			t.Errorf("cycle %d: unexpected transition on stderr:\n%s", i, errOut)
		case step.transition != "" && !strings.Contains(errOut, step.transition):
			t.Errorf("cycle %d: stderr lacks %q:\n%s", i, step.transition, errOut)
		}
	}
	if ua, _ := f.userAgent.Load().(string); !strings.HasPrefix(ua, "statusgen/") || !strings.Contains(ua, "(+https://status.example.org)") {
		t.Errorf("User-Agent = %q, want statusgen/<version> (+status page)", ua)
	}

	// Ten lines of history: two services, five cycles, every line valid JSON.
	lines := readJSONL(t, filepath.Join(w.data, "checks"))
	if len(lines) != 10 {
		t.Fatalf("history holds %d lines, want 10", len(lines))
	}
	var state struct {
		Version  int `json:"version"`
		Services map[string]struct {
			Status    string `json:"status"`
			Failures  int    `json:"failures"`
			Announced bool   `json:"announced"`
		} `json:"services"`
		Outbox []any `json:"outbox"`
	}
	b, err := os.ReadFile(filepath.Join(w.data, "state.json"))
	if err != nil || json.Unmarshal(b, &state) != nil {
		t.Fatalf("state.json unreadable: %v\n%s", err, b)
	}
	if web := state.Services["web"]; web.Status != "up" || web.Failures != 0 || web.Announced || len(state.Outbox) != 0 {
		t.Errorf("state = %+v, want web up, streak reset, outbox empty", state)
	}
	incidents, err := os.ReadFile(filepath.Join(w.data, "incidents.jsonl"))
	if err != nil || strings.Count(string(incidents), "\n") != 1 || !strings.Contains(string(incidents), `"service":"web"`) {
		t.Errorf("incidents.jsonl = %q, %v; want one line for web", incidents, err)
	}
	if _, err := os.Stat(filepath.Join(w.site, "index.html")); err != nil {
		t.Errorf("site not rendered: %v", err)
	}
}

func TestOnceWritesSummary(t *testing.T) {
	f := newFakeSefaria(t)
	w := newWorkspace(t, f.config())
	summary := filepath.Join(w.dir, "summary.txt")
	if code, _, errOut := w.run(t, nil, "once", "--summary", summary); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(summary); string(b) != "status: all up\n" {
		t.Errorf("summary = %q, want \"status: all up\\n\"", b)
	}
}

func TestSecondRunnerExits3(t *testing.T) {
	f := newFakeSefaria(t)
	w := newWorkspace(t, f.config())
	lock, err := runner.AcquireLock(w.data)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	for _, cmd := range []string{"once", "run"} {
		code, _, errOut := w.run(t, nil, cmd)
		if code != ExitLocked || !strings.Contains(errOut, filepath.Join(w.data, ".lock")) {
			t.Errorf("%s while locked: exit %d, stderr %q; want 3 naming the lock", cmd, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(w.data, "checks")); !os.IsNotExist(err) {
		t.Errorf("a locked-out runner wrote history (stat: %v)", err)
	}
}

func TestBadConfigExits2AndWritesNothing(t *testing.T) {
	tests := []struct {
		name, config, want string
	}{
		{"unknown key", "[settings]\ninterval = \"60s\"\ncolour = \"red\"\n", "services.toml:3"},
		{"syntax error", "[settings]\ninterval = \n", "services.toml:2"},
		{"relative url", "[[service]]\nname = \"a\"\nurl = \"/healthz\"\n", "url"},
		{"threshold below 1", "[[service]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\nfailure_threshold = 0\n", "failure_threshold"},
		{"bad duration", "[[service]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\ntimeout = \"soon\"\n", "timeout"},
		{"duplicate names", "[[service]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\n[[service]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\n", "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorkspace(t, tt.config)
			for _, cmd := range []string{"once", "run", "check"} {
				code, _, errOut := w.run(t, nil, cmd)
				if code != ExitUsage || !strings.Contains(errOut, tt.want) {
					t.Errorf("%s: exit %d, stderr %q; want 2 and a message containing %q", cmd, code, errOut, tt.want)
				}
			}
			for _, dir := range []string{w.data, w.site} {
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Errorf("%s exists after a config error, want nothing written", dir)
				}
			}
		})
	}
}

func TestCheckRedactsSecrets(t *testing.T) {
	const sentinel = "sentinel-7f3a9c"
	f := newFakeSefaria(t)
	// The Linker sends a token header taken from the environment.
	cfg := strings.Replace(f.config(), "[service.async_verification]",
		"[service.headers]\nAuthorization = \"Bearer ${API_TOKEN}\"\n[service.async_verification]", 1)
	w := newWorkspace(t, cfg)
	env := map[string]string{"API_TOKEN": sentinel, "SLACK_WEBHOOK_URL": "https://hooks.example/" + sentinel}
	code, out, errOut := w.run(t, env, "check")
	if code != ExitOK {
		t.Fatalf("check: exit %d: %s", code, errOut)
	}
	if strings.Contains(out+errOut, sentinel) {
		t.Errorf("check printed a secret:\n%s", out)
	}
	if !strings.Contains(out, "<secret>") || !strings.Contains(out, "Linker") {
		t.Errorf("check output lacks the services or the <secret> marker:\n%s", out)
	}
}

func TestCommandsAndHelp(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string // in stdout or stderr
	}{
		{[]string{"version"}, ExitOK, "statusgen dev"},
		{[]string{"help"}, ExitOK, "Commands:"},
		{[]string{}, ExitUsage, "Commands:"},
		{[]string{"frobnicate"}, ExitUsage, `unknown command "frobnicate"`},
		{[]string{"once", "--help"}, ExitOK, "-summary file"},
		{[]string{"run", "-h"}, ExitOK, "-config file"},
		{[]string{"check", "--no-such-flag"}, ExitUsage, "no-such-flag"},
		{[]string{"once", "extra"}, ExitUsage, `unexpected argument "extra"`},
		{[]string{"probe", "--help"}, ExitOK, "-location name"},
		{[]string{"once", "--help"}, ExitOK, "-results folder"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), tt.args, func(string) string { return "" }, &out, &errb)
			if code != tt.code || !strings.Contains(out.String()+errb.String(), tt.out) {
				t.Errorf("Run(%q) = %d, output:\n%s%s\nwant %d and %q", tt.args, code, out.String(), errb.String(), tt.code, tt.out)
			}
		})
	}
}

func lineWith(s, prefix string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

func readJSONL(t *testing.T, dir string) []map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	var out []map[string]any
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("%s: invalid line %q: %v", name, sc.Text(), err)
			}
			out = append(out, m)
		}
		f.Close()
	}
	return out
}

// cancelOn is a log writer that cancels a context once a line containing
// marker has been written, standing in for SIGTERM at a known moment.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if strings.Contains(string(p), c.marker) {
		c.cancel()
	}
	return len(p), nil
}

func TestRunStopsCleanlyOnCancel(t *testing.T) {
	f := newFakeSefaria(t)
	w := newWorkspace(t, f.config())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &cancelOn{marker: `"msg":"cycle done"`, cancel: cancel}
	env := map[string]string{"DEBUG": "true", "LOG_FORMAT": "json"}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"run", "--config", w.config, "--data", w.data, "--site", w.site},
			func(k string) string { return env[k] }, io.Discard, logs)
	}()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("run exited %d, want 0; logs:\n%s", code, logs.buf.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not stop within 20 s of its cancellation")
	}
	for line := range strings.SplitSeq(strings.TrimSpace(logs.buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("LOG_FORMAT=json wrote a non-JSON line %q", line)
		}
	}
	if !strings.Contains(logs.buf.String(), `"msg":"statusgen stopped"`) {
		t.Errorf("no clean stop logged:\n%s", logs.buf.String())
	}
	if lines := readJSONL(t, filepath.Join(w.data, "checks")); len(lines) != 2 {
		t.Errorf("history holds %d lines after one cycle, want 2", len(lines))
	}
	if _, err := os.Stat(filepath.Join(w.data, "state.json")); err != nil {
		t.Errorf("state not saved: %v", err)
	}
	// The lock is released: another runner can start at once.
	if code, _, errOut := w.run(t, nil, "once"); code != ExitOK {
		t.Errorf("once after run stopped: exit %d, %s", code, errOut)
	}
}

func TestCorruptStateExits1AndIsKept(t *testing.T) {
	f := newFakeSefaria(t)
	w := newWorkspace(t, f.config())
	if err := os.MkdirAll(w.data, 0o755); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(w.data, "state.json")
	const corrupt = `{"version": 1, "services": {"web": `
	os.WriteFile(state, []byte(corrupt), 0o644)
	code, _, errOut := w.run(t, nil, "once")
	if code != ExitFailed || !strings.Contains(errOut, state) {
		t.Errorf("once with a corrupt state: exit %d, stderr %q; want 1 naming %s", code, errOut, state)
	}
	if b, _ := os.ReadFile(state); string(b) != corrupt {
		t.Errorf("corrupt state rewritten to %q, want it kept for repair", b)
	}
	if _, err := os.Stat(filepath.Join(w.data, "checks")); !os.IsNotExist(err) {
		t.Errorf("checks were recorded despite the unusable state (stat: %v)", err)
	}
}

func TestOncePublishesToADirectory(t *testing.T) {
	f := newFakeSefaria(t)
	out := filepath.Join(t.TempDir(), "public")
	w := newWorkspace(t, strings.Replace(f.config(), "[[service]]",
		fmt.Sprintf("[publish]\ntarget = \"dir\"\ndir = %q\n\n[[service]]", out), 1))
	if code, _, errOut := w.run(t, nil, "once"); code != ExitOK {
		t.Fatalf("once: exit %d: %s", code, errOut)
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil || !strings.Contains(string(page), "Test Status") {
		t.Errorf("published index.html = %.80q, %v; want the rendered page", page, err)
	}
}

func TestGitHubPublishWithoutTokenExits2(t *testing.T) {
	f := newFakeSefaria(t)
	w := newWorkspace(t, strings.Replace(f.config(), "[[service]]",
		"[publish]\ntarget = \"github\"\nrepo = \"Sefaria/status\"\n\n[[service]]", 1))
	code, _, errOut := w.run(t, nil, "once")
	if code != ExitUsage || !strings.Contains(errOut, "GITHUB_TOKEN") {
		t.Errorf("once: exit %d, stderr %q; want 2 naming GITHUB_TOKEN", code, errOut)
	}
	if _, err := os.Stat(w.data); !os.IsNotExist(err) {
		t.Errorf("data folder created despite the configuration error (stat: %v)", err)
	}
}

// slackHook is a fake Slack webhook whose answer the test switches.
type slackHook struct {
	mu       sync.Mutex
	status   int
	accepted []string // payloads answered 200
	tries    int
}

func (h *slackHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tries++
	if h.status == http.StatusOK {
		h.accepted = append(h.accepted, string(body))
		io.WriteString(w, "ok")
		return
	}
	w.WriteHeader(h.status)
	io.WriteString(w, "internal_error")
}

func TestOnceThroughAnOutageWhileSlackFailsThenHeals(t *testing.T) {
	f := newFakeSefaria(t)
	hook := &slackHook{status: http.StatusInternalServerError}
	slack := httptest.NewServer(hook)
	defer slack.Close()
	// A short interval keeps the delivery budget (interval/6) short in real time.
	w := newWorkspace(t, strings.Replace(f.config(), `interval = "60s"`, `interval = "3s"`, 1))
	env := map[string]string{"SLACK_WEBHOOK_URL": slack.URL + "/services/T0/B0/hooksecret", "SLACK_CHANNEL": "sefaria-down"}

	for i, healthy := range []bool{true, false, false, false, true} {
		f.healthy.Store(healthy)
		code, _, errOut := w.run(t, env, "once")
		if code != ExitOK {
			t.Fatalf("cycle %d while Slack fails: exit %d (a Slack 500 is retried next cycle, not a failure):\n%s", i, code, errOut)
		}
		if strings.Contains(errOut, "hooksecret") {
			t.Fatalf("cycle %d: stderr shows the webhook URL:\n%s", i, errOut)
		}
	}
	if hook.tries == 0 {
		t.Fatal("Slack was never tried while failing")
	}
	hook.mu.Lock()
	hook.status = http.StatusOK
	hook.mu.Unlock()
	if code, _, errOut := w.run(t, env, "once"); code != ExitOK {
		t.Fatalf("cycle after Slack healed: exit %d:\n%s", code, errOut)
	}
	if len(hook.accepted) != 1 {
		t.Fatalf("Slack accepted %d messages, want the DOWN and RECOVERED coalesced into 1:\n%q", len(hook.accepted), hook.accepted)
	}
	var msg struct {
		Channel string `json:"channel"`
		Text    string `json:"text"`
	}
	json.Unmarshal([]byte(hook.accepted[0]), &msg)
	if msg.Channel != "sefaria-down" || !strings.Contains(msg.Text, "web was down from") {
		t.Errorf("message = channel %q, text %q; want #sefaria-down and web's outage", msg.Channel, msg.Text)
	}
	state, _ := os.ReadFile(filepath.Join(w.data, "state.json"))
	if !strings.Contains(string(state), `"outbox": []`) || strings.Contains(string(state), "hooksecret") {
		t.Errorf("state.json after delivery:\n%s\nwant an empty outbox and no webhook", state)
	}
}

func TestCheckSlackSendsALabelledTestMessage(t *testing.T) {
	f := newFakeSefaria(t)
	hook := &slackHook{status: http.StatusOK}
	slack := httptest.NewServer(hook)
	defer slack.Close()
	w := newWorkspace(t, f.config())
	env := map[string]string{"SLACK_WEBHOOK_URL": slack.URL + "/services/T0/B0/hooksecret"}
	code, out, errOut := w.run(t, env, "check", "--slack")
	if code != ExitOK || !strings.Contains(out, "test message sent") {
		t.Fatalf("check --slack: exit %d, stdout %q, stderr %q; want 0 and a confirmation", code, out, errOut)
	}
	if len(hook.accepted) != 1 || !strings.Contains(hook.accepted[0], "statusgen test message") {
		t.Errorf("Slack got %q, want one labelled test message", hook.accepted)
	}
	if strings.Contains(out+errOut, "hooksecret") {
		t.Error("check --slack printed the webhook URL")
	}
	// Without a webhook it is a usage error; with a broken one, exit 1.
	if code, _, _ := w.run(t, nil, "check", "--slack"); code != ExitUsage {
		t.Errorf("check --slack without a webhook: exit %d, want 2", code)
	}
	hook.mu.Lock()
	hook.status = http.StatusNotFound
	hook.mu.Unlock()
	if code, _, errOut := w.run(t, env, "check", "--slack"); code != ExitFailed || strings.Contains(errOut, "hooksecret") {
		t.Errorf("check --slack with a 404 webhook: exit %d, stderr %q; want 1 without the URL", code, errOut)
	}
}
