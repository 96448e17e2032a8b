package runner

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/alert"
	"github.com/Sefaria/statusgen/internal/uptime"
)

var _ Deliverer = (*alert.Slack)(nil)

// slackStub is a Slack webhook on 127.0.0.1 that answers status until
// changed, and keeps the text of every message it was sent.
type slackStub struct {
	mu     sync.Mutex
	status int
	body   string
	texts  []string // messages Slack answered 200 to
	bodies []string // their whole JSON payloads
	tries  int
	// onAccept, when set, runs as Slack accepts a message, before it answers.
	onAccept func()
}

func (s *slackStub) set(status int, body string) {
	s.mu.Lock()
	s.status, s.body = status, body
	s.mu.Unlock()
}

func (s *slackStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg struct{ Text string }
	data, _ := io.ReadAll(r.Body)
	json.Unmarshal(data, &msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tries++
	if s.status == http.StatusOK {
		s.texts = append(s.texts, msg.Text)
		s.bodies = append(s.bodies, string(data))
		if s.onAccept != nil {
			s.onAccept()
		}
	}
	w.WriteHeader(s.status)
	io.WriteString(w, s.body)
}

func (s *slackStub) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.texts...)
}

const webhookSecret = "SENTINELhook42"

func newSlackRunner(t *testing.T, plan []uptime.Status, remind time.Duration) (*Runner, *slackStub, *fakeClock, *strings.Builder) {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	stub := &slackStub{status: http.StatusInternalServerError, body: "rollup_error"}
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	cfg := testConfig("web")
	cfg.Slack.RemindEvery = remind
	sc := &script{now: clock.Now, cycle: map[string]int{}, plan: map[string][]uptime.Status{"web": plan}}
	logs := &strings.Builder{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := &alert.Slack{
		WebhookURL:    srv.URL + "/services/T0/B0/" + webhookSecret,
		StatusPageURL: "https://status.example.org",
		Now:           clock.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			clock.Advance(d)
			return ctx.Err()
		},
		Logger: logger,
		Budget: 5 * time.Second,
	}
	r := &Runner{Config: cfg, DataDir: t.TempDir(), Checker: sc, Deliverer: d, Logger: logger, Now: clock.Now}
	return r, stub, clock, logs
}

