package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestCycleReportsSiteFailures: a render or publish that fails is in the
// report (for `once` to exit 1), and comes after the state was saved and
// the alert delivered, never instead of them.
func TestCycleReportsSiteFailures(t *testing.T) {
	tests := []struct {
		name            string
		render, publish error
		want            string // in SiteErr; "" for none
	}{
		{"both fine", nil, nil, ""},
		{"render fails", errors.New("disk full"), nil, "render: disk full"},
		{"publish fails", nil, errors.New("github: 502"), "publish: github: 502"},
		{"both fail", errors.New("disk full"), errors.New("github: 502"), "render: disk full\npublish: github: 502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
			sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{"a": {uptime.Down, uptime.Down}}}
			d := &recorder{accept: -1}
			r, _ := newTestRunner(t, testConfig("a"), sc, d, clock)
			var sawSaved, sawDelivered bool
			cycle := 0
			r.Render = func(ctx context.Context, st *tracker.State) error {
				saved, err := tracker.Load(filepath.Join(r.DataDir, StateFile))
				sawSaved = err == nil && saved.Services["a"] != nil && saved.Services["a"].Failures == cycle+1
				sawDelivered = len(d.got) == cycle
				return tt.render
			}
			r.Publish = func(ctx context.Context, rep Report) error { return tt.publish }
			for i := range 2 {
				cycle = i
				rep, err := r.Cycle(context.Background())
				if err != nil {
					t.Fatalf("cycle %d: %v", i, err)
				}
				if got := errString(rep.SiteErr); got != tt.want {
					t.Errorf("cycle %d: SiteErr = %q, want %q", i, got, tt.want)
				}
				if !sawSaved || !sawDelivered {
					t.Errorf("cycle %d: render ran before the state was saved (%v) or the alerts delivered (%v)", i, sawSaved, sawDelivered)
				}
				clock.Advance(time.Minute)
			}
			if len(d.got) != 1 || d.got[0].Kind != uptime.WentDown {
				t.Errorf("delivered %v, want a's DOWN", d.got)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRenderLockWaitsThenGivesUp(t *testing.T) {
	dir := t.TempDir()
	held, err := AcquireRenderLock(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := AcquireRenderLock(ctx, dir); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), RenderLockFile) {
		t.Errorf("AcquireRenderLock while held = %v, want ErrLocked naming %s", err, RenderLockFile)
	}
	// The runner's own lock is another one: holding both is fine.
	lock, err := AcquireLock(dir)
	if err != nil {
		t.Fatalf("AcquireLock beside a render: %v", err)
	}
	lock.Release()
	held.Release()
	again, err := AcquireRenderLock(context.Background(), dir)
	if err != nil {
		t.Fatalf("AcquireRenderLock after release: %v", err)
	}
	again.Release()
	if _, err := os.Stat(filepath.Join(dir, RenderLockFile)); err != nil {
		t.Errorf("the lock file: %v", err)
	}
}
