// Package alert turns the tracker's transitions into messages and delivers
// them. Until a Slack webhook is configured, alerts go to a structured log.
package alert

import (
	"context"
	"log/slog"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Log delivers alerts as structured log lines ("DOWN sefaria.org since …",
// "RECOVERED sefaria.org after 3m0s"). It is the documented behaviour when
// no Slack webhook is configured, and every line counts as delivered.
type Log struct {
	Logger *slog.Logger
}

// Deliver writes one log line per alert, in order, and reports them all delivered.
func (l Log) Deliver(ctx context.Context, alerts []uptime.Transition) ([]bool, error) {
	accepted := make([]bool, len(alerts))
	for i, t := range alerts {
		attrs := []any{
			"alert", string(t.Kind),
			"service", t.Service,
			"incident", t.IncidentID,
			"since", t.Since.UTC().Format(time.RFC3339),
			"failures", t.Failures,
		}
		if t.Kind == uptime.WentDown {
			attrs = append(attrs, "error", string(t.Error), "code", t.Code)
		} else {
			attrs = append(attrs, "downtime", t.Downtime().Round(time.Second).String())
		}
		l.Logger.WarnContext(ctx, t.String(), attrs...)
		accepted[i] = true
	}
	return accepted, nil
}
