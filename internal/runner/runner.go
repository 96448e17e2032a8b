// Package runner runs statusgen's cycle in the design's order (probe,
// record, track, alert, render) once or every interval, and keeps one
// runner per data folder.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// Checker runs one service's check under ctx's deadline.
type Checker interface {
	Check(ctx context.Context, svc uptime.Service) uptime.Result
}

// Deliverer hands the outbox's alerts to their destination, oldest first,
// and reports which were accepted (accepted[i] for alerts[i]); only those
// leave the outbox. A deliverer may accept out of order, e.g. when it
// coalesces a DOWN with its later RECOVERED into one message.
type Deliverer interface {
	Deliver(ctx context.Context, alerts []uptime.Transition) (accepted []bool, err error)
}

// Observer is told what Run does, for the metrics of `statusgen run`. Its
// methods are called from Run's goroutines, some while the runner holds
// the state: they must be quick and safe for concurrent use.
type Observer interface {
	// Checked follows each recorded result: shown is the service's status
	// as the page shows it now, failures its streak of down cycles.
	Checked(res uptime.Result, shown uptime.Status, failures int)
	// CycleDone follows a completed cycle whose results were all recorded:
	// start is its interval boundary, end when its last result was.
	CycleDone(start, end time.Time)
	Overrun()          // the checks fell more than an interval behind
	Outbox(alerts int) // the outbox's length changed
	RenderFailed()
	PublishFailed()
}

// StateFile is the tracker's state inside the data folder.
const StateFile = "state.json"

// ErrDelivery marks a cycle whose alerts could not all be delivered.
var ErrDelivery = errors.New("alert delivery failed")

// Runner holds what a cycle needs. Fill the exported fields, then call
// Cycle or Run; the state is loaded on first use and kept between cycles.
type Runner struct {
	Config    *config.Config
	DataDir   string
	Checker   Checker
	Deliverer Deliverer
	Logger    *slog.Logger
	Now       func() time.Time                                 // nil: time.Now
	Sleep     func(ctx context.Context, d time.Duration) error // nil: a real timer
	Ping      func(ctx context.Context, rawURL string) error   // canary and heartbeat; nil: an HTTP GET
	// Render, when set, builds the site after each cycle; an error is logged
	// and never stops checking or alerting.
	Render func(ctx context.Context, st *tracker.State) error
	// Publish, when set, puts the site (and data) where the configuration
	// says; it is called when publish_every has passed, after a transition,
	// and after a failed publish.
	Publish func(ctx context.Context, rep Report) error
	// Maintenance, when set, is asked once a cycle which services are under
	// maintenance (their alerts are held back; checks go on). An error is
	// logged and nothing is held: a broken notice must not silence alerts.
	Maintenance func() (held func(service string, at time.Time) bool, err error)
	// Ballots, when set, replaces Cycle's own checks with the checks of the
	// configured [[location]]s (each with its Location), from wherever they
	// come: probe files in CI, agents later. A location that did not report
	// is absent; its absence is its caller's to log.
	Ballots func(ctx context.Context, start time.Time) []uptime.Result
	// Locate, when set, replaces Run's check of one service with the checks
	// its [[location]]s made of it (each with its Location), from wherever
	// they come: this machine, agents, blackbox_exporters. Run records them
	// and decides the service's verdict by the quorum. A location that did
	// not answer is absent; its absence is its caller's to log.
	Locate func(ctx context.Context, svc uptime.Service) []uptime.Result
	// Issues, when set, mirrors transitions to an issue tracker.
	Issues func(ctx context.Context, ts []uptime.Transition) error
	// ShutdownGrace is how long checks in flight may finish after ctx is
	// cancelled before they are cut; cut checks are recorded as inconclusive.
	ShutdownGrace time.Duration
	// BatchEvery is how long Run's recorder gathers results before
	// recording them (see DefaultBatchEvery); 0 records them as they come.
	BatchEvery time.Duration
	// GatherAlerts is how long Run's courier waits for more alerts before
	// delivering (see DefaultGatherAlerts); 0 delivers at once.
	GatherAlerts time.Duration
	// Observer, when set, is told what Run does, for metrics.
	Observer Observer

	history *history.Store

	// mu guards state and what goes with it once Run has several
	// goroutines: the recorder, the courier and upkeep.
	mu            sync.Mutex
	state         *tracker.State
	held          func(service string, at time.Time) bool
	unsaved       bool // the state changed since it was last saved
	alertsUnsaved bool // the outbox holds alerts the state file does not

	deliveryFailing atomic.Bool
	alertsQueued    atomic.Int64  // alerts Run's batches have put in the outbox
	inFlight        atomic.Int64  // checks Run started that have not reached the inbox
	retryAfter      time.Duration // after a failed delivery; 0: interval/6, at least 1 s
	lastPublish     time.Time
	publishRetry    bool
	lastRender      time.Time
	lastRenderTook  time.Duration
	wallNow         func() time.Time // the machine's clock for render pacing; nil: time.Now
}

