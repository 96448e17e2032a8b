package runner

import (
	"bytes"
	"context"
	"errors"
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
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// script answers each service's check from a list of statuses, one per cycle.
type script struct {
	mu     sync.Mutex
	plan   map[string][]uptime.Status
	cycle  map[string]int
	now    func() time.Time
	checks int
	during func(n int) // called inside the n-th check, e.g. to move a fake clock
}

func (s *script) Check(ctx context.Context, svc uptime.Service) uptime.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks++
	if s.during != nil {
		s.during(s.checks)
	}
	i := s.cycle[svc.Name]
	s.cycle[svc.Name]++
	st := s.plan[svc.Name][min(i, len(s.plan[svc.Name])-1)]
	r := uptime.Result{Time: s.now(), Service: svc.Name, Status: st, Code: 200, MS: 12, Attempts: 1}
	if st == uptime.Down {
		r.Code, r.Error, r.Detail = 503, uptime.ErrStatus, "HTTP 503"
	}
	return r
}

// recorder is a Deliverer that accepts the first `accept` alerts of each call.
type recorder struct {
	mu     sync.Mutex
	got    []uptime.Transition
	accept int // -1: all
	err    error
}

func (d *recorder) Deliver(ctx context.Context, alerts []uptime.Transition) ([]bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := len(alerts)
	if d.accept >= 0 && d.accept < n {
		n = d.accept
	}
	d.got = append(d.got, alerts[:n]...)
	accepted := make([]bool, len(alerts))
	for i := range n {
		accepted[i] = true
	}
	return accepted, d.err
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func testConfig(names ...string) *config.Config {
	cfg := &config.Config{Settings: config.Settings{
		Title: "Test", Interval: time.Minute, CheckDeadline: 48 * time.Second, MaxParallel: 4,
		RetentionDays: 60,
	}}
	for _, n := range names {
		cfg.Services = append(cfg.Services, uptime.Service{Name: n, URL: "http://127.0.0.1/", Method: "GET",
			ExpectedStatus: []int{200}, FailureThreshold: 2, Retries: 1, Timeout: time.Second})
	}
	return cfg
}

func newTestRunner(t *testing.T, cfg *config.Config, checker Checker, d Deliverer, clock *fakeClock) (*Runner, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	return &Runner{
		Config: cfg, DataDir: t.TempDir(), Checker: checker, Deliverer: d,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clock.Now,
	}, &logs
}

func TestCycleRecordsTracksAndDelivers(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{
		"web":    {uptime.Up, uptime.Down, uptime.Down, uptime.Down, uptime.Up},
		"linker": {uptime.Up, uptime.Up, uptime.Up, uptime.Up, uptime.Up},
	}}
	d := &recorder{accept: -1}
	r, _ := newTestRunner(t, testConfig("web", "linker"), sc, d, clock)
	var kinds []string
	for range 5 {
		rep, err := r.Cycle(context.Background())
		if err != nil {
			t.Fatalf("Cycle: %v", err)
		}
		for _, tr := range rep.Transitions {
			kinds = append(kinds, string(tr.Kind)+" "+tr.Service)
		}
		clock.Advance(time.Minute)
	}
	if got, want := strings.Join(kinds, ","), "down web,recovered web"; got != want {
		t.Errorf("transitions = %q, want %q", got, want)
	}
	if len(d.got) != 2 || d.got[0].Since != time.Date(2026, 11, 24, 10, 1, 0, 0, time.UTC) {
		t.Errorf("delivered %+v, want DOWN since 10:01 then RECOVERED", d.got)
	}
	// Every check is on disk, in config order within a cycle.
	res, stats, err := history.New(r.DataDir).Read(time.Time{}, clock.Now())
	if err != nil || len(res) != 10 || stats.Skipped != 0 {
		t.Fatalf("history: %d results, %+v, %v; want 10 clean lines", len(res), stats, err)
	}
	if res[0].Service != "web" || res[1].Service != "linker" {
		t.Errorf("first cycle recorded as %s, %s; want config order web, linker", res[0].Service, res[1].Service)
	}
	incs, _, err := history.New(r.DataDir).Incidents()
	if err != nil || len(incs) != 1 || incs[0].Seconds != 180 {
		t.Errorf("incidents = %+v, %v; want one of 180 s", incs, err)
	}
	st, err := tracker.Load(filepath.Join(r.DataDir, StateFile))
	if err != nil || len(st.Outbox) != 0 || st.Services["web"].Status != uptime.Up {
		t.Errorf("state after recovery = %+v, %v; want web up and an empty outbox", st, err)
	}
}

func TestUndeliveredAlertsStayQueued(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{
		"a": {uptime.Down}, "b": {uptime.Down},
	}}
	d := &recorder{accept: 1, err: errors.New("webhook broken")}
	r, _ := newTestRunner(t, testConfig("a", "b"), sc, d, clock)
	if _, err := r.Cycle(context.Background()); err != nil {
		t.Fatalf("first cycle: %v", err)
	}
	clock.Advance(time.Minute)
	rep, err := r.Cycle(context.Background())
	if !errors.Is(err, ErrDelivery) {
		t.Fatalf("Cycle error = %v, want ErrDelivery", err)
	}
	if rep.Delivered != 1 || rep.Queued != 1 {
		t.Errorf("delivered %d, queued %d; want 1 and 1", rep.Delivered, rep.Queued)
	}
	st, _ := tracker.Load(filepath.Join(r.DataDir, StateFile))
	if len(st.Outbox) != 1 || st.Outbox[0].Service != "b" {
		t.Errorf("saved outbox = %+v, want b's DOWN kept", st.Outbox)
	}
}

