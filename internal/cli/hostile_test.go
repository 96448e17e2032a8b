package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Hostile text: every payload tries to run script in a browser (each sets
// window.pwned or calls alert), to ping or link in Slack, to reorder text
// (bidi overrides) or to break a file (NUL, invalid UTF-8).
const (
	xssPayload   = `<script>window.pwned=1;alert(1)</script><img src=x onerror="window.pwned=2;alert(2)"><svg onload="window.pwned=3"></svg>"'><a href="javascript:window.pwned=4">j</a></script><!--`
	slackPayload = `<!channel> <!here> <@U123> <#C123> <https://evil.example|click me>`
	bidiPayload  = "\u202egnp.exe\u2066x\u2069\u200f"
	dirtyPayload = "nul\x00byte bad\xff\xfeutf8"
)

// hostileNames are service names from services.toml (TOML cannot carry NUL
// or invalid UTF-8, and config refuses control characters).
var hostileNames = []string{
	`<script>window.pwned=5</script> web`,
	`<!channel> <@U123> <https://evil.example|api>`,
	"</script><img src=x onerror=alert(6)> linker \u202e",
	`raw "quote' & amp`,
}

// hostileTargets serves, while healthy is false, a failure whose every
// quotable part carries the payloads; while true, good answers.
type hostileTargets struct {
	healthy atomic.Bool
	http    *httptest.Server
	raw     string // a non-HTTP server that answers hostile bytes
}

func newHostileTargets(t *testing.T) *hostileTargets {
	h := &hostileTargets{}
	all := xssPayload + " " + slackPayload + " " + bidiPayload + " " + dirtyPayload
	mux := http.NewServeMux()
	mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
		if h.healthy.Load() {
			io.WriteString(w, `{"allReady": true}`)
			return
		}
		w.Header().Set("X-Evil", xssPayload)
		w.WriteHeader(http.StatusServiceUnavailable)
		// Raw bytes in a JSON string: NUL escaped, invalid UTF-8 as is.
		fmt.Fprintf(w, `{"allReady": "%s\u0000%s"}`, strings.ReplaceAll(xssPayload+slackPayload+bidiPayload, `"`, `\"`), "\xff\xfe")
	})
	mux.HandleFunc("GET /text", func(w http.ResponseWriter, r *http.Request) {
		if h.healthy.Load() {
			io.WriteString(w, "fine <!channel> </script>")
			return
		}
		io.WriteString(w, all)
	})
	mux.HandleFunc("POST /api/find-refs", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"task_id": %q}`, "<!channel>/../"+xssPayload)
	})
	mux.HandleFunc("GET /api/async/{id...}", func(w http.ResponseWriter, r *http.Request) {
		if h.healthy.Load() {
			fmt.Fprint(w, `{"task_id":"x","state":"SUCCESS","ready":true,"result":{"title":{"results":[],"refData":{}},`+
				`"body":{"results":[{"startChar":0,"endChar":7,"text":"Job 1:1","linkFailed":false,"refs":["Job 1:1"]}],"refData":{}}}}`)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		b, _ := json.Marshal(map[string]string{"task_id": "x", "state": "FAILURE", "error": xssPayload + slackPayload + bidiPayload + "nul\x00"})
		w.Write(b)
	})
	h.http = httptest.NewServer(mux)
	t.Cleanup(h.http.Close)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Read(make([]byte, 1024))
			io.WriteString(c, all+"\r\n\r\n")
			c.Close()
		}
	}()
	h.raw = "http://" + ln.Addr().String()
	return h
}

func (h *hostileTargets) config(slack string) string {
	return fmt.Sprintf(`[settings]
title = "Hostile </title><script>window.pwned=9</script>"
status_page_url = "https://status.example.org"
interval = "10s"
retries = 1
retry_delay = "0s"
failure_threshold = 1

[slack]
channel = "alerts"

