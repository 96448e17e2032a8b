package alert

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

func TestLogDeliversEveryAlertAsOneLine(t *testing.T) {
	since := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	alerts := []uptime.Transition{
		{Kind: uptime.WentDown, Service: "sefaria.org", IncidentID: "sefaria-org-20261124T100000Z",
			Since: since, At: since.Add(time.Minute), Failures: 2, Code: 503, Error: uptime.ErrStatus},
		{Kind: uptime.Recovered, Service: "sefaria.org", IncidentID: "sefaria-org-20261124T100000Z",
			Since: since, At: since.Add(3 * time.Minute), Failures: 3, Error: uptime.ErrStatus},
	}
	var buf bytes.Buffer
	accepted, err := Log{Logger: slog.New(slog.NewTextHandler(&buf, nil))}.Deliver(context.Background(), alerts)
	if len(accepted) != 2 || !accepted[0] || !accepted[1] || err != nil {
		t.Fatalf("Deliver = %v, %v; want both accepted, nil", accepted, err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{
		`msg="DOWN sefaria.org since 2026-11-24T10:00:00Z (2 failed checks, status)"`,
		`msg="RECOVERED sefaria.org after 3 min"`,
	} {
		if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], "incident=sefaria-org-20261124T100000Z") {
			t.Errorf("line %d = %s\nwant it to contain %s and the incident id", i, lines[i], want)
		}
	}
}

func TestLogReminder(t *testing.T) {
	since := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	r := uptime.Transition{Kind: uptime.Reminder, Service: "Linker", IncidentID: "linker-20261124T100000Z",
		Since: since, At: since.Add(time.Hour), Failures: 61, Code: 0, Error: uptime.ErrTimeout}
	var buf bytes.Buffer
	accepted, err := Log{Logger: slog.New(slog.NewTextHandler(&buf, nil))}.Deliver(context.Background(), []uptime.Transition{r})
	if len(accepted) != 1 || !accepted[0] || err != nil {
		t.Fatalf("Deliver = %v, %v; want accepted, nil", accepted, err)
	}
	for _, want := range []string{`msg="STILL DOWN Linker for 1 h"`, "error=timeout", `downtime="1 h"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log line = %s, want it to contain %s", buf.String(), want)
		}
	}
}
