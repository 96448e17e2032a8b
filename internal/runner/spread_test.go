package runner

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
)

func TestOffsetIsStableAndSpread(t *testing.T) {
	const window = time.Minute
	seen := map[time.Duration]bool{}
	for _, name := range []string{"a", "b", "sefaria.org", "Linker", "svc-0001", "svc-0002"} {
		got := Offset(name, window)
		if again := Offset(name, window); again != got {
			t.Errorf("Offset(%q) = %v then %v, want the same", name, got, again)
		}
		if got < 0 || got >= window {
			t.Errorf("Offset(%q, %v) = %v, want within [0, %v)", name, window, got, window)
		}
		seen[got] = true
	}
	if len(seen) < 6 {
		t.Errorf("6 names got only %d distinct offsets", len(seen))
	}
	if got := Offset("a", 0); got != 0 {
		t.Errorf("Offset(a, 0) = %v, want 0", got)
	}
}

// wakeLog is a Sleep that moves a fake clock and notes when it woke; it
// cancels the run when the clock reaches stopAt.
type wakeLog struct {
	r      *Runner // when set, checks in flight finish before time moves
	mu     sync.Mutex
	clock  *fakeClock
	stopAt time.Time
	cancel context.CancelFunc
	woke   []time.Time
	away   time.Duration // added to the first sleep: the machine was suspended
	// beforeStop, when set, runs before the run is cancelled, e.g. to let
	// the last cycle's upkeep happen.
	beforeStop func()
}

func (w *wakeLog) Sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	// Time stands still until the checks started so far have finished,
	// as it nearly does for checks of a few milliseconds.
	for give := time.Now().Add(10 * time.Second); w.r != nil && w.r.inFlight.Load() > 0 && time.Now().Before(give); {
		time.Sleep(50 * time.Microsecond)
	}
	if !w.clock.Now().Add(d).Before(w.stopAt) {
		if w.beforeStop != nil {
			w.beforeStop()
		}
		w.cancel()
		return ctx.Err()
	}
	w.clock.Advance(d + w.away)
	w.away = 0
	w.woke = append(w.woke, w.clock.Now())
	return nil
}

// TestRunChecksAtStableOffsets: the first cycle checks everything at
// once (the start is past every offset), later cycles start each check
// at its boundary plus its offset, every service once per cycle, and a
// cycle's completion is saved, rendered and heartbeaten.
func TestRunChecksAtStableOffsets(t *testing.T) {
	names := []string{"a", "b", "c", "d"}
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 17, 0, time.UTC)}
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{}}
	for _, n := range names {
		sc.plan[n] = []uptime.Status{uptime.Up}
	}
	r, logs := newTestRunner(t, testConfig(names...), sc, &recorder{accept: -1}, clock)
	r.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	sleep := &wakeLog{r: r, clock: clock, cancel: cancel, stopAt: time.Date(2026, 11, 24, 10, 3, 0, 0, time.UTC)}
	r.Sleep = sleep.Sleep
	// Upkeep runs once per completed cycle (two that complete together
	// are merged), off the dispatcher's path: let it catch up with the
	// cycle of 10:02 before the stop.
	third := time.Date(2026, 11, 24, 10, 2, 0, 0, time.UTC)
	rendered := make(chan bool, 10)
	renders := 0
	r.Render = func(ctx context.Context, st *tracker.State) error {
		renders++
		all := len(st.Services) == len(names)
		for _, ss := range st.Services {
			all = all && !ss.LastCheck.Before(third)
		}
		rendered <- all
		return nil
	}
	beats := 0
	r.Config.Settings.HeartbeatURL = "http://127.0.0.1/hb"
	r.Ping = func(ctx context.Context, rawURL string) error { beats++; return nil }
	sleep.beforeStop = func() {
		for {
			select {
			case all := <-rendered:
				if all {
					return
				}
			case <-time.After(10 * time.Second):
				t.Errorf("no render of the cycle of 10:02 within 10 s; log:\n%s", logs)
				return
			}
		}
	}
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}

	window := time.Duration(len(names)) * spreadPerService
	var want []time.Time
	for _, boundary := range []time.Time{time.Date(2026, 11, 24, 10, 1, 0, 0, time.UTC), time.Date(2026, 11, 24, 10, 2, 0, 0, time.UTC)} {
		for _, n := range names {
			want = append(want, boundary.Add(Offset(n, window)))
		}
	}
	// Each wake is a check's due time; a check due within dispatchTick of
	// a wake goes out with it.
	for _, w := range sleep.woke {
		if !slices.ContainsFunc(want, w.Equal) {
			t.Errorf("woke at %v, want only at due times %v", w, want)
		}
	}
	for _, due := range want {
		if !slices.ContainsFunc(sleep.woke, func(w time.Time) bool { d := due.Sub(w); return d >= 0 && d <= dispatchTick }) {
			t.Errorf("nothing woke for the check due at %v (woke at %v)", due, sleep.woke)
		}
	}
	for _, n := range names {
		if sc.cycle[n] != 3 {
			t.Errorf("%s checked %d times in the cycles of 10:00, 10:01 and 10:02, want 3", n, sc.cycle[n])
		}
	}
	if beats != renders {
		t.Errorf("%d renders and %d heartbeats, want one of each per upkeep", renders, beats)
	}
	st, err := tracker.Load(filepath.Join(r.DataDir, StateFile))
	if err != nil || len(st.Services) != len(names) {
		t.Fatalf("saved state = %+v, %v, want all %d services", st, err, len(names))
	}
}