[[service]]
name = %[2]q
url = "%[1]s/json"
timeout = "2s"
expect_json = { allReady = true }

[[service]]
name = %[3]q
url = "%[1]s/text"
timeout = "2s"
expect_body = %[6]q

[[service]]
name = %[4]q
url = "%[1]s/api/find-refs"
method = "POST"
expected_status = 202
check_type = "async_two_phase"
timeout = "2s"
request_body = '{"text": {"title": "", "body": "Job 1:1"}}'
[service.async_verification]
base_url = "%[1]s/api/async/"
max_poll_attempts = 2
poll_interval = "0s"

[[service]]
name = %[5]q
url = "%[7]s/raw"
timeout = "2s"
`, h.http.URL, hostileNames[0], hostileNames[1], hostileNames[2], hostileNames[3],
		"<!channel> </script>"+xssPayload, h.raw)
}

// fakeSlack records every payload posted to it and accepts it.
type fakeSlack struct {
	mu       sync.Mutex
	payloads [][]byte
	srv      *httptest.Server
}

func newFakeSlack(t *testing.T) *fakeSlack {
	s := &fakeSlack{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.payloads = append(s.payloads, b)
		s.mu.Unlock()
		io.WriteString(w, "ok")
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *fakeSlack) all() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.payloads...)
}

// slackMarkup is the markup statusgen itself writes in mrkdwn: links to the
// status page and to the configured (local) services, and date tokens.
// Once these are removed, no '<' or '>' may remain: any other would be
// remote or configured text that Slack would act on.
var slackMarkup = regexp.MustCompile(`<(?:https://status\.example\.org[^|<>]*|http://127\.0\.0\.1:\d+[^|<>]*)\|[^<>]*>|<!date\^\d+\^[^|<>]*\|[^<>]*>|<(?:https://status\.example\.org|http://127\.0\.0\.1:\d+)[^|<>]*>`)

// TestHostileTextIsInert runs cycles against targets, service names and
// a notice full of hostile text, then proves that every file is valid
// UTF-8, every Slack payload is escaped, no page carries live markup from
// the payloads, and (with chromium) that nothing executes in a browser.
func TestHostileTextIsInert(t *testing.T) {
	h := newHostileTargets(t)
	slack := newFakeSlack(t)
	w := newWorkspace(t, h.config(slack.srv.URL))
	writeHostileNotice(t, w.data)
	env := map[string]string{"SLACK_WEBHOOK_URL": slack.srv.URL + "/hook", "DEBUG": "true"}

	var output strings.Builder
	for _, healthy := range []bool{false, false, true} {
		h.healthy.Store(healthy)
		code, out, errOut := w.run(t, env, "once")
		output.WriteString(out + errOut)
		if code != ExitOK {
			t.Fatalf("once: exit %d:\n%s%s", code, out, errOut)
		}
	}
	if code, out, errOut := w.run(t, env, "render"); code != ExitOK {
		t.Fatalf("render: exit %d:\n%s%s", code, out, errOut)
	}
	if !utf8.ValidString(output.String()) {
		t.Errorf("stdout or stderr is not valid UTF-8:\n%q", output.String())
	}

	t.Run("files are valid UTF-8", func(t *testing.T) {
		for _, dir := range []string{w.data, w.site} {
			walkFiles(t, dir, func(path string, b []byte) {
				if filepath.Base(filepath.Dir(path)) == "notices" {
					return // the operator's input, hostile on purpose
				}
				if !utf8.Valid(b) {
					t.Errorf("%s is not valid UTF-8", path)
				}
				if bytes.IndexByte(b, 0) >= 0 {
					t.Errorf("%s holds a NUL byte", path)
				}
			})
		}
	})

	t.Run("history details are sanitized", func(t *testing.T) {
		for _, line := range readJSONL(t, filepath.Join(w.data, "checks")) {
			d, _ := line["detail"].(string)
			if strings.ContainsAny(d, "\u202e\u2066\u2069\u200f\x00\ufffe") {
				t.Errorf("detail %q holds a control or bidi character", d)
			}
		}
	})

	t.Run("Slack payloads are escaped", func(t *testing.T) {
		payloads := slack.all()
		// DOWN for all four services, RECOVERED for the three that heal.
		var downs, recs int
		for _, p := range payloads {
			var msg any
			if err := json.Unmarshal(p, &msg); err != nil {
				t.Errorf("payload is not JSON: %v\n%s", err, p)
				continue
			}
			downs += bytes.Count(p, []byte("is down"))
			recs += bytes.Count(p, []byte("recovered"))
			for _, s := range mrkdwnStrings(msg) {
				rest := slackMarkup.ReplaceAllString(s, "")
				if strings.ContainsAny(rest, "<>") {
					t.Errorf("payload text %q holds live mrkdwn (after removing statusgen's own links: %q)", s, rest)
				}
				if strings.Contains(s, "<https://evil") {
					t.Errorf("payload text %q links to the payload's URL", s)
				}
			}
		}
		if downs == 0 || recs == 0 {
			t.Errorf("Slack got %d payloads naming DOWN %d and RECOVERED %d times, want both; the scenario did not run", len(payloads), downs, recs)
		}
	})

	t.Run("pages carry no live payload markup", func(t *testing.T) {
		// Escaped, a payload is harmless text ("onerror=" may stay); these
		// are its tags and attributes live.
		live := []string{"<script>window.pwned", "<img src=x", "<svg onload", `href="javascript:`, `<iframe src="javascript:`, "</title><script>"}
		n := 0
		walkFiles(t, w.site, func(path string, b []byte) {
			if !strings.HasSuffix(path, ".html") && !strings.HasSuffix(path, ".svg") && !strings.HasSuffix(path, ".xml") && !strings.HasSuffix(path, ".atom") {
				return
			}
			n++
			for _, s := range live {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s holds %q unescaped", path, s)
				}
			}
		})
		if n == 0 {
			t.Error("the site holds no page")
		}
	})

	t.Run("nothing executes in a browser", func(t *testing.T) {
		browseHostileSite(t, w.site)
	})
}

