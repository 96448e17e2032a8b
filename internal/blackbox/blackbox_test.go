package blackbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/realserver"
	"github.com/Sefaria/statusgen/internal/uptime"
)

func TestEligible(t *testing.T) {
	plain := uptime.Service{Name: "Web", URL: "https://example.org/health", Method: "GET", CheckType: uptime.CheckHTTP, ExpectedStatus: []int{200}}
	for _, tc := range []struct {
		name string
		edit func(*uptime.Service)
		why  string
	}{
		{"plain GET", func(*uptime.Service) {}, ""},
		{"2xx statuses", func(s *uptime.Service) { s.ExpectedStatus = []int{200, 204} }, ""},
		{"async", func(s *uptime.Service) { s.CheckType = uptime.CheckAsyncTwoPhase }, "an async check: blackbox_exporter makes one request"},
		{"POST", func(s *uptime.Service) { s.Method = "POST" }, "method POST: a module sets the method"},
		{"headers", func(s *uptime.Service) {
			s.Headers = []uptime.Header{{Name: "Authorization", Value: "x", Secret: true}}
		},
			"request headers: a module sets them, and they may be secrets"},
		{"body", func(s *uptime.Service) { s.Body = "{}" }, "a request body: a module sets it"},
		{"expect_body", func(s *uptime.Service) { s.ExpectBody = "ok" }, "a body assertion: the module cannot know it"},
		{"expect_json", func(s *uptime.Service) { s.ExpectJSON = map[string]any{"ok": true} }, "a body assertion: the module cannot know it"},
		{"query", func(s *uptime.Service) { s.URL += "?token=x" }, "its URL has a query or credentials, which must not leave for another host"},
		{"503 expected", func(s *uptime.Service) { s.ExpectedStatus = []int{503} }, "an expected status outside 2xx: a module judges by its own list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := plain
			tc.edit(&svc)
			ok, why := Eligible(svc)
			if ok != (tc.why == "") || why != tc.why {
				t.Errorf("Eligible = %v, %q; want %v, %q", ok, why, tc.why == "", tc.why)
			}
		})
	}
}

// exporter runs Debian's prometheus-blackbox-exporter with modules of
// this test's own and returns its base URL.
func exporter(t *testing.T) string {
	t.Helper()
	bin := realserver.Tool(t, "prometheus-blackbox-exporter", "prometheus-blackbox-exporter")
	conf := filepath.Join(t.TempDir(), "blackbox.yml")
	if err := os.WriteFile(conf, []byte(`modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
  http_says_ok:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
      fail_if_body_not_matches_regexp: ["^ok"]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", realserver.FreePort(t, "127.0.0.1"))
	realserver.Start(t, "blackbox_exporter", exec.Command(bin, "--config.file="+conf, "--web.listen-address="+addr), addr)
	return "http://" + addr
}

// A real blackbox_exporter's answers read as the checks statusgen makes:
// up, a wrong status, a failed body regexp, no connection, and a target
// that hangs past the caller's deadline, each in time.
func TestProbeWithRealExporter(t *testing.T) {
	base := exporter(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			fmt.Fprintln(w, "ok")
		case "/other":
			fmt.Fprintln(w, "something else")
		case "/hang":
			<-r.Context().Done()
		default:
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(target.Close)
	closed := fmt.Sprintf("http://127.0.0.1:%d/", realserver.FreePort(t, "127.0.0.1"))

	for _, tc := range []struct {
		name, url, module string
		deadline          time.Duration
		degraded          time.Duration
		want              uptime.Result
	}{
		{name: "up", url: target.URL + "/ok", module: "http_2xx", want: uptime.Result{Status: uptime.Up, Code: 200}},
		{name: "slower than degraded_after", url: target.URL + "/ok", module: "http_2xx", degraded: time.Nanosecond,
			want: uptime.Result{Status: uptime.Degraded, Code: 200}},
		{name: "503", url: target.URL + "/down", module: "http_2xx", want: uptime.Result{Status: uptime.Down, Code: 503, Error: uptime.ErrStatus,
			Detail: "blackbox_exporter module http_2xx: HTTP 503 is not a valid status code"}},
		{name: "body regexp", url: target.URL + "/other", module: "http_says_ok", want: uptime.Result{Status: uptime.Down, Code: 200, Error: uptime.ErrBody,
			Detail: "blackbox_exporter module http_says_ok: the body failed the module's regular expressions"}},
		{name: "nothing listens", url: closed, module: "http_2xx", want: uptime.Result{Status: uptime.Down, Error: uptime.ErrConnect,
			Detail: "blackbox_exporter module http_2xx: no HTTP answer (connection, TLS or timeout; see the exporter's log)"}},
		{name: "hangs past the deadline", url: target.URL + "/hang", module: "http_2xx", deadline: 2 * time.Second,
			want: uptime.Result{Status: uptime.Down, Error: uptime.ErrConnect,
				Detail: "blackbox_exporter module http_2xx: no HTTP answer (connection, TLS or timeout; see the exporter's log)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deadline := tc.deadline
			if deadline == 0 {
				deadline = 10 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			c := &Client{Location: "bbx", BaseURL: base, Module: tc.module}
			svc := uptime.Service{Name: "Web", URL: tc.url, DegradedAfter: tc.degraded}
			started := time.Now()
			got, err := c.Probe(ctx, svc)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if took := time.Since(started); took > deadline {
				t.Errorf("answered after %v, past the %v deadline", took, deadline)
			}
			if got.Time.Before(started.UTC().Add(-time.Millisecond)) || got.MS < 0 || got.MS > deadline.Milliseconds() {
				t.Errorf("time %v, ms %d: want the probe's start and its duration", got.Time, got.MS)
			}
			tc.want.Service, tc.want.Attempts, tc.want.Location = "Web", 1, "bbx"
			got.Time, got.MS = time.Time{}, 0
			if got != tc.want {
				t.Errorf("result = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// An exporter that does not answer a probe gives an error, so that the
// location does not vote, and the error names no target.
func TestProbeErrors(t *testing.T) {
	base := exporter(t)
	svc := uptime.Service{Name: "Web", URL: "http://127.0.0.1:1/health"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// A web server that is not an exporter, such as an agent's /healthz.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	t.Cleanup(other.Close)
	for _, tc := range []struct {
		name, base, module, want string
	}{
		{"unknown module", base, "no_such_module", `blackbox bbx: 400 Bad Request: Unknown module "no_such_module"`},
		{"not an exporter", other.URL, "http_2xx", "blackbox bbx: the answer is not Prometheus text"},
		{"nothing listens", fmt.Sprintf("http://127.0.0.1:%d", realserver.FreePort(t, "127.0.0.1")), "http_2xx", "connect: connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{Location: "bbx", BaseURL: tc.base, Module: tc.module}
			_, err := c.Probe(ctx, svc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Probe error = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "target=") {
				t.Errorf("error %q repeats the query", err)
			}
		})
	}
}
