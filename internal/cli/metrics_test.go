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
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunServesMetricsAndHealth runs `statusgen run` with [settings] listen
// against two real local servers, one up and one answering 503, with real
// clocks, and reads /metrics and /healthz as Prometheus and an outside
// checker would: the down service shows as down with its failure count, the
// last cycle is recent, promtool accepts the exposition, and no configured
// secret (a URL's query string, a header value from the environment) is in
// it. Then the data folder breaks: cycles no longer complete and /healthz
// turns 503 two intervals after the last one that did; once it is back, 200.
func TestRunServesMetricsAndHealth(t *testing.T) {
	const interval = 2 * time.Second
	const querySecret, headerSecret = "QUERYSECRET0451", "HEADERSECRET0451"
	var downHits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(up.Close)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		downHits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)

	w := newWorkspace(t, fmt.Sprintf(`[settings]
title = "Metrics test"
interval = "%s"
retries = 1
retry_delay = "0s"
listen = "127.0.0.1:0"

[[service]]
name = "web"
url = "%s/health?api_key=%s"
timeout = "1s"
headers = { X-Api-Key = "${METRICS_TEST_KEY}" }

[[service]]
name = "api"
url = "%s/health?api_key=%s"
timeout = "1s"
failure_threshold = 2
headers = { X-Api-Key = "${METRICS_TEST_KEY}" }
`, interval, up.URL, querySecret, down.URL, querySecret))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &logWatch{}
	env := map[string]string{"METRICS_TEST_KEY": headerSecret, "LOG_FORMAT": "json"}
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"run", "--config", w.config, "--data", w.data, "--site", w.site},
			func(k string) string { return env[k] }, io.Discard, logs)
	}()
	started := time.Now()
	base := "http://" + waitForListen(t, logs, exit)

	// Two failed cycles of api: its DOWN was confirmed.
	var m map[string]float64
	until(t, 5*interval, logs, func() bool {
		m = scrapeMetrics(t, base)
		return m[`statusgen_service_consecutive_failures{service="api"}`] >= 2 &&
			m["statusgen_last_cycle_completed_timestamp_seconds"] > 0
	})
	hits := float64(downHits.Load())
	for _, c := range []struct {
		series string
		ok     func(v float64) bool
		want   string
	}{
		{`statusgen_service_status{service="api",status="down"}`, eq(1), "1"},
		{`statusgen_service_status{service="api",status="up"}`, eq(0), "0"},
		{`statusgen_service_status{service="web",status="up"}`, eq(1), "1"},
		{`statusgen_service_status{service="web",status="down"}`, eq(0), "0"},
		{`statusgen_service_consecutive_failures{service="web"}`, eq(0), "0"},
		// Every answer api gave was a failure; one more may be in flight.
		{`statusgen_service_consecutive_failures{service="api"}`, func(v float64) bool { return v >= 2 && v <= hits }, fmt.Sprintf("2 to %v (requests api served)", hits)},
		{`statusgen_service_last_check_timestamp_seconds{service="api"}`, recent(started, interval), "within the last 2 intervals"},
		{`statusgen_last_cycle_completed_timestamp_seconds`, recent(started, interval), "within the last 2 intervals"},
		{`statusgen_service_latency_seconds_count{service="web"}`, func(v float64) bool { return v >= 2 }, "≥ 2"},
		{`statusgen_service_latency_seconds_count{service="api"}`, eq(0), "0 (failures have no response time)"},
		{`statusgen_cycle_duration_seconds_count`, func(v float64) bool { return v >= 1 }, "≥ 1"},
		{`statusgen_cycle_overruns_total`, eq(0), "0"},
		{`statusgen_render_failures_total`, eq(0), "0"},
		{`statusgen_interval_seconds`, eq(interval.Seconds()), "2"},
	} {
		if v, ok := m[c.series]; !ok || !c.ok(v) {
			t.Errorf("/metrics %s = %v (present %v), want %s", c.series, v, ok, c.want)
		}
	}

	// api's DOWN was queued; without a webhook it is logged, which counts
	// as delivered, and the outbox empties.
	until(t, interval, logs, func() bool { return scrapeMetrics(t, base)["statusgen_outbox_alerts"] == 0 })
	if !strings.Contains(logs.String(), `"alert":"down","service":"api"`) {
		t.Errorf("no DOWN api logged:\n%s", logs)
	}

	body := get(t, base+"/metrics", http.StatusOK)
	for _, secret := range []string{querySecret, headerSecret, "api_key", up.URL, down.URL} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics contains %q, which must never leave the configuration", secret)
		}
	}
	promtoolCheck(t, body)
	if h := get(t, base+"/healthz", http.StatusOK); !strings.HasPrefix(h, "ok: ") || strings.Contains(h, querySecret) {
		t.Errorf("/healthz = %q, want ok", h)
	}

	// The data folder breaks (its checks folder became a file): checks are
	// no longer recorded, so no cycle completes.
	checks := filepath.Join(w.data, "checks")
	moveAside(t, checks)
	writeOrFail(t, checks, "not a folder")
	last := scrapeMetrics(t, base)["statusgen_last_cycle_completed_timestamp_seconds"]
	var health string
	until(t, 4*interval, logs, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		health = string(b)
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	m = scrapeMetrics(t, base)
	lastNow := m["statusgen_last_cycle_completed_timestamp_seconds"]
	if age := time.Since(time.Unix(0, int64(lastNow*1e9))); age <= 2*interval || lastNow > last+interval.Seconds() {
		t.Errorf("/healthz 503 (%q) with the last cycle completed %v ago (at %v, %v when the disk filled); want it older than 2 intervals", health, age, lastNow, last)
	}
	if !strings.HasPrefix(health, "stale: the last cycle completed ") {
		t.Errorf("/healthz body = %q, want it to say the last cycle is stale", health)
	}

	// The folder is back: cycles complete again.
	os.Remove(checks)
	os.Rename(checks+".aside", checks)
	until(t, 3*interval, logs, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	cancel()
	select {
	case code := <-exit:
		if code != ExitOK {
			t.Fatalf("run exited %d:\n%s", code, logs)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("run did not stop within 10 s of its cancellation:\n%s", logs)
	}
	// Stopped with the runner: nothing listens any more.
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("/healthz still answers %d after run stopped", resp.StatusCode)
	}
}

// TestRunRestoresMetricsFromState: a restarted runner reports what the
// state file knows (status, failures, last check, alerts waiting) before
// its first check has answered, rather than zeros.
func TestRunRestoresMetricsFromState(t *testing.T) {
	var mode atomic.Value // "fail" or "hang"
	mode.Store("fail")
	release := make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mode.Load() == "hang" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(api.Close)
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock)
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(slack.Close)
	w := newWorkspace(t, fmt.Sprintf(`[settings]
interval = "6s"
retries = 1

[[service]]
name = "api"
url = %q
timeout = "3s"
`, api.URL))
	env := map[string]string{"SLACK_WEBHOOK_URL": slack.URL + "/services/T0/B0/hooksecret"}
	for range 2 {
		w.run(t, env, "once") // exits 1: Slack refuses the DOWN, which stays in the outbox
	}
	var st struct {
		Services map[string]struct {
			Failures  int       `json:"failures"`
			LastCheck time.Time `json:"last_check"`
		} `json:"services"`
		Outbox []json.RawMessage `json:"outbox"`
	}
	if err := json.Unmarshal([]byte(readOrFail(t, filepath.Join(w.data, "state.json"))), &st); err != nil {
		t.Fatal(err)
	}
	if st.Services["api"].Failures != 2 || len(st.Outbox) != 1 {
		t.Fatalf("state after two failed cycles: %+v; want api failing twice and its DOWN waiting", st)
	}

	// Restarted, its first check of api hangs until the test ends.
	mode.Store("hang")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &logWatch{}
	runEnv := map[string]string{"LOG_FORMAT": "json", "SLACK_WEBHOOK_URL": env["SLACK_WEBHOOK_URL"]}
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"run", "--config", w.config, "--data", w.data, "--site", w.site, "--listen", "127.0.0.1:0"},
			func(k string) string { return runEnv[k] }, io.Discard, logs)
	}()
	m := scrapeMetrics(t, "http://"+waitForListen(t, logs, exit))
	for series, want := range map[string]float64{
		`statusgen_service_status{service="api",status="down"}`:         1,
		`statusgen_service_consecutive_failures{service="api"}`:         2,
		`statusgen_service_last_check_timestamp_seconds{service="api"}`: float64(st.Services["api"].LastCheck.UnixNano()) / 1e9,
		`statusgen_outbox_alerts`:                                       1,
		`statusgen_last_cycle_completed_timestamp_seconds`:              0,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("/metrics after a restart %s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	unblock()
	cancel()
	<-exit
}

// TestRunCountsTrouble: what goes wrong beside the checks shows in the
// counters, and /healthz tells a monitor that keeps up from one that does
// not. With the site folder under a plain file every render and publish
// fails, yet cycles complete; three services that never answer, sharing
// max_parallel = 1, queue their 0.7 s checks until they fall an interval
// behind, and no cycle completes.
func TestRunCountsTrouble(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(up.Close)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(hang.Close)
	service := func(name, url string) string {
		return fmt.Sprintf("[[service]]\nname = %q\nurl = %q\ntimeout = \"700ms\"\n\n", name, url)
	}
	tests := []struct {
		name     string
		config   func(plain string) string
		site     func(plain string) string // --site; "" for the workspace's own
		counters []string                  // each must reach 1
		health   int
		says     string // /healthz's body begins so
		logged   []string
	}{
		{
			name: "site and publish fail",
			config: func(plain string) string {
				return fmt.Sprintf("[publish]\ntarget = \"dir\"\ndir = %q\n\n", filepath.Join(plain, "public")) + service("web", up.URL)
			},
			site:     func(plain string) string { return filepath.Join(plain, "site") },
			counters: []string{"statusgen_render_failures_total", "statusgen_publish_failures_total"},
			health:   http.StatusOK,
			says:     "ok: the last cycle completed",
			logged:   []string{`"msg":"render failed"`, `"msg":"publish failed; trying again next cycle"`},
		},
		{
			name: "checks fall behind",
			config: func(string) string {
				return "[settings]\nmax_parallel = 1\n\n" + service("a", hang.URL+"/a") + service("b", hang.URL+"/b") + service("c", hang.URL+"/c")
			},
			counters: []string{"statusgen_cycle_overruns_total"},
			health:   http.StatusServiceUnavailable,
			says:     "stale: no cycle completed since the start",
			logged:   []string{`"msg":"checks fell behind by more than an interval`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain := filepath.Join(t.TempDir(), "plain-file")
			writeOrFail(t, plain, "x")
			// [settings] must come first; the cases add theirs to it.
			cfg := tt.config(plain)
			settings := "interval = \"1s\"\nretries = 1\nlisten = \"127.0.0.1:0\"\n"
			if strings.HasPrefix(cfg, "[settings]\n") {
				cfg = "[settings]\n" + settings + strings.TrimPrefix(cfg, "[settings]\n")
			} else {
				cfg = "[settings]\n" + settings + "\n" + cfg
			}
			w := newWorkspace(t, cfg)
			if tt.site != nil {
				w.site = tt.site(plain)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			logs := &logWatch{}
			env := map[string]string{"LOG_FORMAT": "json"}
			exit := make(chan int, 1)
			go func() {
				exit <- Run(ctx, []string{"run", "--config", w.config, "--data", w.data, "--site", w.site},
					func(k string) string { return env[k] }, io.Discard, logs)
			}()
			base := "http://" + waitForListen(t, logs, exit)
			until(t, 15*time.Second, logs, func() bool {
				m := scrapeMetrics(t, base)
				for _, c := range tt.counters {
					if m[c] < 1 {
						return false
					}
				}
				resp, err := http.Get(base + "/healthz")
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode == tt.health && strings.HasPrefix(string(b), tt.says)
			})
			for _, msg := range tt.logged {
				if !strings.Contains(logs.String(), msg) {
					t.Errorf("counted, but not logged: %s", msg)
				}
			}
			cancel()
			select {
			case <-exit:
			case <-time.After(10 * time.Second):
				t.Fatalf("run did not stop within 10 s of its cancellation:\n%s", logs)
			}
		})
	}
}

// TestRunListenProblems: a bad --listen is a usage error found before
// anything is written; an address in use is an operational one.
func TestRunListenProblems(t *testing.T) {
	f := newFakeSefaria(t)
	w := newWorkspace(t, f.config())
	code, _, errOut := w.run(t, nil, "run", "--listen", "http://127.0.0.1:9464")
	if code != ExitUsage || !strings.Contains(errOut, `--listen must be a host:port like "127.0.0.1:9464"`) {
		t.Errorf("run --listen URL: exit %d, %q; want 2 and the rule", code, errOut)
	}
	if _, err := os.Stat(w.data); !os.IsNotExist(err) {
		t.Errorf("run with a bad --listen created %s", w.data)
	}

	busy := httptest.NewServer(http.NotFoundHandler())
	defer busy.Close()
	addr := strings.TrimPrefix(busy.URL, "http://")
	code, _, errOut = w.run(t, nil, "run", "--listen", addr)
	if code != ExitFailed || !strings.Contains(errOut, "metrics: listen tcp "+addr) {
		t.Errorf("run --listen %s (in use): exit %d, %q; want 1 naming the address", addr, code, errOut)
	}
	// The lock was released.
	if code, _, errOut := w.run(t, nil, "once"); code != ExitOK {
		t.Errorf("once after a failed run: exit %d, %s", code, errOut)
	}
}

var listenLine = regexp.MustCompile(`"msg":"serving /metrics and /healthz","listen":"([^"]+)"`)

// waitForListen returns the address run logged that it serves metrics on.
func waitForListen(t *testing.T, logs *logWatch, exit <-chan int) string {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if m := listenLine.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-exit:
			t.Fatalf("run exited %d before serving metrics:\n%s", code, logs)
		default:
		}
	}
	t.Fatalf("run logged no metrics address within 10 s:\n%s", logs)
	return ""
}

