package runner

import (
	"context"
	"slices"
	"time"

	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/internal/wait"
)

// DefaultBatchEvery is how long the batcher of `statusgen run` gathers
// results before recording them. It bounds alert latency from below (a
// DOWN leaves at most this long, plus the batch's own work, after the
// check that confirmed it) and the number of writes from above (about
// four appends a second, whatever the number of services).
const DefaultBatchEvery = 250 * time.Millisecond

// batcher is Run's record-track-alert loop and its reusable buffers.
type batcher struct {
	r          *Runner
	in         *inbox
	thresholds map[string]int
	kick       chan struct{} // wakes the courier
	done       chan Report   // completed cycles, to upkeep
	cycles     map[time.Time]*Report

	results []uptime.Result
	of      []time.Time     // the cycle of each result
	located []uptime.Result // with Locate: the locations' checks, recorded beside the verdicts
}

// record is the batcher's loop: whenever results arrive it waits BatchEvery
// for more, then records them all as one batch, until the dispatcher is
// done; then it records the last ones and saves the state.
func (b *batcher) record(ctx context.Context, dispatched <-chan struct{}) {
	for {
		final := false
		select {
		case <-b.in.ready:
			if b.r.BatchEvery > 0 {
				wait.For(ctx, b.r.BatchEvery) // cut short by shutdown: record what there is
			}
		case <-dispatched:
			final = true
		}
		b.results, b.of, b.located = b.in.take(b.results, b.of, b.located)
		b.batch(ctx, final)
		if final {
			return
		}
	}
}

// batch records one batch in the design's order: history, rollups (in
// memory), tracker, incidents, state, then it wakes the courier. A cycle
// whose last result this was goes to upkeep, after its rollups are written
// and the state saved.
func (b *batcher) batch(ctx context.Context, final bool) {
	r := b.r
	results, of := b.sortByTime()
	failed := false
	if len(results) > 0 {
		if r.canaryFailed(ctx, results) {
			markInconclusive(results, "the monitor's canary failed too: its own network is in doubt")
		}
		r.logFailures(results)
		lines := results
		if len(b.located) > 0 {
			lines = slices.Concat(b.located, results)
		}
		if err := r.history.Append(lines); err != nil {
			// Not tracked either: the state never runs ahead of the history.
			r.Logger.Error("checks not recorded", "err", err, "results", len(results))
			failed = true
		} else if err := r.history.FoldIntoRollups(results, r.Config.Settings.Interval); err != nil {
			r.Logger.Error("rollups not updated", "err", err)
		}
	}

	r.mu.Lock()
	var ts []uptime.Transition
	if !failed && len(results) > 0 {
		ts = r.state.Apply(results, tracker.Policy{
			Thresholds:  b.thresholds,
			RemindEvery: r.Config.Slack.RemindEvery,
			Held:        r.held,
		})
		if err := r.recordIncidents(ts); err != nil {
			r.Logger.Error("incidents not recorded", "err", err)
		}
		r.unsaved = true
		r.alertsUnsaved = r.alertsUnsaved || len(ts) > 0
		r.alertsQueued.Add(int64(len(ts)))
		r.observeBatch(results)
	}
	// An alert leaves only once it is in the saved state; other progress
	// is saved once a cycle.
	if r.alertsUnsaved {
		r.saveLocked()
	}
	completed := b.collect(results, of, ts, failed)
	if len(completed) > 0 || final {
		if err := r.history.FlushRollups(); err != nil {
			r.Logger.Error("rollups not written", "err", err)
		}
		r.saveLocked()
	}
	queued := len(r.state.Outbox) > 0
	r.mu.Unlock()

	if queued {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	for _, c := range completed {
		// A cycle whose results were not all recorded did not complete, for
		// whoever watches the runner (as for the heartbeat).
		if r.Observer != nil && !c.Failed {
			r.Observer.CycleDone(c.Start, c.Start.Add(c.Duration))
		}
		b.toUpkeep(c)
	}
}

// observeBatch tells the Observer about a tracked batch; r.mu is held.
func (r *Runner) observeBatch(results []uptime.Result) {
	if r.Observer == nil {
		return
	}
	for _, res := range results {
		if ss := r.state.Services[res.Service]; ss != nil {
			r.Observer.Checked(res, ss.Status, ss.Failures)
		}
	}
	r.Observer.Outbox(len(r.state.Outbox))
}

// sortByTime orders the batch by check time (stable), so the history and
// the tracker see each service's results in time order.
func (b *batcher) sortByTime() ([]uptime.Result, []time.Time) {
	idx := make([]int, len(b.results))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int { return b.results[x].Time.Compare(b.results[y].Time) })
	results := make([]uptime.Result, len(idx))
	of := make([]time.Time, len(idx))
	for k, i := range idx {
		results[k], of[k] = b.results[i], b.of[i]
	}
	return results, of
}

