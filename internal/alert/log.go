// Package alert turns the tracker's transitions into messages and delivers
// them: to Slack through an incoming webhook (Slack), or, when no webhook is
// configured, to a structured log (Log).
package alert

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Log delivers alerts as structured log lines ("DOWN sefaria.org since …",
// "STILL DOWN sefaria.org for 1h0m0s", "RECOVERED sefaria.org after 3m0s"). It is the documented behaviour when
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
		msg := t.String()
		switch t.Kind {
		case uptime.WentDown:
			attrs = append(attrs, "error", string(t.Error), "code", t.Code)
		case uptime.Reminder:
			msg = fmt.Sprintf("STILL DOWN %s for %s", t.Service, uptime.DurationText(t.Downtime()))
			attrs = append(attrs, "error", string(t.Error), "code", t.Code, "downtime", uptime.DurationText(t.Downtime()))
		default:
			attrs = append(attrs, "downtime", uptime.DurationText(t.Downtime()))
		}
		l.Logger.WarnContext(ctx, msg, attrs...)
		accepted[i] = true
	}
	return accepted, nil
}
