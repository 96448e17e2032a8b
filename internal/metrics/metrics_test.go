package metrics

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable time for /healthz.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// scrape GETs path from h and returns the status and body.
func scrape(t *testing.T, h http.Handler, path string) (int, string, http.Header) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body), resp.Header
}

// series reads a text-format scrape into series → value, e.g.
// `statusgen_service_status{service="Linker",status="down"}` → "1".
func series(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("scrape line %q has no value", line)
		}
		out[line[:i]] = line[i+1:]
	}
	return out
}

func TestMetricsScrape(t *testing.T) {
	m := New([]string{"sefaria.org", "Linker", `odd "name"\`}, time.Minute, nil)
	m.Restore("Linker", uptime.Up, t0.Add(-time.Minute), 0)
	m.Checked(uptime.Result{Time: t0, Service: "sefaria.org", Status: uptime.Up, MS: 120}, uptime.Up, 0)
	m.Checked(uptime.Result{Time: t0.Add(time.Second), Service: "sefaria.org", Status: uptime.Degraded, MS: 3200}, uptime.Degraded, 0)
	m.Checked(uptime.Result{Time: t0.Add(2 * time.Second), Service: "Linker", Status: uptime.Down, MS: 10000, Error: uptime.ErrTimeout}, uptime.Down, 1)
	m.Checked(uptime.Result{Time: t0.Add(62 * time.Second), Service: "Linker", Status: uptime.Down, MS: 10000, Error: uptime.ErrTimeout}, uptime.Down, 2)
	// An inconclusive check moves the last check only; the status stays.
	m.Checked(uptime.Result{Time: t0.Add(122 * time.Second), Service: "Linker", Status: uptime.Inconclusive}, uptime.Down, 2)
	m.Checked(uptime.Result{Time: t0, Service: "not configured", Status: uptime.Up}, uptime.Up, 0)
	m.CycleDone(t0, t0.Add(1500*time.Millisecond))
	m.Overrun()
	m.Outbox(2)
	m.RenderFailed()
	m.PublishFailed()
	m.PublishFailed()

	code, body, header := scrape(t, m.Handler(), "/metrics")
	if code != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %q, want 200 text/plain", code, header.Get("Content-Type"))
	}
	got := series(t, body)
	want := map[string]float64{
		`statusgen_service_status{service="sefaria.org",status="up"}`:              0,
		`statusgen_service_status{service="sefaria.org",status="degraded"}`:        1,
		`statusgen_service_status{service="sefaria.org",status="down"}`:            0,
		`statusgen_service_status{service="Linker",status="up"}`:                   0,
		`statusgen_service_status{service="Linker",status="down"}`:                 1,
		`statusgen_service_status{service="odd \"name\"\\",status="up"}`:           0,
		`statusgen_service_status{service="odd \"name\"\\",status="down"}`:         0,
		`statusgen_service_consecutive_failures{service="Linker"}`:                 2,
		`statusgen_service_consecutive_failures{service="sefaria.org"}`:            0,
		`statusgen_service_last_check_timestamp_seconds{service="Linker"}`:         float64(t0.Add(122 * time.Second).Unix()),
		`statusgen_service_last_check_timestamp_seconds{service="odd \"name\"\\"}`: 0,
		// Latency counts up and degraded checks only.
		`statusgen_service_latency_seconds_count{service="sefaria.org"}`:            2,
		`statusgen_service_latency_seconds_bucket{service="sefaria.org",le="0.25"}`: 1,
		`statusgen_service_latency_seconds_bucket{service="sefaria.org",le="5"}`:    2,
		`statusgen_service_latency_seconds_sum{service="sefaria.org"}`:              3.32,
		`statusgen_service_latency_seconds_count{service="Linker"}`:                 0,
		`statusgen_outbox_alerts`:                          2,
		`statusgen_cycle_duration_seconds_count`:           1,
		`statusgen_cycle_duration_seconds_sum`:             1.5,
		`statusgen_cycle_overruns_total`:                   1,
		`statusgen_render_failures_total`:                  1,
		`statusgen_publish_failures_total`:                 2,
		`statusgen_last_cycle_completed_timestamp_seconds`: float64(t0.Unix()) + 1.5,
		`statusgen_interval_seconds`:                       60,
	}
	for k, v := range want {
		g, err := strconv.ParseFloat(got[k], 64)
		if err != nil || math.Abs(g-v) > 1e-9*max(1, math.Abs(v)) {
			t.Errorf("scrape %s = %q, want %v", k, got[k], v)
		}
	}
	if !strings.Contains(body, "go_goroutines ") || !strings.Contains(body, "process_") {
		t.Errorf("scrape lacks the Go and process collectors:\n%s", body)
	}
	if strings.Contains(body, "not configured") {
		t.Errorf("scrape has a series for a service that is not configured")
	}
}

// TestHealthz: 200 while cycles complete on time, 503 once the last one
// (or, before any, the start) is more than two intervals old.
func TestHealthz(t *testing.T) {
	const interval = time.Minute
	tests := []struct {
		name     string
		lastDone time.Duration // after t0; -1: no cycle completed
		now      time.Duration // after t0 (the start)
		want     int
		wantText string
	}{
		{"just started", -1, 0, 200, "starting: no cycle completed yet, started 0s ago (interval 1m0s)"},
		{"first cycle still running", -1, 2 * interval, 200, "starting: no cycle completed yet, started 2m0s ago (interval 1m0s)"},
		{"no cycle since the start", -1, 2*interval + time.Second, 503, "stale: no cycle completed since the start 2m1s ago (interval 1m0s)"},
		{"cycle just completed", 70 * time.Second, 70 * time.Second, 200, "ok: the last cycle completed 0s ago (interval 1m0s)"},
		{"one cycle late", 70 * time.Second, 70*time.Second + 2*interval, 200, "ok: the last cycle completed 2m0s ago (interval 1m0s)"},
		{"stalled", 70 * time.Second, 71*time.Second + 2*interval, 503, "stale: the last cycle completed 2m1s ago (interval 1m0s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: t0}
			m := New([]string{"a"}, interval, c.now)
			if tc.lastDone >= 0 {
				m.CycleDone(t0.Add(tc.lastDone-10*time.Second), t0.Add(tc.lastDone))
			}
			c.set(t0.Add(tc.now))
			code, body, header := scrape(t, m.Handler(), "/healthz")
			if code != tc.want || strings.TrimSpace(body) != tc.wantText {
				t.Errorf("GET /healthz = %d %q, want %d %q", code, strings.TrimSpace(body), tc.want, tc.wantText)
			}
			if header.Get("Cache-Control") != "no-store" {
				t.Errorf("GET /healthz Cache-Control = %q, want no-store", header.Get("Cache-Control"))
			}
		})
	}
}

func TestOtherPathsAndMethods(t *testing.T) {
	m := New([]string{"a"}, time.Minute, nil)
	h := m.Handler()
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/", 404},
		{"GET", "/metrics/x", 404},
		{"POST", "/metrics", 405},
		{"HEAD", "/healthz", 200},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
}

// TestCheckedAllocatesNothing: the runner reports every result, 10,000 a
// minute at the largest; that must not feed the garbage collector.
func TestCheckedAllocatesNothing(t *testing.T) {
	m := New([]string{"sefaria.org"}, time.Minute, nil)
	res := uptime.Result{Time: t0, Service: "sefaria.org", Status: uptime.Up, MS: 120}
	if n := testing.AllocsPerRun(1000, func() { m.Checked(res, uptime.Up, 0) }); n != 0 {
		t.Errorf("Checked allocates %v times per call, want 0", n)
	}
}
