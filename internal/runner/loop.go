package runner

import (
	"context"
	"time"

	"github.com/Sefaria/statusgen/internal/wait"
)

// Run runs cycles at interval boundaries (aligned to UTC) until ctx is
// cancelled, never two at once. A cycle that overruns the interval is logged
// and the next starts right after it. An operational error in one cycle is
// logged and the runner goes on: a monitor that stops on a full disk would
// also stop alerting. Run returns nil when ctx ends, or the error that
// prevented it from starting.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.Open(); err != nil {
		return err
	}
	interval := r.Config.Settings.Interval
	for {
		rep, err := r.Cycle(ctx)
		if err != nil {
			r.Logger.Error("cycle failed", "err", err)
		} else {
			r.Logger.Debug("cycle done", "services", len(rep.Results), "took", rep.Duration, "transitions", len(rep.Transitions))
		}
		if ctx.Err() != nil {
			return nil
		}
		now := r.now()
		next := rep.Start.Truncate(interval).Add(interval)
		if !now.Before(next) {
			r.Logger.Warn("cycle overran its interval; starting the next one now",
				"took", now.Sub(rep.Start).Round(time.Millisecond), "interval", interval)
			next = now
		}
		if err := r.sleep(ctx, next.Sub(now)); err != nil {
			return nil
		}
	}
}

func (r *Runner) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	return wait.For(ctx, d)
}