// TestRunSkipsCyclesItFellBehindOn: after the machine was away for
// three intervals the dispatcher logs it and goes on with the current
// cycle instead of replaying the missed ones.
func TestRunSkipsCyclesItFellBehindOn(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 30, 0, time.UTC)}
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{"a": {uptime.Up}}}
	r, logs := newTestRunner(t, testConfig("a"), sc, &recorder{accept: -1}, clock)
	ctx, cancel := context.WithCancel(context.Background())
	sleep := &wakeLog{r: r, clock: clock, cancel: cancel, stopAt: time.Date(2026, 11, 24, 10, 6, 0, 0, time.UTC),
		away: 3 * time.Minute}
	r.Sleep = sleep.Sleep
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(logs.String(), "fell behind") {
		t.Errorf("falling behind not logged:\n%s", logs)
	}
	// Checked at 10:00:30 (the first cycle), not for 10:01, 10:02 or 10:03
	// (missed while away until 10:04), then once for 10:04 and for 10:05.
	if sc.cycle["a"] != 3 {
		t.Errorf("a checked %d times, want 3: the first cycle, 10:04 and 10:05", sc.cycle["a"])
	}
}

// stampedDeliverer notes each alert and whether the state file already
// held it when it left, and closes got after the first.
type stampedDeliverer struct {
	mu        sync.Mutex
	statePath string
	sent      []uptime.Transition
	inState   []bool
	got       chan struct{}
}

func (d *stampedDeliverer) Deliver(ctx context.Context, alerts []uptime.Transition) ([]bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	disk, _ := os.ReadFile(d.statePath)
	ok := make([]bool, len(alerts))
	for i, a := range alerts {
		d.sent = append(d.sent, a)
		d.inState = append(d.inState, strings.Contains(string(disk), a.IncidentID))
		ok[i] = true
	}
	if len(d.sent) == len(alerts) {
		close(d.got)
	}
	return ok, nil
}

// gatedChecker fails "web" and, in its second cycle, holds "zzz" until
// the DOWN was delivered: an alert that waited for its cycle to end would
// never leave.
type gatedChecker struct {
	mu      sync.Mutex
	clock   *fakeClock
	n       map[string]int
	gate    <-chan struct{}
	timeout bool
	first   time.Time // web's first check
}

func (c *gatedChecker) Check(ctx context.Context, svc uptime.Service) uptime.Result {
	c.mu.Lock()
	c.n[svc.Name]++
	n := c.n[svc.Name]
	at := c.clock.Now()
	if svc.Name == "web" && n == 1 {
		c.first = at
	}
	c.mu.Unlock()
	r := uptime.Result{Time: at, Service: svc.Name, Status: uptime.Up, Code: 200, MS: 5, Attempts: 1}
	switch {
	case svc.Name == "web":
		r.Status, r.Code, r.Error = uptime.Down, 503, uptime.ErrStatus
	case n == 2:
		select {
		case <-c.gate:
		case <-time.After(10 * time.Second):
			c.mu.Lock()
			c.timeout = true
			c.mu.Unlock()
		}
	}
	return r
}

