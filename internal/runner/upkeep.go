package runner

import (
	"context"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/publish"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// pruneIfDue drops history past its retention once a day at prune_at UTC;
// a `once` run prunes on its first cycle after prune_at, however late. A
// failed prune is logged and tried again next cycle: it never stops checks.
// The state is not held while files go, so checks and alerts never wait.
func (r *Runner) pruneIfDue() {
	s := r.Config.Settings
	now := r.now()
	r.mu.Lock()
	due := history.PruneDue(now, r.state.LastPrune, s.PruneAt)
	r.mu.Unlock()
	if !due {
		return
	}
	keep := history.Retention{Checks: s.RetentionDays, Incidents: s.IncidentRetentionDays}
	rep, err := r.history.PruneAll(now, keep, s.Interval, false)
	if err != nil {
		r.Logger.Error("prune failed; trying again next cycle", "err", err)
		return
	}
	r.Logger.Info("pruned history", "files", len(rep.Files), "incident_lines", rep.IncidentLines,
		"bytes", rep.Bytes(), "left", rep.Left)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.LastPrune = now
	if err := r.saveState(); err != nil {
		r.Logger.Error("prune recorded but state not saved", "err", err)
	}
}

// publishIfDue publishes every publish_every, at once after a transition,
// and on the cycle after a failed publish. A failed publish is logged and
// returned; it never blocks checks or alerts.
func (r *Runner) publishIfDue(ctx context.Context, rep Report) error {
	if r.Publish == nil {
		return nil
	}
	now := r.now()
	if !publish.Due(now, r.lastPublish, r.Config.Publish.Every, len(rep.Transitions) > 0 || r.publishRetry) {
		return nil
	}
	if err := r.Publish(ctx, rep); err != nil {
		r.publishRetry = true
		r.Logger.Error("publish failed; trying again next cycle", "err", err)
		if r.Observer != nil {
			r.Observer.PublishFailed()
		}
		return err
	}
	r.lastPublish, r.publishRetry = now, false
	return nil
}

// syncIssues mirrors the cycle's transitions to the issue tracker, best
// effort: Slack is the alert of record.
func (r *Runner) syncIssues(ctx context.Context, ts []uptime.Transition) {
	if r.Issues == nil || len(ts) == 0 {
		return
	}
	if err := r.Issues(ctx, ts); err != nil {
		r.Logger.Error("issue sync failed", "err", err)
	}
}
