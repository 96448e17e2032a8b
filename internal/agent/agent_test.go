package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/probe"
	"github.com/Sefaria/statusgen/internal/uptime"
)

const testToken = "s3cret-agent-token-0123456789"

// secretValue is a header value and a query token of configured URLs,
// which must never appear in an answer or a log line.
const secretValue = "hunter2-query-and-header"

// target is a local service the agent checks: /up answers 200, /down
// 503, /hang waits for release or the request's end.
type target struct {
	*httptest.Server
	release chan struct{}
}

func newTarget(t *testing.T) *target {
	t.Helper()
	tg := &target{release: make(chan struct{})}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/up":
			fmt.Fprintln(w, "ok")
		case "/hang":
			select {
			case <-tg.release:
			case <-r.Context().Done():
			}
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(tg.Close)
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(tg.release) }) })
	return tg
}

// agentFor loads a services.toml naming the target's paths, as the agent
// command does, and serves it with the real prober.
func agentFor(t *testing.T, tg *target, maxParallel int) (*httptest.Server, *bytes.Buffer, *config.Config) {
	t.Helper()
	toml := fmt.Sprintf(`
[settings]
interval = "10s"
retries = 1
max_parallel = %d

[[service]]
name = "Up"
url = "%[2]s/up?token=%[3]s"
headers = { Authorization = "Bearer ${TOKEN}" }

[[service]]
name = "Down"
url = "%[2]s/down?token=%[3]s"
headers = { Authorization = "Bearer ${TOKEN}" }

[[service]]
name = "Hang"
url = "%[2]s/hang"
timeout = "7s"

[[service]]
name = "Shared 503"
url = "%[2]s/down?token=%[3]s"
expected_status = [503]

[[location]]
name = "eu-west"
url = "http://127.0.0.1:1"

[[location]]
name = "us-east"
url = "http://127.0.0.1:2"
`, maxParallel, tg.URL, secretValue)
	path := filepath.Join(t.TempDir(), "services.toml")
	if err := os.WriteFile(path, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, func(k string) string {
		if k == "TOKEN" {
			return secretValue
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s := &Server{
		Location:    "eu-west",
		Token:       testToken,
		Services:    cfg.Services,
		Checker:     &probe.Prober{UserAgent: "statusgen/test"},
		Deadline:    cfg.Settings.CheckDeadline,
		MaxParallel: cfg.Settings.MaxParallel,
		Logger:      slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv, &logs, cfg
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func get(t *testing.T, url string, header http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	maps := header.Clone()
	if maps != nil {
		req.Header = maps
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func auth(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// Every way of asking without the token gets the same bare 401, which
// names no service and runs no check.
func TestAgentRefusesWithoutToken(t *testing.T) {
	tg := newTarget(t)
	srv, logs, _ := agentFor(t, tg, 4)
	for _, tc := range []struct {
		name   string
		header http.Header
		path   string
	}{
		{"no header", nil, "/check?service=Up"},
		{"wrong token", auth("wrong-token-0123456789abcdef"), "/check?service=Up"},
		{"token prefix", auth(testToken[:10]), "/check?service=Up"},
		{"token with more", auth(testToken + "x"), "/check?service=Up"},
		{"empty bearer", http.Header{"Authorization": {"Bearer "}}, "/check?service=Up"},
		{"basic scheme", http.Header{"Authorization": {"Basic " + testToken}}, "/check?service=Up"},
		{"unknown service", auth("nope-nope-nope-nope"), "/check?service=Nope"},
		{"probe", nil, "/probe?target=" + tg.URL + "/up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, h, body := get(t, srv.URL+tc.path, tc.header)
			if code != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401; body %s", code, body)
			}
			if body != `{"error":"unauthorized"}`+"\n" {
				t.Errorf("body = %q, want only that it is unauthorized", body)
			}
			if got := h.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
			}
		})
	}
	if strings.Contains(logs.String(), testToken[:10]) || strings.Contains(logs.String(), "target=") {
		t.Errorf("logs hold a token or a probe target:\n%s", logs)
	}
	if code, _, body := get(t, srv.URL+"/healthz", nil); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q, want 200 ok without a token", code, body)
	}
}

// With the token, the agent runs the named service's check and answers
// its result as a history line carrying the location.
func TestAgentAnswersChecks(t *testing.T) {
	tg := newTarget(t)
	srv, logs, _ := agentFor(t, tg, 4)
	for _, tc := range []struct {
		service string
		code    int // HTTP status of the agent's answer
		want    uptime.Result
		err     string
	}{
		{service: "Up", code: 200, want: uptime.Result{Service: "Up", Status: uptime.Up, Code: 200, Attempts: 1, Location: "eu-west"}},
		{service: "Down", code: 200, want: uptime.Result{Service: "Down", Status: uptime.Down, Code: 503, Attempts: 1, Error: uptime.ErrStatus, Location: "eu-west"}},
		{service: "Shared 503", code: 200, want: uptime.Result{Service: "Shared 503", Status: uptime.Up, Code: 503, Attempts: 1, Location: "eu-west"}},
		{service: "Nope", code: 404, err: `no service named "Nope" in this agent's configuration`},
		{service: "", code: 400, err: "the service parameter is missing: ask /check?service=NAME"},
	} {
		t.Run(tc.service, func(t *testing.T) {
			before := time.Now().UTC()
			code, h, body := get(t, srv.URL+"/check?service="+strings.ReplaceAll(tc.service, " ", "+"), auth(testToken))
			if code != tc.code {
				t.Fatalf("status = %d, want %d; body %s", code, tc.code, body)
			}
			if h.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", h.Get("Content-Type"))
			}
			if tc.err != "" {
				var e struct{ Error string }
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error != tc.err {
					t.Errorf("body = %s, want error %q", body, tc.err)
				}
				return
			}
			got, ok := history.DecodeLine([]byte(strings.TrimSuffix(body, "\n")))
			if !ok {
				t.Fatalf("answer %q is not a check line", body)
			}
			if got.Time.Before(before.Truncate(time.Millisecond)) || got.Time.After(time.Now()) {
				t.Errorf("time = %v, want the check's start, after %v", got.Time, before)
			}
			got.Time, got.MS, got.Detail = time.Time{}, 0, ""
			if got != tc.want {
				t.Errorf("result = %+v, want %+v", got, tc.want)
			}
			if strings.Contains(body, secretValue) {
				t.Errorf("answer holds a secret: %s", body)
			}
		})
	}
	if strings.Contains(logs.String(), secretValue) {
		t.Errorf("logs hold a secret:\n%s", logs)
	}
}

// A caller's timeout shortens the check's deadline, so the answer comes
// before the caller stops waiting; and when every slot is taken until
// then, the agent says it is busy instead of voting a timeout.
func TestAgentHonoursDeadlineAndSlots(t *testing.T) {
	tg := newTarget(t)
	srv, _, _ := agentFor(t, tg, 1)
	timeout := http.Header{"Authorization": {"Bearer " + testToken}, TimeoutHeader: {"1.5"}}

	first := make(chan string, 1)
	started := time.Now()
	go func() {
		_, _, body := get(t, srv.URL+"/check?service=Hang", timeout)
		first <- body
	}()
	// The first check holds the only slot until its deadline; wait until
	// it has reached the target before asking again.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first check never reached the target")
		}
		if inFlight(t, srv) {
			break
		}
	}
	code, _, body := get(t, srv.URL+"/check?service=Up", http.Header{"Authorization": {"Bearer " + testToken}, TimeoutHeader: {"0.5"}})
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "busy") {
		t.Errorf("second check with the only slot taken = %d %s, want 503 busy", code, body)
	}
	res, ok := history.DecodeLine([]byte(strings.TrimSpace(<-first)))
	took := time.Since(started)
	if !ok || res.Status != uptime.Down || res.Error != uptime.ErrTimeout {
		t.Errorf("hanging check = %+v, want down with a timeout", res)
	}
	if took < time.Second || took > 1500*time.Millisecond {
		t.Errorf("hanging check answered after %v, want within the caller's 1.5 s less its margin", took)
	}
}

// inFlight reports whether the agent's only slot is taken: a check that
// asks with no time to wait fails busy.
func inFlight(t *testing.T, srv *httptest.Server) bool {
	code, _, _ := get(t, srv.URL+"/check?service=Up", http.Header{"Authorization": {"Bearer " + testToken}, TimeoutHeader: {"0.01"}})
	return code == http.StatusServiceUnavailable
}