// until polls cond until it holds, failing the test after limit.
func until(t *testing.T, limit time.Duration, logs *logWatch, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("not within %v; logs:\n%s", limit, logs)
		}
	}
}

func get(t *testing.T, url string, want int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("GET %s = %d %q, want %d", url, resp.StatusCode, b, want)
	}
	return string(b)
}

// scrapeMetrics reads /metrics into series → value.
func scrapeMetrics(t *testing.T, base string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(get(t, base+"/metrics", http.StatusOK)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("/metrics line %q: no value", line)
		}
		out[line[:i]] = v
	}
	return out
}

func eq(want float64) func(float64) bool { return func(v float64) bool { return v == want } }

// recent accepts a Unix time after start and at most two intervals old.
func recent(start time.Time, interval time.Duration) func(float64) bool {
	return func(v float64) bool {
		at := time.Unix(0, int64(v*1e9))
		return at.After(start.Add(-time.Second)) && time.Since(at) <= 2*interval
	}
}

// promtoolCheck runs Prometheus's own linter over a scrape, as a subtest
// that skips where promtool is missing, except under CI=true (.ci/run
// installs it from Debian's prometheus package), where it fails.
func promtoolCheck(t *testing.T, scrape string) {
	t.Run("promtool", func(t *testing.T) {
		if _, err := exec.LookPath("promtool"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("promtool not found; CI installs it with Debian's prometheus package")
			}
			t.Skip("promtool not found (apt-get install prometheus): the exposition was not linted")
		}
		cmd := exec.Command("promtool", "check", "metrics")
		cmd.Stdin = strings.NewReader(scrape)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out.String())
		}
	})
}