// TestSlackFailsThenHeals: web goes down and recovers while Slack answers
// 500; when Slack heals, one coalesced message says it all, and nothing is
// left queued.
func TestSlackFailsThenHeals(t *testing.T) {
	plan := []uptime.Status{uptime.Up, uptime.Down, uptime.Down, uptime.Down, uptime.Up, uptime.Up}
	r, stub, clock, logs := newSlackRunner(t, plan, 0)
	queued := []int{}
	for i := range plan {
		if i == 5 {
			stub.set(http.StatusOK, "ok")
		}
		rep, err := r.Cycle(context.Background())
		if err != nil {
			t.Fatalf("cycle %d: %v (a Slack outage is not an operational failure)", i, err)
		}
		queued = append(queued, rep.Queued)
		clock.Advance(time.Minute)
	}
	if want := []int{0, 0, 1, 1, 2, 0}; !slices.Equal(queued, want) {
		t.Errorf("outbox length after each cycle = %v, want %v", queued, want)
	}
	sent := stub.sent()
	if len(sent) != 1 || !strings.Contains(sent[0], "🟢 web was down from 2026-11-24 10:01 UTC to 2026-11-24 10:04 UTC") {
		t.Errorf("Slack received %q, want one coalesced message", sent)
	}
	state, err := os.ReadFile(filepath.Join(r.DataDir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(state), `"outbox": []`) {
		t.Errorf("state after Slack healed:\n%s\nwant an empty outbox", state)
	}
	for what, text := range map[string]string{"log": logs.String(), "state": string(state)} {
		if strings.Contains(text, webhookSecret) {
			t.Errorf("%s contains the webhook secret", what)
		}
	}
}

func TestBrokenWebhookFailsTheCycleAndKeepsAlerts(t *testing.T) {
	r, stub, clock, _ := newSlackRunner(t, []uptime.Status{uptime.Down}, 0)
	stub.set(http.StatusNotFound, "no_service")
	r.Cycle(context.Background())
	clock.Advance(time.Minute)
	rep, err := r.Cycle(context.Background()) // the DOWN fires (threshold 2)
	if !errors.Is(err, ErrDelivery) || !errors.Is(err, alert.ErrWebhookBroken) {
		t.Fatalf("Cycle with a 404 no_service webhook = %v, want ErrDelivery and ErrWebhookBroken", err)
	}
	if strings.Contains(err.Error(), webhookSecret) {
		t.Errorf("error %q contains the webhook secret", err)
	}
	if rep.Queued != 1 || stub.tries != 1 {
		t.Errorf("queued %d after %d requests; want 1 alert kept after 1 request (no retry loop)", rep.Queued, stub.tries)
	}
}

func TestRemindersReachSlack(t *testing.T) {
	plan := []uptime.Status{uptime.Down, uptime.Down, uptime.Down, uptime.Down, uptime.Down, uptime.Up}
	r, stub, clock, _ := newSlackRunner(t, plan, 2*time.Minute)
	stub.set(http.StatusOK, "ok")
	for i := range plan {
		if _, err := r.Cycle(context.Background()); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		clock.Advance(time.Minute)
	}
	sent := stub.sent()
	want := []string{"🔴 web is down", "🔴 web is still down", "🟢 web recovered"}
	if len(sent) != len(want) {
		t.Fatalf("Slack received %q, want %d messages: DOWN, a reminder, RECOVERED", sent, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(sent[i], want[i]) {
			t.Errorf("message %d = %q, want it to start %q", i, sent[i], want[i])
		}
	}
}

// TestCrashAfterSlackAcceptedSendsOneDuplicate simulates a crash between
// Slack's 200 and the state save: the state on disk still holds the alert,
// so the next start sends it again, once, under the same incident id, and
// nothing is lost.
func TestCrashAfterSlackAcceptedSendsOneDuplicate(t *testing.T) {
	plan := []uptime.Status{uptime.Down, uptime.Down, uptime.Down, uptime.Up, uptime.Up}
	r, stub, clock, _ := newSlackRunner(t, plan, 0)
	stub.set(http.StatusOK, "ok")
	statePath := filepath.Join(r.DataDir, StateFile)

	// Cycles 0 and 1: the DOWN fires at 1 and Slack accepts it; then the
	// process "dies" before saving, leaving the state as it was before the ack.
	r.Cycle(context.Background())
	clock.Advance(time.Minute)
	var beforeAck []byte
	stub.onAccept = func() {
		if beforeAck == nil {
			beforeAck, _ = os.ReadFile(statePath)
		}
	}
	if _, err := r.Cycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(beforeAck), `"kind": "down"`) {
		t.Fatalf("state on disk at Slack's 200 = %s, want the DOWN still in the outbox", beforeAck)
	}
	if err := os.WriteFile(statePath, beforeAck, 0o644); err != nil {
		t.Fatal(err)
	}

	// A fresh process on the same data folder.
	clock.Advance(time.Minute)
	restarted := &Runner{Config: r.Config, DataDir: r.DataDir, Checker: r.Checker, Deliverer: r.Deliverer,
		Logger: r.Logger, Now: r.Now}
	for i := 2; i < len(plan); i++ {
		if _, err := restarted.Cycle(context.Background()); err != nil {
			t.Fatalf("cycle %d after the restart: %v", i, err)
		}
		clock.Advance(time.Minute)
	}
	var downs, recovered, withID int
	for _, text := range stub.sent() {
		switch {
		case strings.HasPrefix(text, "🔴 web is down"):
			downs++
		case strings.HasPrefix(text, "🟢 web recovered"):
			recovered++
		}
	}
	for _, body := range stub.bodies {
		if strings.Contains(body, "web-20261124T100000Z") {
			withID++
		}
	}
	if downs != 2 || recovered != 1 {
		t.Errorf("Slack got %d DOWN and %d RECOVERED (%q); want the DOWN once more after the crash and one RECOVERED",
			downs, recovered, stub.sent())
	}
	if withID != 3 {
		t.Errorf("incident id found in %d of the messages, want all 3 (so the duplicate is recognisable)", withID)
	}
	st, _ := os.ReadFile(statePath)
	if !strings.Contains(string(st), `"outbox": []`) {
		t.Errorf("final state keeps alerts queued:\n%s", st)
	}
}
