package runner

import (
	"context"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestOnceCyclesAcrossMidnightMeasureTime runs the scheduled job's cycles:
// a new runner per cycle (a new `once` process) on the same data folder,
// five minutes apart at an interval of 300 s, across UTC midnight. The
// service is down for three cycles: its rollups hold 15 minutes of
// downtime split between the two days (the span of the old day's last
// check is carried into the new day), the same as the incident's
// duration, and its uptime is time up over time up and down.
func TestOnceCyclesAcrossMidnightMeasureTime(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 24, 23, 42, 0, 0, time.UTC)}
	plan := []uptime.Status{uptime.Up, uptime.Up, uptime.Up, uptime.Up, uptime.Down, uptime.Down, uptime.Down, uptime.Up, uptime.Up}
	cfg := testConfig("web")
	cfg.Settings.Interval, cfg.Settings.CheckDeadline = 300*time.Second, 240*time.Second
	dir := t.TempDir()
	for i, st := range plan {
		sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{"web": {st}}}
		r, _ := newTestRunner(t, cfg, sc, &recorder{accept: -1}, clock)
		r.DataDir = dir
		if _, err := r.Cycle(context.Background()); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		clock.Advance(5 * time.Minute)
	}
	// Down from 00:02 to 00:17 on the 25th: the checks at 00:02, 00:07 and
	// 00:12; the 23:57 check is up for 3 minutes on the 24th and 2 on the 25th.
	store := history.New(dir)
	days, err := store.Rollups(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	if err != nil || len(days) != 2 {
		t.Fatalf("Rollups = %d days, %v, want the 24th and the 25th", len(days), err)
	}
	now := clock.Now() // 5 minutes after the last check: it still stands
	var packed history.LedgerBuilder
	for _, d := range days {
		packed.Add(d)
	}
	times := history.ServiceTimes(nil, packed.Ledger().Append(nil, "web"), now, history.SpanCap(cfg.Settings.Interval))
	want := []history.Times{{Up: 18 * time.Minute}, {Up: 2*time.Minute + 10*time.Minute, Down: 15 * time.Minute}}
	if times[0] != want[0] || times[1] != want[1] {
		t.Errorf("times = %+v, want %+v", times, want)
	}
	incs, _, err := store.Incidents()
	if err != nil || len(incs) != 1 || time.Duration(incs[0].Seconds)*time.Second != times[1].Down {
		t.Errorf("incidents = %+v, %v; want one lasting the %v of downtime", incs, err, times[1].Down)
	}
}