// collect files the batch under the cycles its results belong to and
// returns the cycles it completed, oldest first.
func (b *batcher) collect(results []uptime.Result, of []time.Time, ts []uptime.Transition, failed bool) []*Report {
	r := b.r
	cycleOf := map[string]time.Time{}
	for i, res := range results {
		c := b.cycles[of[i]]
		if c == nil {
			c = &Report{Start: of[i], Streaks: map[string]int{}}
			b.cycles[of[i]] = c
		}
		c.Results = append(c.Results, res)
		c.Failed = c.Failed || failed
		if ss := r.state.Services[res.Service]; ss != nil {
			c.Streaks[res.Service] = ss.Failures
		}
		cycleOf[res.Service] = of[i]
	}
	for _, t := range ts {
		if c := b.cycles[cycleOf[t.Service]]; c != nil {
			c.Transitions = append(c.Transitions, t)
		}
	}
	var done []*Report
	for start, c := range b.cycles {
		if len(c.Results) < len(r.Config.Services) {
			continue
		}
		delete(b.cycles, start)
		c.Duration = r.now().Sub(c.Start)
		c.Queued = len(r.state.Outbox)
		done = append(done, c)
	}
	slices.SortFunc(done, func(a, b *Report) int { return a.Start.Compare(b.Start) })
	// A cycle the dispatcher gave up on (it fell behind) never completes.
	if len(done) > 0 {
		for start, c := range b.cycles {
			if start.Before(done[len(done)-1].Start) {
				r.Logger.Warn("cycle left incomplete", "cycle", start, "checked", len(c.Results), "services", len(r.Config.Services))
				delete(b.cycles, start)
			}
		}
	}
	return done
}

// toUpkeep hands a completed cycle to upkeep without waiting for it: a
// cycle upkeep has not started yet is merged into this one, so no
// transition misses its publish or issue sync.
func (b *batcher) toUpkeep(c *Report) {
	r := b.r
	r.logCycle(c, b.thresholds)
	r.warnIfOffline(c.Results)
	select {
	case old := <-b.done:
		c.Transitions = append(old.Transitions, c.Transitions...)
		c.Failed = c.Failed || old.Failed
	default:
	}
	b.done <- *c
}

// DefaultGatherAlerts is how long the courier of `statusgen run` waits,
// once alerts are queued, for more. Checks of one cycle start a few
// milliseconds apart and their results are recorded in batches BatchEvery
// apart, so services that fail together are confirmed in consecutive
// batches. The courier delivers once a batch is recorded that queued no
// new alert, or no batch came for this long (longer than a batch and its
// work), and at the latest gatherLimit times this long after it began
// waiting: an alert is delayed by a batch or two, 4 s at most, where
// delivering per cycle would delay it by up to an interval.
const DefaultGatherAlerts = 400 * time.Millisecond

// gatherLimit bounds the courier's wait in multiples of GatherAlerts, so a
// stream of alerts (a network-wide outage over 10,000 services spread over
// the interval) still goes out every few seconds. At 5 (2 s), 200 services
// failing together on a loaded machine were confirmed over more than 2 s
// and reached Slack as four messages instead of one.
const gatherLimit = 10

// courier delivers the outbox whenever the batcher wakes it, off the
// batcher's path, so a slow or failing Slack never delays recording.
// Alerts that keep coming are gathered into one delivery (see
// DefaultGatherAlerts). After a delivery that failed or left alerts it was
// given in the outbox, it waits retryAfter before trying again. When kick is closed it makes one last attempt, bounded by
// ShutdownGrace.
func (r *Runner) courier(ctx context.Context, kick <-chan struct{}) {
	retryAfter := r.retryAfter
	if retryAfter <= 0 {
		retryAfter = max(r.Config.Settings.Interval/6, time.Second)
	}
	retry := false
	for {
		open := true
		if !retry {
			_, open = <-kick
			if open {
				open = r.gather(ctx, kick)
			}
		}
		dctx, cancel := ctx, context.CancelFunc(func() {})
		if !open {
			dctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), max(r.ShutdownGrace, time.Second))
		}
		var rep Report
		err := r.deliver(dctx, &rep)
		cancel()
		r.deliveryFailing.Store(err != nil)
		if err != nil {
			r.Logger.Error("delivery failed; trying again later", "err", err, "retry_in", retryAfter)
		}
		if !open {
			return
		}
		// Alerts kept without an error (Slack down past the budget, or a
		// message it refuses) wait too: otherwise every batch would ask
		// Slack again, about once a second, for as long as it fails.
		retry = (err != nil || rep.Kept > 0) && rep.Queued > 0
		if retry && wait.For(ctx, retryAfter) != nil {
			retry = false // shutting down: wait for the last kick
		}
	}
}

// gather waits while alerts keep coming: until a batch (a kick) queued no
// new alert, no batch came for GatherAlerts, or gatherLimit times that
// passed since it began. It reports false when kick was closed meanwhile:
// Run is stopping, and the last attempt follows at once. The wait is real
// time, like the pace of Slack it feeds.
func (r *Runner) gather(ctx context.Context, kick <-chan struct{}) bool {
	quiet := r.GatherAlerts
	if quiet <= 0 {
		return true
	}
	limit := time.NewTimer(gatherLimit * quiet)
	defer limit.Stop()
	calm := time.NewTimer(quiet)
	defer calm.Stop()
	// A kick still buffered is from a batch recorded before this wait
	// began: its alerts are counted in seen, and read below it would end
	// the wait at once as "a batch with no new alert".
	select {
	case _, open := <-kick:
		if !open {
			return false
		}
	default:
	}
	seen := r.alertsQueued.Load()
	for {
		select {
		case _, open := <-kick:
			if !open {
				return false
			}
			if ctx.Err() != nil {
				return stopping(kick)
			}
			n := r.alertsQueued.Load()
			if n == seen {
				return true
			}
			seen = n
			calm.Reset(quiet)
		case <-calm.C:
			return true
		case <-limit.C:
			return true
		case <-ctx.Done():
			return stopping(kick)
		}
	}
}

// stopping waits for Run to close kick for the last attempt, and reports false.
func stopping(kick <-chan struct{}) bool {
	for range kick {
	}
	return false
}
