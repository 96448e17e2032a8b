package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/Sefaria/statusgen/internal/alert"
	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/internal/probe"
	"github.com/Sefaria/statusgen/internal/runner"
	"github.com/Sefaria/statusgen/internal/site"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
)

func runOnce(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "once", "Run one cycle: probe every service, record the results in --data,\nupdate the thresholds and alert on transitions; then print a table.")
	g.withSettings(allSettings...)
	summary := fs.String("summary", "", "also write a one-line summary of the cycle (a commit message) to `file`")
	fs.StringVar(&g.results, "results", "", "decide the cycle from the [[location]]s' probe files (<name>.jsonl) in `folder` instead of checking from here")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	ctx, r, cleanup, code := startCycles(ctx, e, g)
	if r == nil {
		return code
	}
	defer cleanup()
	rep, err := r.Cycle(ctx)
	if len(rep.Results) > 0 {
		printTable(e, rep)
	}
	if *summary != "" && len(rep.Results) > 0 {
		if werr := os.WriteFile(*summary, []byte(Summary(rep)+"\n"), 0o644); werr != nil {
			fmt.Fprintf(e.stderr, "statusgen: write summary: %v\n", werr)
			return ExitFailed
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return ExitFailed
	}
	if g.results != "" && len(rep.Missing) == len(r.Config.Locations) {
		// Every probe job failed: nothing was decided, which a scheduled
		// job must show.
		fmt.Fprintf(e.stderr, "statusgen: no location reported in %s: nothing was decided\n", g.results)
		return ExitFailed
	}
	if rep.SiteErr != nil {
		// Checks, state and alerts are done; the page is not.
		printErrors(e, "statusgen: site not updated: ", rep.SiteErr)
		return ExitFailed
	}
	return ExitOK
}

func runLoop(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "run", "Run a cycle at every interval boundary until SIGINT or SIGTERM, then\nfinish or cut the cycle in flight, save the state and exit 0.")
	listen := fs.String("listen", "", "serve /metrics and /healthz on `host:port` (default: [settings] listen; unset serves nothing)")
	g.withSettings(allSettings...)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *listen != "" {
		if err := config.CheckListen(*listen); err != nil {
			fmt.Fprintf(e.stderr, "statusgen run: --listen %v\n", err)
			return ExitUsage
		}
	}
	ctx, r, cleanup, code := startCycles(ctx, e, g)
	if r == nil {
		return code
	}
	defer cleanup()
	if *listen != "" {
		r.Config.Settings.Listen = *listen
	}
	stopMetrics, err := serveMetrics(r)
	if err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return ExitFailed
	}
	defer stopMetrics()
	if e.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit(len(r.Config.Services), 0)) // raised with the history once it is loaded
	}
	r.Logger.Info("statusgen running", "services", len(r.Config.Services), "interval", r.Config.Settings.Interval, "data", g.data)
	if err := r.Run(ctx); err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return ExitFailed
	}
	r.Logger.Info("statusgen stopped")
	return ExitOK
}

// memoryLimit is the soft heap limit `run` sets unless GOMEMLIMIT does:
// a runner's heap rises and falls with each render, and without a limit
// the collector lets it grow to twice what is live before collecting. It
// grows with the services, 11 KB each for a live heap of about 5 KB each
// (54 MB at 10,000): at 10 KB the collector ran every second, a quarter
// of the runner's CPU; at 12 KB, with 90 days of history, the RSS went
// past 150 MB, about 12 MB above the limit (docs/performance-https.md).
// history, the bytes of past days the site's loader keeps
// (site.Input.HistoryBytes), is added: they are live all the time, and
// without them in the limit a year of history at 10,000 services (80 MB)
// would leave the collector no room at all.
func memoryLimit(services, history int) int64 {
	return max(64<<20, int64(services)*11<<10) + int64(history)
}