// TestRunAlertsBeforeTheCycleEnds: the DOWN leaves as soon as the batch
// with the confirming check is recorded and saved, while the cycle's
// other checks are still running.
func TestRunAlertsBeforeTheCycleEnds(t *testing.T) {
	cfg := testConfig("web", "zzz")
	window := 2 * spreadPerService
	if Offset("web", window) >= Offset("zzz", window) {
		t.Fatalf("offsets: web %v, zzz %v; the test needs web first", Offset("web", window), Offset("zzz", window))
	}
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	d := &stampedDeliverer{statePath: filepath.Join(dir, StateFile), got: make(chan struct{})}
	c := &gatedChecker{clock: clock, n: map[string]int{}, gate: d.got}
	r, _ := newTestRunner(t, cfg, c, d, clock)
	r.DataDir = dir
	ctx, cancel := context.WithCancel(context.Background())
	sleep := &wakeLog{r: r, clock: clock, cancel: cancel, stopAt: time.Date(2026, 11, 24, 10, 2, 0, 0, time.UTC)}
	r.Sleep = sleep.Sleep
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if c.timeout {
		t.Errorf("the DOWN waited for the rest of its cycle")
	}
	if len(d.sent) != 1 || d.sent[0].Kind != uptime.WentDown || d.sent[0].Service != "web" {
		t.Fatalf("alerts = %+v, want web's DOWN", d.sent)
	}
	if !d.inState[0] {
		t.Errorf("the DOWN left before the saved state held it")
	}
	if want := c.first; !d.sent[0].Since.Equal(want) {
		t.Errorf("DOWN since %v, want the first failed check %v", d.sent[0].Since, want)
	}
}

