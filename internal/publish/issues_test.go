package publish

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

func TestIssues(t *testing.T) {
	f := newFakeGitHub(t)
	is := &Issues{Client: f.client(testToken), Owner: "o", Repo: "r", StatusPageURL: "https://status.example.org", Sleep: (&sleeps{}).sleep}
	since := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	down := uptime.Transition{Kind: uptime.WentDown, Service: "Linker", IncidentID: "linker-20260301T030000Z",
		Since: since, At: since.Add(2 * time.Minute), Failures: 3, Code: 503, Error: uptime.ErrStatus, Detail: "HTTP 503 `x`"}
	other := uptime.Transition{Kind: uptime.WentDown, Service: "web", IncidentID: "web-20260301T030000Z", Since: since, At: since, Failures: 2}
	ctx := context.Background()

	// Reminders alone change no issue and cost no request.
	reminder := down
	reminder.Kind = uptime.Reminder
	if err := is.Sync(ctx, []uptime.Transition{reminder}); err != nil || len(f.calls) != 0 {
		t.Fatalf("Sync(reminder) = %v after %v calls, want nil and no request", err, f.calls)
	}

	if err := is.Sync(ctx, []uptime.Transition{down, other}); err != nil {
		t.Fatalf("Sync(DOWN, DOWN): %v", err)
	}
	if len(f.issues) != 2 {
		t.Fatalf("Sync(DOWN, DOWN) opened %d issues, want 2", len(f.issues))
	}
	iss := f.issues[0]
	if want := "🔴 Linker is down [linker-20260301T030000Z]"; iss.Title != want {
		t.Errorf("issue title = %q, want %q", iss.Title, want)
	}
	if len(iss.Labels) != 1 || iss.Labels[0] != DefaultIssueLabel {
		t.Errorf("issue labels = %v, want [%s]", iss.Labels, DefaultIssueLabel)
	}
	for _, want := range []string{"2026-03-01 03:00:00 UTC", "`status` (HTTP 503)", "`HTTP 503 'x'`", "https://status.example.org"} {
		if !strings.Contains(iss.Body, want) {
			t.Errorf("issue body = %q, want it to contain %q", iss.Body, want)
		}
	}

	// The same DOWN again (a retry after a crash) opens nothing new.
	if err := is.Sync(ctx, []uptime.Transition{down}); err != nil || len(f.issues) != 2 {
		t.Errorf("Sync(DOWN again) = %v with %d issues, want nil with 2", err, len(f.issues))
	}

	rec := down
	rec.Kind, rec.At = uptime.Recovered, since.Add(12*time.Minute+30*time.Second)
	if err := is.Sync(ctx, []uptime.Transition{rec}); err != nil {
		t.Fatalf("Sync(RECOVERED): %v", err)
	}
	if iss.State != "closed" || len(iss.Comments) != 1 || !strings.Contains(iss.Comments[0], "after 12m30s of downtime") {
		t.Errorf("after RECOVERED, issue = %+v, comments %q, want closed with the downtime 12m30s", iss.State, iss.Comments)
	}
	if f.issues[1].State != "open" {
		t.Errorf("the other outage's issue is %s, want open", f.issues[1].State)
	}

	// A recovery without an open issue (issues were off at DOWN) does nothing.
	f.reset()
	lost := rec
	lost.IncidentID = "linker-20260101T000000Z"
	if err := is.Sync(ctx, []uptime.Transition{lost}); err != nil {
		t.Errorf("Sync(RECOVERED without issue) = %v, want nil", err)
	}
	if n := f.count(routeComment) + f.count(routeEditIssue) + f.count(routeCreateIssue); n != 0 {
		t.Errorf("Sync(RECOVERED without issue) made %d changes, want none", n)
	}
	if err := is.Sync(ctx, nil); err != nil || f.count(routeListIssues) != 1 {
		t.Errorf("Sync(nil) = %v after %d listings, want nil without calling GitHub", err, f.count(routeListIssues))
	}
}

func TestIssuesTokenRejected(t *testing.T) {
	f := newFakeGitHub(t)
	f.failNext(routeListIssues, 401)
	is := &Issues{Client: f.client(testToken), Owner: "o", Repo: "r"}
	err := is.Sync(context.Background(), []uptime.Transition{{Kind: uptime.WentDown, Service: "a", IncidentID: "a-1"}})
	if err == nil || !strings.Contains(err.Error(), "GitHub rejected the token (401)") || strings.Contains(err.Error(), testToken) {
		t.Errorf("Sync = %v, want the rejected token named, without the token", err)
	}
}