// writeHostileNotice writes an active incident notice whose title and
// body carry every payload.
func writeHostileNotice(t *testing.T, data string) {
	t.Helper()
	dir := filepath.Join(data, "notices")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	notice := fmt.Sprintf("+++\ntitle = %q\nkind = \"incident\"\nstart = %s\n+++\n\n# %s\n\n%s\n\n[click](javascript:window.pwned=10) <iframe src=\"javascript:alert(11)\"></iframe>\n\n%s %s %s\n",
		"<script>window.pwned=12</script> "+slackPayload+" "+bidiPayload, start, xssPayload, xssPayload, slackPayload, bidiPayload, dirtyPayload)
	if err := os.WriteFile(filepath.Join(dir, "hostile.md"), []byte(notice), 0o644); err != nil {
		t.Fatal(err)
	}
}

// walkFiles calls f with every regular file under dir and its content.
func walkFiles(t *testing.T, dir string, f func(path string, b []byte)) {
	t.Helper()
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f(path, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// mrkdwnStrings lists every string value inside a decoded Slack payload
// that Slack parses as mrkdwn: all but the text of plain_text objects,
// which shows "<!channel>" as typed.
func mrkdwnStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, mrkdwnStrings(e)...)
		}
		return out
	case map[string]any:
		if v["type"] == "plain_text" {
			return nil
		}
		var out []string
		for _, e := range v {
			out = append(out, mrkdwnStrings(e)...)
		}
		return out
	}
	return nil
}

