package runner

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestSlackAwayForAnHour: Slack answers 500 for an hour of fake time while
// services go down and recover; when it returns, every alert is delivered,
// oldest first, and the outbox is empty.
func TestSlackAwayForAnHour(t *testing.T) {
	down, up := uptime.Down, uptime.Up
	var plan []uptime.Status
	// Three outages of "web" within the hour, the last still open at the end.
	for _, run := range []struct {
		s uptime.Status
		n int
	}{{up, 5}, {down, 10}, {up, 10}, {down, 3}, {up, 20}, {down, 15}} {
		for range run.n {
			plan = append(plan, run.s)
		}
	}
	r, stub, clock, _ := newSlackRunner(t, plan, 0)
	for i := range plan {
		if _, err := r.Cycle(context.Background()); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if len(stub.sent()) != 0 {
			t.Fatalf("cycle %d: Slack accepted a message while answering 500", i)
		}
		clock.Advance(time.Minute)
	}
	if n := len(r.State().Outbox); n != 5 {
		t.Fatalf("outbox after an hour without Slack holds %d alerts, want 5 (3 DOWN, 2 RECOVERED)", n)
	}
	stub.set(http.StatusOK, "ok")
	for i := 0; i < 3 && len(r.State().Outbox) > 0; i++ {
		if _, err := r.Cycle(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}
	sent := stub.sent()
	// Everything queued goes out as one message: the two closed outages
	// coalesced, oldest first, then the open one's DOWN. (The fake clock
	// also moves while delivery backs off, so only the first outage's
	// times are exact.)
	want := []string{
		"🟢 web was down from 2026-11-24 10:05 UTC to 2026-11-24 10:15 UTC",
		"🟢 web was down from 2026-11-24 10:2",
		"🔴 web is down",
	}
	if len(sent) != 1 {
		t.Fatalf("Slack got %d messages %q, want the hour's alerts in one", len(sent), sent)
	}
	lines := strings.Split(sent[0], "\n")
	if len(lines) != len(want) {
		t.Fatalf("message = %q, want %d alerts", sent[0], len(want))
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("alert %d = %q, want it to start %q", i, lines[i], want[i])
		}
	}
	if n := len(r.State().Outbox); n != 0 {
		t.Errorf("outbox keeps %d alerts after Slack returned, want 0", n)
	}
}
