package cli

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// sentinel is planted in every secret; it must never come out anywhere.
const sentinel = "sntl9d41e7secret"

// requestLog records every request a server received, whole: method,
// URL, headers and body.
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) record(r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s %s\n", r.Method, r.Host, r.URL.RequestURI())
	r.Header.Write(&b)
	b.Write(body)
	l.mu.Lock()
	l.reqs = append(l.reqs, b.String())
	l.mu.Unlock()
}

func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs...)
}

// TestSecretsNeverLeak plants a sentinel as the Slack webhook URL, as a
// header token (via ${VAR}) and as GITHUB_TOKEN, with debug logging on,
// makes every outward call fail, and runs once, render, check, check
// --slack, prune and publish: the sentinel appears in no output, no file
// under data/, site/ or the published folder, and no request except the
// token's own header to its own service.
//
// The GitHub publisher cannot be pointed at a fake from the command line
// (its API address is fixed), so the GitHub half of this guarantee is
// proved in internal/publish (TestGitHubNeverLeaksTheToken).
func TestSecretsNeverLeak(t *testing.T) {
	var toService, toOther requestLog
	var healthy atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		toOther.record(r)
		io.WriteString(w, `{"allReady": true}`)
	}))
	t.Cleanup(other.Close)
	_, otherPort, _ := net.SplitHostPort(other.Listener.Addr().String())
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		toService.record(r)
		switch r.URL.Path {
		case "/away":
			// Another host name for the same machine: a cross-host redirect.
			http.Redirect(w, r, "http://localhost:"+otherPort+"/landing", http.StatusFound)
		case "/reflect":
			// A hostile service that echoes its credentials back in every
			// place a check might quote: a field, a header, the body.
			w.Header().Set("X-Echo", r.Header.Get("Authorization"))
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, `{"allReady": %q, "auth": %q}`, r.Header.Get("Authorization"), r.Header.Get("Authorization"))
		default:
			if !healthy.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			io.WriteString(w, `{"allReady": true}`)
		}
	}))
	t.Cleanup(svc.Close)
	closed := closedPort(t)

	published := filepath.Join(t.TempDir(), "public")
	config := fmt.Sprintf(`[settings]
title = "Secret Test"
status_page_url = "https://status.example.org"
interval = "6s"
retries = 1
retry_delay = "0s"
failure_threshold = 2

[publish]
target = "dir"
dir = %[3]q

[slack]
channel = "alerts"

[[service]]
name = "web"
url = "%[1]s/healthz"
timeout = "1s"
expect_json = { allReady = true }
[service.headers]
Authorization = "Bearer ${API_TOKEN}"

[[service]]
name = "redirected"
url = "%[1]s/away"
follow_redirects = true
timeout = "1s"
[service.headers]
Authorization = "Bearer ${API_TOKEN}"
X-Api-Key = "${API_TOKEN}"

[[service]]
name = "reflecting"
url = "%[1]s/reflect"
timeout = "1s"
expected_status = [200, 503]
expect_json = { allReady = true }
[service.headers]
Authorization = "Bearer ${API_TOKEN}"

[[service]]
name = "unreachable"
url = "http://%[2]s/healthz"
timeout = "1s"
[service.headers]
X-Api-Key = "key-${API_TOKEN}"

[[service]]
name = "linker"
url = "%[1]s/api/find-refs"
method = "POST"
expected_status = 202
check_type = "async_two_phase"
timeout = "1s"
request_body = '{"text": {"title": "", "body": "Job 1:1"}}'
[service.headers]
Authorization = "Bearer ${API_TOKEN}"
[service.async_verification]
base_url = "http://%[2]s/api/async/"
max_poll_attempts = 2
poll_interval = "0s"
`, svc.URL, closed, published)
	w := newWorkspace(t, config)
	base := map[string]string{
		"SLACK_WEBHOOK_URL": "http://" + closed + "/services/T000/B000/" + sentinel + "?token=" + sentinel,
		"API_TOKEN":         sentinel,
		"GITHUB_TOKEN":      sentinel,
		"GITHUB_REPOSITORY": "Sefaria/status",
		"DEBUG":             "true",
	}
	withJSON := map[string]string{"LOG_FORMAT": "json"}
	for k, v := range base {
		withJSON[k] = v
	}

	var output strings.Builder
	run := func(env map[string]string, args ...string) {
		code, out, errOut := w.run(t, env, args...)
		fmt.Fprintf(&output, "$ %s (exit %d)\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	// Down twice (a DOWN alert Slack cannot take), then up (a RECOVERED).
	for i, up := range []bool{false, false, false, true} {
		healthy.Store(up)
		env := base
		if i%2 == 1 {
			env = withJSON
		}
		run(env, "once", "--summary", filepath.Join(w.data, "summary.txt"))
	}
	run(base, "render")
	run(base, "check")
	run(withJSON, "check", "--slack")
	run(base, "prune", "--dry-run")
	run(withJSON, "prune")
	run(base, "publish")
	out := output.String()
	if testing.Verbose() {
		t.Logf("output:\n%s", out)
	}

	// The run did what it should, so the absence of the sentinel means
	// something: alerts were attempted and failed, the site was published.
	for _, want := range []string{"DOWN since", "RECOVERED after", "Slack delivery failed", "<secret>", "published to"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q: the scenario did not run as planned:\n%s", want, out)
		}
	}
	if strings.Contains(out, sentinel) {
		t.Errorf("the sentinel appears in stdout or stderr:\n%s", excerpts(out))
	}
	for _, dir := range []string{w.data, w.site, published} {
		dir, err := filepath.EvalSymlinks(dir) // a published folder is a link to its latest copy
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			n++
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("read %s: %v", path, err)
			}
			if bytes.Contains(b, []byte(sentinel)) {
				t.Errorf("the sentinel appears in %s:\n%s", path, excerpts(string(b)))
			}
			return nil
		})
		if n == 0 {
			t.Errorf("%s holds no files: nothing was checked", dir)
		}
	}

	// Requests: the token goes to its own service in the headers that
	// carry it, and nowhere else; the webhook goes nowhere at all.
	for _, r := range toService.all() {
		head, _, _ := strings.Cut(r, "\r\n")
		stripped := r
		for _, h := range []string{"Authorization: Bearer " + sentinel, "X-Api-Key: " + sentinel} {
			stripped = strings.ReplaceAll(stripped, h, "")
		}
		if strings.Contains(stripped, sentinel) {
			t.Errorf("request %s carried the sentinel outside its token headers:\n%s", head, r)
		}
	}
	if len(toOther.all()) == 0 {
		t.Error("the redirect target got no request: the cross-host redirect was not exercised")
	}
	for _, r := range toOther.all() {
		if strings.Contains(r, sentinel) {
			t.Errorf("the redirect target on another host got the sentinel:\n%s", r)
		}
	}
}

// closedPort is a 127.0.0.1 address where nothing listens: every
// connection is refused.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// excerpts shows the lines of s that hold the sentinel.
func excerpts(s string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, sentinel) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
