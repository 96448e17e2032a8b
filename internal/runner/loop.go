package runner

import (
	"context"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/wait"
)

// Run checks every service once per interval until ctx is cancelled, then
// lets the checks in flight finish (ShutdownGrace), records them, saves
// the state and returns nil; it returns an error only when it cannot
// start.
//
// Cycles are aligned to interval boundaries (UTC), but unlike Cycle, Run
// does not check everything at once: each service has a stable offset
// after the boundary (see Offset), so the load is flat and each service
// is checked exactly one interval apart. Four goroutines share the work:
//
//   - the dispatcher starts each check at its time (see dispatch);
//   - the batcher gathers the results that finished for BatchEvery, then
//     appends them to history, folds them into the rollups, applies the
//     tracker and saves the state if it fired a transition, and wakes
//     the courier; when a cycle's last result is in, it writes the
//     rollups and saves the state;
//   - the courier delivers the outbox, so a slow Slack never delays
//     recording; an alert leaves only once the saved state holds it;
//   - upkeep, once per completed cycle, reloads the maintenance notices,
//     prunes when due, renders from a copy of the state, syncs issues,
//     publishes when due and pings the heartbeat. It never holds the
//     state while it works, so a slow render never delays an alert.
//
// An operational error is logged and the runner goes on: a monitor that
// stops on a full disk would also stop alerting.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.Open(); err != nil {
		return err
	}
	// Appends come every BatchEvery; they are synced with the state.
	r.history.DeferSync()
	r.mu.Lock()
	r.held = r.maintenance()
	r.mu.Unlock()

	in := newInbox()
	done := make(chan Report, 1)
	kick := make(chan struct{}, 1)
	rec := &batcher{r: r, in: in, thresholds: r.thresholds(), kick: kick, done: done, cycles: map[time.Time]*Report{}}
	var wg sync.WaitGroup
	wg.Go(func() { r.upkeep(ctx, done) })
	wg.Go(func() { r.courier(ctx, kick) })
	dispatched := make(chan struct{})
	go func() {
		r.dispatch(ctx, newSchedule(r.Config.Services, r.Config.Settings.Interval), in)
		close(dispatched)
	}()
	rec.record(ctx, dispatched)
	close(kick)
	close(done)
	wg.Wait()
	return nil
}

// upkeep does what follows a completed cycle, off the alert path.
func (r *Runner) upkeep(ctx context.Context, cycles <-chan Report) {
	for rep := range cycles {
		if ctx.Err() != nil {
			continue
		}
		held := r.maintenance()
		r.mu.Lock()
		r.held = held
		r.mu.Unlock()
		r.pruneIfDue()
		r.renderIfDue(ctx)
		r.syncIssues(ctx, rep.Transitions)
		r.publishIfDue(ctx, rep)
		if !rep.Failed && !r.deliveryFailing.Load() {
			r.heartbeat(ctx)
		}
	}
}

// renderDuty bounds the share of the time Run spends rendering: a render
// that took longer than a renderDuty-th of the interval is not followed by
// another for renderDuty times as long, so a site that grew slow to
// render (10,000 services: about 3 s) is refreshed every few cycles
// instead of eating the CPU the checks need. Faster renders happen once
// per completed cycle.
const renderDuty = 20

// maxRenderPause caps that pause, in intervals, below the page's own
// staleness warning (three intervals at least): a machine so busy that
// renders crawl still refreshes its page, at a higher share of the CPU.
const maxRenderPause = 2

// renderPause is how long after the start of a render that took took the
// next one waits; 0 when it may follow the next cycle.
func renderPause(took, interval time.Duration) time.Duration {
	pause := renderDuty * took
	if pause <= interval {
		return 0
	}
	return min(pause, maxRenderPause*interval)
}

// renderIfDue renders the site from a copy of the state, paced by renderDuty.
func (r *Runner) renderIfDue(ctx context.Context) {
	if r.Render == nil {
		return
	}
	// Real time, not r.now: this paces the machine's work, not the schedule.
	wall := r.wallNow
	if wall == nil {
		wall = time.Now
	}
	start := wall()
	if start.Sub(r.lastRender) < renderPause(r.lastRenderTook, r.Config.Settings.Interval) {
		return
	}
	r.mu.Lock()
	st := r.state.Clone()
	r.mu.Unlock()
	if err := r.Render(ctx, st); err != nil {
		r.Logger.Error("render failed", "err", err)
		if r.Observer != nil {
			r.Observer.RenderFailed()
		}
	}
	first := r.lastRender.IsZero()
	r.lastRender, r.lastRenderTook = start, wall().Sub(start)
	if first {
		// The first render writes every page and badge; later ones
		// rewrite a thousand at most (site.Renderer). Paced by it, a
		// loaded 10,000-service runner went 10 minutes without a second
		// render.
		r.lastRenderTook = 0
	}
}

func (r *Runner) thresholds() map[string]int {
	m := make(map[string]int, len(r.Config.Services))
	for _, s := range r.Config.Services {
		m[s.Name] = s.FailureThreshold
	}
	return m
}

func (r *Runner) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	return wait.For(ctx, d)
}