// Report is what one cycle did, for the `once` table and the logs.
type Report struct {
	Start       time.Time
	Duration    time.Duration
	Results     []uptime.Result // each service's status: its check, or its locations' verdict
	Checks      []uptime.Result // with several locations: each location's checks, Location set
	Missing     []string        // with locations' checks: the locations that reported none
	Streaks     map[string]int  // consecutive failed cycles after this one
	Transitions []uptime.Transition
	Delivered   int
	Queued      int  // alerts still in the outbox after delivery
	Kept        int  // alerts the deliverer was given and did not accept
	CanaryDown  bool // the monitor's own network failed: downs became inconclusive
	Failed      bool // some of the cycle's results could not be recorded
	// SiteErr says why the site was not rendered or published this cycle
	// (also logged), after the checks, the state and the alerts were done;
	// nil when it was, or had nothing to do.
	SiteErr error
}

// Open loads the state file. A corrupt or unknown-version state stops the
// runner instead of being reset, which would re-alert or lose an outage.
func (r *Runner) Open() error {
	if r.state != nil {
		return nil
	}
	st, err := tracker.Load(filepath.Join(r.DataDir, StateFile))
	if err != nil {
		return err
	}
	r.state = st
	r.history = history.New(r.DataDir)
	// Days still in raw history whose rollup is missing or was written by
	// an older version (which counted checks × interval) are measured
	// again. A failure costs only exactness, never a check or an alert.
	rebuilt, err := r.history.RebuildStaleRollups(r.Config.Settings.Interval)
	switch {
	case err != nil && r.Logger != nil:
		r.Logger.Error("rollups not rebuilt from raw history", "err", err)
	case len(rebuilt) > 0 && r.Logger != nil:
		r.Logger.Info("rollups rebuilt from raw history", "days", len(rebuilt))
	}
	return nil
}

// State is the tracker state as of the last cycle.
func (r *Runner) State() *tracker.State { return r.state }

// Cycle runs one cycle in the design's order. It returns an error only for
// operational failures (history or state not written, alerts not
// delivered); a service being down is a result.
func (r *Runner) Cycle(ctx context.Context) (Report, error) {
	if err := r.Open(); err != nil {
		return Report{}, err
	}
	rep := Report{Start: r.now()}
	cfg := r.Config

	// 1. Probe every service in parallel, or gather the locations'
	// checks, and decide each service's verdict by the quorum.
	var checks []uptime.Result
	if r.Ballots != nil {
		checks = r.Ballots(ctx, rep.Start)
	} else {
		checks, rep.CanaryDown = r.Probe(ctx, rep.Start)
		r.warnIfOffline(checks)
	}
	rep.Results, rep.Checks = r.decide(checks)
	r.logLocations(&rep, checks)

	// 2. Record: each location's checks, then the verdicts.
	if err := r.history.Append(slices.Concat(rep.Checks, rep.Results)); err != nil {
		return rep, fmt.Errorf("record checks: %w", err)
	}
	if err := r.history.AddToRollups(rep.Results, cfg.Settings.Interval); err != nil {
		return rep, fmt.Errorf("update rollups: %w", err)
	}

	// 3. Track; the outage history is written before the state that
	// forgets the outage, so a crash in between can duplicate an incident
	// line (readers dedupe by id) but never lose one.
	rep.Transitions = r.state.Apply(rep.Results, tracker.Policy{
		Thresholds:  r.thresholds(),
		RemindEvery: cfg.Slack.RemindEvery,
		Held:        r.maintenance(),
	})
	if err := r.recordIncidents(rep.Transitions); err != nil {
		return rep, err
	}
	rep.Streaks = make(map[string]int, len(rep.Results))
	for name, ss := range r.state.Services {
		rep.Streaks[name] = ss.Failures
	}
	if err := r.saveState(); err != nil {
		return rep, err
	}

	// 4. Deliver the outbox; an alert leaves it only once accepted.
	deliverErr := r.deliver(ctx, &rep)
	r.syncIssues(ctx, rep.Transitions)

	// 5. Prune once a day.
	r.pruneIfDue()

	// 6. Render and publish; a broken page never stops checks or alerts,
	// but the report says so, for `once` to exit 1.
	if r.Render != nil {
		if err := r.Render(ctx, r.state); err != nil {
			r.Logger.Error("render failed", "err", err)
			rep.SiteErr = fmt.Errorf("render: %w", err)
		}
	}
	if err := r.publishIfDue(ctx, rep); err != nil {
		rep.SiteErr = errors.Join(rep.SiteErr, fmt.Errorf("publish: %w", err))
	}
	rep.Duration = r.now().Sub(rep.Start)
	if deliverErr != nil {
		return rep, deliverErr
	}
	r.heartbeat(ctx)
	return rep, nil
}

func (r *Runner) maintenance() func(string, time.Time) bool {
	if r.Maintenance == nil {
		return nil
	}
	held, err := r.Maintenance()
	if err != nil {
		r.Logger.Error("maintenance notices unreadable; holding no alerts back", "err", err)
		return nil
	}
	return held
}