// startCycles does what once and run share after their flags: load the
// configuration, stop on SIGINT/SIGTERM, take the lock and open the runner.
// cleanup releases all of it; a nil runner means: return code.
func startCycles(ctx context.Context, e env, g *globalFlags) (context.Context, *runner.Runner, func(), int) {
	cfg, code := loadConfig(e, g)
	if cfg == nil {
		return ctx, nil, nil, code
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	r, release, code := startRunner(e, g, cfg)
	if r == nil {
		stop()
		return ctx, nil, nil, code
	}
	return ctx, r, func() { release(); stop() }, ExitOK
}

// startRunner wires a runner, then takes the data folder's lock and loads
// the state. Wiring comes first, so a configuration problem (exit 2) writes
// nothing, not even the lock file. On failure it prints why and returns a
// nil runner and the exit code.
func startRunner(e env, g *globalFlags, cfg *config.Config) (*runner.Runner, func(), int) {
	logger := newLogger(e)
	// once tells of each retry as it happens, since a check that retries
	// takes retries × retry_delay; run, at up to 10,000 services, logs each
	// failed check once and its retries only with DEBUG.
	retries := slog.LevelDebug
	if g.fs.Name() == "once" {
		retries = slog.LevelInfo
	}
	r := &runner.Runner{
		Config:        cfg,
		DataDir:       g.data,
		Checker:       newProber(cfg, logRetry(logger, retries)),
		Ping:          ping(cfg),
		Deliverer:     deliverer(cfg, logger),
		Logger:        logger,
		ShutdownGrace: 3 * time.Second,
		BatchEvery:    runner.DefaultBatchEvery,
		GatherAlerts:  runner.DefaultGatherAlerts,
	}
	switch {
	case g.results != "" && len(cfg.Locations) == 0:
		fmt.Fprintf(e.stderr, "statusgen: --results needs [[location]]s in %s: one per probe file\n", cfg.Path)
		return nil, nil, ExitUsage
	case g.results != "":
		r.Ballots = resultsBallots(g.results, cfg, logger)
	case g.fs.Name() == "once" && hasRemoteLocations(cfg):
		ballots, err := remoteBallots(cfg, r, e.getenv, logger)
		if err != nil {
			fmt.Fprintf(e.stderr, "statusgen: %s: %v\n", cfg.Path, err)
			return nil, nil, ExitUsage
		}
		r.Ballots = ballots
	case hasRemoteLocations(cfg):
		locate, err := remoteLocate(cfg, r.Checker, e.getenv, logger)
		if err != nil {
			fmt.Fprintf(e.stderr, "statusgen: %s: %v\n", cfg.Path, err)
			return nil, nil, ExitUsage
		}
		r.Locate = locate
	case cfg.MultiLocation():
		fmt.Fprintf(e.stderr, "statusgen: %s has %d [[location]]s and none has a url: their checks are decided with "+
			"`statusgen once --results DIR` after `statusgen probe` at each location, or give the agents' and "+
			"blackbox_exporters' url for `once` and `run` to ask them (docs/deployment.md)\n", cfg.Path, len(cfg.Locations))
		return nil, nil, ExitUsage
	}
	// The notices' problems are reported once a cycle, by Maintenance;
	// the render leaves the same notices out without repeating them.
	var loaded func(site.Input)
	if g.fs.Name() == "run" && e.getenv("GOMEMLIMIT") == "" {
		loaded = func(in site.Input) { debug.SetMemoryLimit(memoryLimit(len(cfg.Services), in.HistoryBytes())) }
	}
	render := newSiteRenderer(cfg, g.data, g.site, nil, loaded) // keeps past days' rollups between cycles
	r.Render = everyNth(site.RenderEvery(len(cfg.Services)), func(ctx context.Context, st *tracker.State) error {
		return render(ctx, st, time.Now())
	})
	names := make([]string, len(cfg.Services))
	for i, svc := range cfg.Services {
		names[i] = svc.Name
	}
	reported := map[string]bool{}
	r.Maintenance = func() (func(string, time.Time) bool, error) {
		// A bad notice is skipped and reported (in `run`, when it appears
		// or changes, not every cycle); the others still hold alerts.
		notices, problems := notice.LoadDir(filepath.Join(g.data, site.NoticesDir), names)
		now := make(map[string]bool, len(problems))
		for _, p := range problems {
			if msg := p.Error(); !reported[msg] {
				logger.Warn("notice skipped", "err", msg)
			}
			now[p.Error()] = true
		}
		reported = now
		return notice.Held(notices), nil
	}
	if cfg.Publish.Target != "" {
		p, err := newPublisher(cfg, logger)
		if err != nil {
			fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
			return nil, nil, ExitUsage
		}
		r.Publish = func(ctx context.Context, rep runner.Report) error {
			return p.Publish(ctx, g.data, g.site, Summary(rep))
		}
	}
	issues, err := newIssues(cfg, logger)
	if err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return nil, nil, ExitUsage
	}
	if issues != nil {
		r.Issues = issues.Sync
	}

	lock, err := runner.AcquireLock(g.data)
	if err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		if errors.Is(err, runner.ErrLocked) {
			return nil, nil, ExitLocked
		}
		return nil, nil, ExitFailed
	}
	if err := r.Open(); err != nil {
		lock.Release()
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return nil, nil, ExitFailed
	}
	return r, func() { lock.Release() }, ExitOK
}

