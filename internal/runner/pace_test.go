package runner

import (
	"context"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/tracker"
)

func TestRenderPause(t *testing.T) {
	const interval = time.Minute
	for _, c := range []struct {
		took, want time.Duration
	}{
		{0, 0},
		{2 * time.Second, 0},                // 40 s of pause fits in the interval: render every cycle
		{3 * time.Second, 0},                // exactly the interval
		{4 * time.Second, 80 * time.Second}, // a 20th of the time
		{30 * time.Second, 2 * time.Minute}, // capped below the page's staleness warning
		{10 * time.Minute, 2 * time.Minute}, // a crawling machine still refreshes its page
	} {
		if got := renderPause(c.took, interval); got != c.want {
			t.Errorf("renderPause(%v, %v) = %v, want %v", c.took, interval, got, c.want)
		}
	}
}

// A runner whose renders are slow renders every few cycles, and a slow
// first render, which writes every page, does not set that pace: the
// second render follows the next cycle.
func TestRenderPacing(t *testing.T) {
	wall := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var took []time.Duration // how long each render takes, in turn
	renders := 0
	r, _ := newTestRunner(t, testConfig("a"), nil, nil, &fakeClock{now: wall})
	r.state = tracker.New()
	r.wallNow = func() time.Time { return wall }
	r.Render = func(context.Context, *tracker.State) error {
		wall = wall.Add(took[renders])
		renders++
		return nil
	}
	cycle := func() { r.renderIfDue(context.Background()) }

	took = []time.Duration{50 * time.Second, 10 * time.Second, 10 * time.Second, time.Second}
	cycle() // the cold render: 50 s on a loaded machine
	wall = wall.Add(10 * time.Second)
	cycle()
	if renders != 2 {
		t.Fatalf("the cycle after a 50 s first render made %d renders in all, want 2: the first render paced the second", renders)
	}
	// 10 s renders at a 1-minute interval: every other cycle (capped at
	// two intervals, not 200 s).
	for i, want := range []int{2, 3} {
		wall = wall.Add(time.Minute - 10*time.Second)
		cycle()
		if renders != want {
			t.Fatalf("cycle %d after a 10 s render: %d renders, want %d", i+1, renders, want)
		}
		if i == 0 {
			wall = wall.Add(10 * time.Second)
		}
	}
}
