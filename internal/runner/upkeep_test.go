package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

func TestPruneRunsDailyAtPruneAt(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 24, 2, 58, 0, 0, time.UTC)}
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{"a": {uptime.Up}}}
	cfg := testConfig("a")
	cfg.Settings.PruneAt = 3 * time.Hour
	cfg.Settings.IncidentRetentionDays = 365
	r, _ := newTestRunner(t, cfg, sc, &recorder{accept: -1}, clock)
	checks := filepath.Join(r.DataDir, "checks")
	old := func(day string) string {
		path := filepath.Join(checks, day+".jsonl")
		os.MkdirAll(checks, 0o755)
		os.WriteFile(path, []byte(`{"time":"`+day+`T00:00:00.000Z","service":"a","status":"up","code":200,"ms":1,"attempts":1}`+"\n"), 0o644)
		return path
	}
	exists := func(path string) bool { _, err := os.Stat(path); return err == nil }

	// A fresh state has never pruned: the first cycle does.
	first := old("2026-08-01")
	if _, err := r.Cycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if exists(first) {
		t.Errorf("first cycle left %s, 115 days old, with retention 60", first)
	}
	// 02:59: already pruned since the last 03:00 (yesterday's): nothing.
	second := old("2026-08-02")
	clock.Advance(time.Minute)
	r.Cycle(context.Background())
	if !exists(second) {
		t.Error("pruned again before 03:00")
	}
	// 03:00: due again.
	clock.Advance(time.Minute)
	r.Cycle(context.Background())
	if exists(second) {
		t.Error("not pruned at 03:00")
	}
	if got := r.State().LastPrune; !got.Equal(clock.Now()) {
		t.Errorf("LastPrune = %v, want %v", got, clock.Now())
	}
	// Later the same day: no second prune.
	third := old("2026-08-03")
	clock.Advance(5 * time.Hour)
	r.Cycle(context.Background())
	if !exists(third) {
		t.Error("pruned twice on one day")
	}
}

func TestPublishCadence(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	// Cycles a minute apart; threshold 2: DOWN fires at cycle 4, RECOVERED at 5.
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{
		"a": {uptime.Up, uptime.Up, uptime.Up, uptime.Down, uptime.Down, uptime.Up},
	}}
	cfg := testConfig("a")
	cfg.Publish.Every = 5 * time.Minute
	r, logs := newTestRunner(t, cfg, sc, &recorder{accept: -1}, clock)
	var attempts []int
	cycle := 0
	r.Publish = func(ctx context.Context, rep Report) error {
		attempts = append(attempts, cycle)
		if cycle == 10 {
			return errors.New("github: 502")
		}
		return nil
	}
	for cycle = 0; cycle < 13; cycle++ {
		if _, err := r.Cycle(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}
	// 0: the first cycle; 4 and 5: transitions publish at once; 10: five
	// minutes after 5, fails; 11: the retry; then not before 16.
	want := []int{0, 4, 5, 10, 11}
	if !slices.Equal(attempts, want) {
		t.Errorf("publish attempted at cycles %v, want %v", attempts, want)
	}
	if !strings.Contains(logs.String(), "publish failed") {
		t.Errorf("failed publish not logged:\n%s", logs)
	}
}