// cspMeta is the page's Content-Security-Policy tag, removed for the
// second pass so the test proves the escaping, not only the policy.
var cspMeta = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`)

// browseHostileSite opens every page of site in headless Chromium, as
// rendered and again without its CSP, and fails if a dialog opened or any
// payload set window.pwned. Without chromium it skips, unless
// STATUSGEN_BROWSER_TESTS=1 (CI) requires it.
func browseHostileSite(t *testing.T, site string) {
	exe := findChromium(t)
	site, err := filepath.EvalSymlinks(site)
	if err != nil {
		t.Fatal(err)
	}
	var pages []string
	walkFiles(t, site, func(path string, b []byte) {
		if strings.HasSuffix(path, ".html") {
			rel, _ := filepath.Rel(site, path)
			pages = append(pages, filepath.ToSlash(rel))
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/csp/", http.StripPrefix("/csp/", http.FileServer(http.Dir(site))))
	mux.HandleFunc("/nocsp/", func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join(site, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/nocsp/"))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(r.URL.Path, ".html") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			b = cspMeta.ReplaceAll(b, nil)
		}
		w.Write(b)
	})
	// A page that does run script, to prove the harness can see it.
	mux.HandleFunc("/canary.html", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!doctype html><title>canary</title><body><script>window.pwned=1;alert('canary')</script></body>")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := startChromium(t, exe)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var mu sync.Mutex
	var dialogs []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if ev, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			mu.Lock()
			dialogs = append(dialogs, ev.Message)
			mu.Unlock()
			// A dialog blocks the page: dismiss it so the test can go on.
			go chromedp.Run(ctx, page.HandleJavaScriptDialog(false))
		}
	})
	for _, prefix := range []string{"/csp/", "/nocsp/"} {
		for _, p := range pages {
			var pwned string
			err := chromedp.Run(ctx,
				chromedp.Navigate(srv.URL+prefix+p),
				chromedp.WaitReady("body", chromedp.ByQuery),
				chromedp.Sleep(150*time.Millisecond), // let onerror and onload handlers fire
				chromedp.Evaluate(`typeof window.pwned === "undefined" ? "" : String(window.pwned)`, &pwned),
			)
			if err != nil {
				t.Fatalf("chromedp %s%s: %v", prefix, p, err)
			}
			if pwned != "" {
				t.Errorf("%s%s: a payload ran (window.pwned = %s)", prefix, p, pwned)
			}
		}
	}
	mu.Lock()
	if len(dialogs) > 0 {
		t.Errorf("dialogs opened: %q", dialogs)
	}
	mu.Unlock()

	var pwned string
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/canary.html"), chromedp.WaitReady("body", chromedp.ByQuery),
		chromedp.Sleep(150*time.Millisecond),
		chromedp.Evaluate(`typeof window.pwned === "undefined" ? "" : String(window.pwned)`, &pwned)); err != nil {
		t.Fatalf("chromedp canary: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if pwned != "1" || len(dialogs) != 1 {
		t.Errorf("canary page: window.pwned = %q, %d dialogs; want 1 and 1: the harness cannot see a payload run", pwned, len(dialogs))
	}
	t.Logf("%d pages loaded twice, with and without the CSP", len(pages))
}

// findChromium finds the browser; see internal/site's browser test.
// startChromium starts headless Chromium for the test and returns its
// browser context; it stops when the test ends. Chromium may still write
// its profile while exiting, so the folder is removed by hand, ignoring
// what it left, rather than by t.TempDir.
func startChromium(t *testing.T, exe string) context.Context {
	t.Helper()
	profile, err := os.MkdirTemp("", "statusgen-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(profile) })
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true))
	browser, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() }) // LIFO: after the profile's removal is registered, so it runs first
	return browser
}

func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("STATUSGEN_BROWSER_TESTS") == "1" {
		t.Fatal("STATUSGEN_BROWSER_TESTS=1 but no chromium found (apt-get install chromium, or set CHROMIUM)")
	}
	t.Skip("no chromium on PATH: browser test skipped")
	return ""
}