// TestRunRecordsEveryCheckInOrder: 40 services over three cycles, with
// results finishing out of order: one history line per check, each
// service's lines in time order, and the state saved at the stop.
func TestRunRecordsEveryCheckInOrder(t *testing.T) {
	var names []string
	for i := range 40 {
		names = append(names, fmt.Sprintf("svc-%02d", i))
	}
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{}}
	for i, n := range names {
		sc.plan[n] = []uptime.Status{uptime.Up, uptime.Down, uptime.Status([]uptime.Status{uptime.Up, uptime.Down}[i%2])}
	}
	d := &recorder{accept: -1}
	r, _ := newTestRunner(t, testConfig(names...), sc, d, clock)
	r.Config.Settings.MaxParallel = 8
	ctx, cancel := context.WithCancel(context.Background())
	sleep := &wakeLog{r: r, clock: clock, cancel: cancel, stopAt: time.Date(2026, 11, 24, 10, 3, 0, 0, time.UTC)}
	r.Sleep = sleep.Sleep
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	last := map[string]time.Time{}
	lines := 0
	_, err := history.New(r.DataDir).Scan(clock.Now().Add(-time.Hour), clock.Now().Add(time.Hour), func(res uptime.Result) error {
		lines++
		if res.Time.Before(last[res.Service]) {
			t.Errorf("history: %s at %v after %v, want time order", res.Service, res.Time, last[res.Service])
		}
		last[res.Service] = res.Time
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if lines != 3*len(names) || sc.checks != lines {
		t.Errorf("history holds %d lines for %d checks, want %d", lines, sc.checks, 3*len(names))
	}
	st, err := tracker.Load(filepath.Join(r.DataDir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		if want := 2 * (i % 2); st.Services[n] == nil || st.Services[n].Failures != want {
			t.Errorf("%s in the saved state = %+v, want %d failures", n, st.Services[n], want)
		}
	}
	if len(d.got) != len(names)/2 || len(st.Outbox) != 0 {
		t.Errorf("delivered %d alerts, %d left queued, want a DOWN for each of the %d services down twice and none queued",
			len(d.got), len(st.Outbox), len(names)/2)
	}
}

// flakyDeliverer fails its first calls, then accepts everything.
type flakyDeliverer struct {
	mu    sync.Mutex
	fails int
	calls int
	got   []uptime.Transition
}

func (d *flakyDeliverer) Deliver(ctx context.Context, alerts []uptime.Transition) ([]bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if d.calls <= d.fails {
		return make([]bool, len(alerts)), fmt.Errorf("slack: HTTP 503")
	}
	d.got = append(d.got, alerts...)
	ok := make([]bool, len(alerts))
	for i := range ok {
		ok[i] = true
	}
	return ok, nil
}

// TestRunRetriesFailedDeliveries: while Slack fails, the courier keeps
// the alerts and tries again on its own (no new transition needed), and
// they arrive in order once Slack answers.
func TestRunRetriesFailedDeliveries(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{
		"a": {uptime.Down, uptime.Down, uptime.Up},
		"b": {uptime.Down, uptime.Down, uptime.Up},
	}}
	d := &flakyDeliverer{fails: 20} // more than the run has batches: only retries get through
	r, _ := newTestRunner(t, testConfig("a", "b"), sc, d, clock)
	r.retryAfter = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	sleep := &wakeLog{r: r, clock: clock, cancel: cancel, stopAt: time.Date(2026, 11, 24, 10, 3, 0, 0, time.UTC)}
	sleep.beforeStop = func() {
		for give := time.Now().Add(10 * time.Second); time.Now().Before(give); time.Sleep(time.Millisecond) {
			d.mu.Lock()
			n := len(d.got)
			d.mu.Unlock()
			if n == 4 {
				return
			}
		}
	}
	r.Sleep = sleep.Sleep
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	var kinds []string
	for _, a := range d.got {
		kinds = append(kinds, a.Service+" "+string(a.Kind))
	}
	if len(kinds) != 4 || d.calls <= d.fails {
		t.Fatalf("delivered %v after %d calls, want both DOWNs and both RECOVEREDs after the %d failures", kinds, d.calls, d.fails)
	}
	for i, a := range d.got[:2] {
		if a.Kind != uptime.WentDown {
			t.Errorf("alert %d = %s, want the DOWNs first", i, kinds[i])
		}
	}
	st, err := tracker.Load(filepath.Join(r.DataDir, StateFile))
	if err != nil || len(st.Outbox) != 0 {
		t.Errorf("saved outbox = %v, %v, want empty", st.Outbox, err)
	}
}

// holdingChecker holds every check until released and notes how many
// were in flight at once.
type holdingChecker struct {
	mu             sync.Mutex
	inFlight, peak int
	started        chan string
	release        chan struct{}
	now            func() time.Time
}

func (h *holdingChecker) Check(ctx context.Context, svc uptime.Service) uptime.Result {
	h.mu.Lock()
	h.inFlight++
	h.peak = max(h.peak, h.inFlight)
	h.mu.Unlock()
	h.started <- svc.Name
	<-h.release
	h.mu.Lock()
	h.inFlight--
	h.mu.Unlock()
	return uptime.Result{Service: svc.Name, Time: h.now(), Status: uptime.Up, Code: 200, Attempts: 1}
}

// TestDispatchHoldsMaxParallel: a first cycle's burst of 20 due checks
// runs at most max_parallel at once, and each freed slot starts the next.
func TestDispatchHoldsMaxParallel(t *testing.T) {
	var names []string
	for i := range 20 {
		names = append(names, fmt.Sprintf("svc-%02d", i))
	}
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 59, 0, time.UTC)} // every offset has passed
	h := &holdingChecker{started: make(chan string), release: make(chan struct{}), now: clock.Now}
	r, _ := newTestRunner(t, testConfig(names...), h, &recorder{accept: -1}, clock)
	r.Config.Settings.MaxParallel = 4
	r.Sleep = func(ctx context.Context, d time.Duration) error { <-ctx.Done(); return ctx.Err() } // one cycle only
	ctx, cancel := context.WithCancel(context.Background())
	in := newInbox()
	dispatched := make(chan struct{})
	go func() {
		r.dispatch(ctx, newSchedule(r.Config.Services, r.Config.Settings.Interval), in)
		close(dispatched)
	}()

	checked := map[string]bool{}
	for range 4 {
		checked[<-h.started] = true
	}
	select {
	case name := <-h.started:
		t.Fatalf("%s started while 4 checks were in flight, max_parallel 4", name)
	case <-time.After(50 * time.Millisecond):
	}
	for range 16 {
		h.release <- struct{}{}
		checked[<-h.started] = true
	}
	for range 4 {
		h.release <- struct{}{}
	}
	cancel()
	<-dispatched
	if len(checked) != 20 || h.peak != 4 {
		t.Errorf("%d services checked, at most %d at once; want all 20, 4 at once", len(checked), h.peak)
	}
	if results, _, _ := in.take(nil, nil, nil); len(results) != 20 {
		t.Errorf("the inbox holds %d results, want 20", len(results))
	}
}