func TestCanaryFailureMakesDownsInconclusive(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{
		"a": {uptime.Down}, "b": {uptime.Up},
	}}
	cfg := testConfig("a", "b")
	cfg.Settings.CanaryURL = "http://canary.invalid/"
	pings := 0
	r, _ := newTestRunner(t, cfg, sc, &recorder{accept: -1}, clock)
	r.Ping = func(ctx context.Context, u string) error { pings++; return errors.New("no route") }
	for range 3 {
		rep, err := r.Cycle(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !rep.CanaryDown || rep.Results[0].Status != uptime.Inconclusive || rep.Results[1].Status != uptime.Up {
			t.Fatalf("results = %+v, want a inconclusive and b up", rep.Results)
		}
		clock.Advance(time.Minute)
	}
	if pings != 3 {
		t.Errorf("canary pinged %d times, want once per cycle with a failure", pings)
	}
	if f := r.State().Services["a"].Failures; f != 0 {
		t.Errorf("failures = %d after inconclusive cycles, want 0", f)
	}
}

func TestHeartbeatAfterEveryCompletedCycle(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{"a": {uptime.Up}}}
	cfg := testConfig("a")
	cfg.Settings.HeartbeatURL = "https://hc-ping.example/secret-uuid"
	var pinged []string
	r, logs := newTestRunner(t, cfg, sc, &recorder{accept: -1}, clock)
	r.Ping = func(ctx context.Context, u string) error { pinged = append(pinged, u); return errors.New("503") }
	for range 2 {
		if _, err := r.Cycle(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(pinged) != 2 {
		t.Errorf("heartbeat pinged %d times, want 2", len(pinged))
	}
	if strings.Contains(logs.String(), "secret-uuid") {
		t.Errorf("the heartbeat URL's secret path reached the log:\n%s", logs)
	}
}

func TestSlowServiceDelaysNoOther(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer slow.Close()
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer fast.Close()

	cfg := testConfig()
	cfg.Settings.CheckDeadline = 400 * time.Millisecond
	cfg.Services = []uptime.Service{
		{Name: "slow", URL: slow.URL, Method: "GET", ExpectedStatus: []int{200}, FailureThreshold: 1,
			Retries: 3, RetryDelay: 10 * time.Millisecond, Timeout: 150 * time.Millisecond},
		{Name: "fast", URL: fast.URL, Method: "GET", ExpectedStatus: []int{200}, FailureThreshold: 1,
			Retries: 1, Timeout: time.Second},
	}
	var logs bytes.Buffer
	r := &Runner{Config: cfg, DataDir: t.TempDir(), Checker: &probe.Prober{UserAgent: "test"},
		Deliverer: &recorder{accept: -1}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	start := time.Now()
	rep, err := r.Cycle(context.Background())
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > cfg.Settings.CheckDeadline+300*time.Millisecond {
		t.Errorf("cycle took %v, want it bounded by the %v check deadline", took, cfg.Settings.CheckDeadline)
	}
	if got := rep.Results[0]; got.Status != uptime.Down || got.Error != uptime.ErrTimeout {
		t.Errorf("slow = %s/%s, want down/timeout", got.Status, got.Error)
	}
	if got := rep.Results[1]; got.Status != uptime.Up || got.MS > 100 {
		t.Errorf("fast = %s in %d ms, want up and unaffected by the slow one", got.Status, got.MS)
	}
}

func TestShutdownCutsChecksAsInconclusiveAndSaves(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)

	cfg := testConfig()
	cfg.Services = []uptime.Service{{Name: "hang", URL: hang.URL, Method: "GET", ExpectedStatus: []int{200},
		FailureThreshold: 1, Retries: 1, Timeout: 30 * time.Second}}
	var logs bytes.Buffer
	r := &Runner{Config: cfg, DataDir: t.TempDir(), Checker: &probe.Prober{UserAgent: "test"},
		Deliverer: &recorder{accept: -1}, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		ShutdownGrace: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	rep, err := r.Cycle(ctx)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("shutdown took %v, want well under the 30 s timeout", took)
	}
	if err != nil {
		t.Fatalf("Cycle: %v", err)
	}
	if got := rep.Results[0].Status; got != uptime.Inconclusive {
		t.Errorf("cut check = %s, want inconclusive (a shutdown is not an outage)", got)
	}
	if _, err := os.Stat(filepath.Join(r.DataDir, StateFile)); err != nil {
		t.Errorf("state not saved on shutdown: %v", err)
	}
}

func TestSecondLockIsRefused(t *testing.T) {
	dir := t.TempDir()
	first, err := AcquireLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLock(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), filepath.Join(dir, LockFile)) {
		t.Errorf("second AcquireLock = %v, want ErrLocked naming the lock file", err)
	}
	first.Release()
	again, err := AcquireLock(dir)
	if err != nil {
		t.Errorf("AcquireLock after Release = %v, want success", err)
	}
	again.Release()
}

func TestCorruptStateStopsTheRunner(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{"a": {uptime.Up}}}
	r, _ := newTestRunner(t, testConfig("a"), sc, &recorder{accept: -1}, clock)
	path := filepath.Join(r.DataDir, StateFile)
	os.WriteFile(path, []byte("{not json"), 0o644)
	if _, err := r.Cycle(context.Background()); err == nil {
		t.Fatal("Cycle with a corrupt state = nil error, want one")
	}
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Errorf("corrupt state was rewritten to %q, want it left as it was", b)
	}
	if sc.checks != 0 {
		t.Errorf("%d checks ran with a corrupt state, want none", sc.checks)
	}
}