func (r *Runner) probeAll(ctx context.Context, start time.Time) []uptime.Result {
	cfg := r.Config
	probeCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), start.Add(cfg.Settings.CheckDeadline))
	defer cancel()
	defer r.cancelAfterGrace(ctx, probeCtx, cancel)()

	results := make([]uptime.Result, len(cfg.Services))
	parallel := max(cfg.Settings.MaxParallel, 1)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, svc := range cfg.Services {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i] = r.Checker.Check(probeCtx, svc)
		})
	}
	wg.Wait()
	if errors.Is(probeCtx.Err(), context.Canceled) && ctx.Err() != nil {
		for i := range results {
			if results[i].Status == uptime.Down {
				results[i].Status = uptime.Inconclusive
				results[i].Detail = "check cut short by shutdown"
			}
		}
	}
	return results
}

// cancelAfterGrace calls cancel ShutdownGrace after ctx ends, unless
// checks is done by then: checks are not cut by a shutdown signal at once,
// so a SIGTERM does not record false outages. Call the returned stop when
// the checks are over.
func (r *Runner) cancelAfterGrace(ctx, checks context.Context, cancel context.CancelFunc) (stop func() bool) {
	return context.AfterFunc(ctx, func() {
		t := time.AfterFunc(r.ShutdownGrace, cancel)
		<-checks.Done()
		t.Stop()
	})
}

// canaryFailed checks the canary only when something is down: if the
// canary is unreachable too, the monitor cannot tell an outage from its own.
func (r *Runner) canaryFailed(ctx context.Context, results []uptime.Result) bool {
	canary := r.Config.Settings.CanaryURL
	if canary == "" {
		return false
	}
	anyDown := false
	for _, res := range results {
		anyDown = anyDown || res.Status == uptime.Down
	}
	if !anyDown {
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.ping(pctx, canary); err != nil {
		r.Logger.Warn("canary failed: recording this cycle's failures as inconclusive", "canary", hostOf(canary), "err", err)
		return true
	}
	return false
}

func markInconclusive(results []uptime.Result, why string) {
	for i := range results {
		if results[i].Status == uptime.Down {
			results[i].Status = uptime.Inconclusive
			results[i].Error = uptime.ErrCanary
			results[i].Detail = why
		}
	}
}

// recordIncidents appends the outages that ts ended to the incident log.
func (r *Runner) recordIncidents(ts []uptime.Transition) error {
	var ended []uptime.Incident
	for _, t := range ts {
		if t.Kind == uptime.Recovered {
			ended = append(ended, uptime.IncidentFrom(t))
		}
	}
	if len(ended) == 0 {
		return nil
	}
	if err := r.history.AppendIncidents(ended); err != nil {
		return fmt.Errorf("record incidents: %w", err)
	}
	return nil
}

// deliver hands the outbox to the deliverer without holding the state,
// then drops what it accepted and saves. Alerts queued meanwhile stay.
func (r *Runner) deliver(ctx context.Context, rep *Report) error {
	r.mu.Lock()
	outbox := r.state.Outbox // Apply only appends and Ack makes a new slice: this prefix stays put
	if r.alertsUnsaved {
		outbox = nil // not in the saved state yet: the recorder saves, then wakes us again
	}
	rep.Queued = len(r.state.Outbox)
	r.mu.Unlock()
	if len(outbox) == 0 {
		return nil
	}
	accepted, err := r.Deliverer.Deliver(ctx, outbox)
	accepted = accepted[:min(len(accepted), len(outbox))] // never an alert queued meanwhile
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for i := range accepted {
		if accepted[i] {
			n++
		}
	}
	rep.Delivered = n
	rep.Kept = len(accepted) - n
	if n > 0 {
		r.state.Ack(accepted)
		if r.Observer != nil {
			r.Observer.Outbox(len(r.state.Outbox))
		}
		if serr := r.saveState(); serr != nil {
			return serr
		}
	}
	rep.Queued = len(r.state.Outbox)
	if err != nil {
		return fmt.Errorf("%w: %d alert(s) kept for the next cycle: %w", ErrDelivery, rep.Queued, err)
	}
	return nil
}

func (r *Runner) saveState() error {
	// The state never runs ahead of the history on disk (see
	// history.DeferSync): what it counts is synced first.
	if err := r.history.Sync(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := r.state.Save(filepath.Join(r.DataDir, StateFile)); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	r.unsaved, r.alertsUnsaved = false, false
	return nil
}

// saveLocked is saveState for Run's goroutines, which hold r.mu and log
// a failure instead of returning it: the next batch tries again.
func (r *Runner) saveLocked() {
	if err := r.saveState(); err != nil {
		r.Logger.Error("state not saved; trying again with the next batch", "err", err)
	}
}

// heartbeat tells an outside dead man's switch that a cycle completed. Its
// URL often embeds a secret id, so only the host is ever logged.
func (r *Runner) heartbeat(ctx context.Context) {
	hb := r.Config.Settings.HeartbeatURL
	if hb == "" {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.ping(pctx, hb); err != nil {
		r.Logger.Warn("heartbeat failed", "host", hostOf(hb), "err", err)
	}
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) ping(ctx context.Context, rawURL string) error {
	if r.Ping != nil {
		return r.Ping(ctx, rawURL)
	}
	return httpPing(ctx, rawURL)
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Host
}