// deliverer sends alerts to Slack when a webhook is configured; without
// one, transitions are structured stderr lines and count as delivered.
func deliverer(cfg *config.Config, logger *slog.Logger) runner.Deliverer {
	if cfg.Slack.WebhookURL == "" {
		return alert.Log{Logger: logger}
	}
	return &alert.Slack{
		WebhookURL:    cfg.Slack.WebhookURL,
		Channel:       cfg.Slack.Channel,
		StatusPageURL: cfg.Settings.StatusPageURL,
		ServiceURLs:   alert.ServiceURLs(cfg.Services),
		Logger:        logger,
		HTTPClient:    &http.Client{Transport: apiTransport(cfg)},
		// Checks take 4/5 of the interval; delivery gets a slice of the rest.
		Budget: cfg.Settings.Interval / 6,
	}
}

// logRetry logs a failed attempt that another follows, at level.
func logRetry(logger *slog.Logger, level slog.Level) func(uptime.Service, probe.Retry) {
	return func(svc uptime.Service, r probe.Retry) {
		logger.Log(context.Background(), level, "check failed; retrying", "service", svc.Name,
			"attempt", fmt.Sprintf("%d of %d", r.Next, r.Of), "in", r.Wait.Round(time.Millisecond),
			"error", string(r.Error), "detail", r.Detail)
	}
}

func userAgent(cfg *config.Config) string {
	ua := "statusgen/" + Version()
	if u := cfg.Settings.StatusPageURL; u != "" {
		ua += " (+" + u + ")"
	}
	return ua
}

// printTable writes the cycle as a table: one row per service.
func printTable(e env, rep runner.Report) {
	transitions := make(map[string]uptime.Transition, len(rep.Transitions))
	for _, t := range rep.Transitions {
		transitions[t.Service] = t
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSTATUS\tCODE\tMS\tATTEMPTS\tSTREAK\tTRANSITION")
	for _, res := range rep.Results {
		status := string(res.Status)
		if res.Error != "" {
			status += " (" + string(res.Error) + ")"
		}
		code := "-"
		if res.Code != 0 {
			code = strconv.Itoa(res.Code)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", res.Service, status, code, res.MS, res.Attempts,
			rep.Streaks[res.Service], transitionCell(transitions, res.Service))
	}
	tw.Flush()
	if len(rep.Missing) > 0 {
		fmt.Fprintf(e.stdout, "locations missing from the vote: %s\n", strings.Join(rep.Missing, ", "))
	}
	for _, res := range rep.Results {
		if res.Note != "" {
			fmt.Fprintf(e.stdout, "%s: %s\n", res.Service, res.Note)
		}
	}
	if rep.CanaryDown {
		fmt.Fprintln(e.stdout, "canary failed: failures of this cycle were recorded as inconclusive")
	}
}

func transitionCell(ts map[string]uptime.Transition, service string) string {
	t, ok := ts[service]
	switch {
	case !ok:
		return "-"
	case t.Kind == uptime.WentDown:
		return "DOWN since " + t.Since.UTC().Format(time.RFC3339)
	case t.Kind == uptime.Reminder:
		return "still DOWN after " + uptime.DurationText(t.Downtime())
	default:
		return "RECOVERED after " + uptime.DurationText(t.Downtime())
	}
}

// Summary is the cycle in one line, for a commit message: the transitions
// when there are any ("🔴 Linker down · 🟢 sefaria.org up"), else how many
// services are up.
func Summary(rep runner.Report) string {
	var parts []string
	for _, t := range rep.Transitions {
		switch t.Kind {
		case uptime.WentDown:
			parts = append(parts, "🔴 "+t.Service+" down")
		case uptime.Recovered:
			parts = append(parts, "🟢 "+t.Service+" up")
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, " · ")
	}
	down := 0
	for _, res := range rep.Results {
		if !res.Status.IsUp() {
			down++
		}
	}
	if down == 0 {
		return "status: all up"
	}
	return fmt.Sprintf("status: %d of %d not up", down, len(rep.Results))
}

// everyNth is render called on the first call and every nth after it,
// for a site so large that a runner renders it only every few cycles
// (site.RenderEvery); the calls in between do nothing.
func everyNth(n int, render func(context.Context, *tracker.State) error) func(context.Context, *tracker.State) error {
	calls := 0
	return func(ctx context.Context, st *tracker.State) error {
		calls++
		if (calls-1)%n != 0 {
			return nil
		}
		return render(ctx, st)
	}
}
