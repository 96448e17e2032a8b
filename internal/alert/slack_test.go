package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sebdah/goldie/v2"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestMessagesGolden pins the exact JSON posted for each kind of message;
// refresh with go test ./internal/alert -update and review the diff.
func TestMessagesGolden(t *testing.T) {
	tests := []struct {
		name     string
		alerts   []uptime.Transition
		messages int
	}{
		{"down", []uptime.Transition{down("sefaria.org", 0, 1, 2)}, 1},
		{"recovered", []uptime.Transition{recovered("sefaria.org", 0, 135)}, 1},
		{"grouped", []uptime.Transition{down("sefaria.org", 9, 10, 2), down("Linker", 9, 10, 2), recovered("MCP Server", 2, 10)}, 1},
		{"coalesced", []uptime.Transition{down("Linker", 0, 1, 2), recovered("Linker", 0, 47)}, 1},
		{"reminder", []uptime.Transition{reminder("Linker", 0, 60)}, 1},
		{"two_cycles", []uptime.Transition{down("sefaria.org", 0, 1, 2), down("Linker", 1, 2, 2)}, 1},
		{"list", manyDown(49, ""), 1},
		{"parts", manyDown(120, ""), 2},
		{"down_locations", []uptime.Transition{confirmed(down("sefaria.org", 0, 1, 2))}, 1},
		{"coalesced_locations", []uptime.Transition{confirmed(down("Linker", 0, 1, 2)), recovered("Linker", 0, 47)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := newFakeSlack(t, c)
			var logs bytes.Buffer
			accepted, err := newSlack(f, &logs).Deliver(context.Background(), tt.alerts)
			if err != nil || !allTrue(accepted) || len(accepted) != len(tt.alerts) {
				t.Fatalf("Deliver = %v, %v; want all %d accepted, nil", accepted, err, len(tt.alerts))
			}
			got := f.got()
			if len(got) != tt.messages {
				t.Fatalf("Deliver posted %d messages, want %d", len(got), tt.messages)
			}
			var out bytes.Buffer
			for i, r := range got {
				if i > 0 {
					out.WriteString("\n")
				}
				if err := json.Indent(&out, r.body, "", "  "); err != nil {
					t.Fatalf("posted body is not JSON: %v", err)
				}
				out.WriteString("\n")
			}
			goldie.New(t).Assert(t, "message_"+tt.name, out.Bytes())
		})
	}
}

func TestDeliverAnswers(t *testing.T) {
	alerts := []uptime.Transition{down("sefaria.org", 0, 1, 2), down("Linker", 0, 1, 2)}
	tests := []struct {
		name     string
		script   []reply
		repeat   bool
		requests int // exactly, or at least when atLeast
		atLeast  bool
		accepted bool
		broken   bool
		minGap   time.Duration // between the first two requests, on the fake clock
		log      string        // in the log
	}{
		{"200 ok", nil, false, 1, false, true, false, 0, "slack message sent"},
		{"500 then 200", []reply{{500, "rollup_error", ""}, {200, "ok", ""}}, false, 2, false, true, false, time.Second / 2, "retrying"},
		{"timeout answer 408 then 200", []reply{{408, "", ""}, {200, "ok", ""}}, false, 2, false, true, false, time.Second / 2, "retrying"},
		{"429 with Retry-After", []reply{{429, "", "7"}, {200, "ok", ""}}, false, 2, false, true, false, 7 * time.Second, "Retry-After"},
		{"429 without Retry-After backs off", []reply{{429, "", ""}, {429, "", ""}, {200, "ok", ""}}, false, 3, false, true, false, time.Second, "retrying"},
		{"500 beyond the budget: kept, no error", []reply{{503, "", ""}}, true, 3, true, false, false, time.Second / 2, "alerts kept for the next cycle"},
		{"429 Retry-After beyond the budget: kept", []reply{{429, "", "3600"}}, true, 1, false, false, false, 0, "alerts kept for the next cycle"},
		{"404 no_service: broken", []reply{{404, "no_service", ""}}, true, 1, false, false, true, 0, ""},
		{"403 action_prohibited: broken", []reply{{403, "action_prohibited", ""}}, true, 1, false, false, true, 0, ""},
		{"404 channel_not_found: broken", []reply{{404, "channel_not_found", ""}}, true, 1, false, false, true, 0, ""},
		{"410 channel_is_archived: broken", []reply{{410, "channel_is_archived", ""}}, true, 1, false, false, true, 0, ""},
		{"403 invalid_token: broken", []reply{{403, "invalid_token", ""}}, true, 1, false, false, true, 0, ""},
		{"400 no_service_id: broken", []reply{{400, "no_service_id", ""}}, true, 1, false, false, true, 0, ""},
		{"401 without a body: broken", []reply{{401, "", ""}}, true, 1, false, false, true, 0, ""},
		{"400 invalid_blocks: text only", []reply{{400, "invalid_blocks", ""}, {200, "ok", ""}}, false, 2, false, true, false, time.Second, "text only"},
		{"400 no_text: text only", []reply{{400, "no_text", ""}, {200, "ok", ""}}, false, 2, false, true, false, time.Second, "text only"},
		{"400 twice: rejected and kept", []reply{{400, "invalid_blocks", ""}, {400, "invalid_payload", ""}}, false, 2, false, false, false, time.Second, "Slack rejected a message"},
		{"200 with ok false: text only", []reply{{200, `{"ok":false,"error":"invalid_blocks"}`, ""}, {200, "ok", ""}}, false, 2, false, true, false, time.Second, "text only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := newFakeSlack(t, c, tt.script...)
			f.repeat = tt.repeat
			var logs bytes.Buffer
			s := newSlack(f, &logs)
			start := c.Now()
			accepted, err := s.Deliver(context.Background(), alerts)
			got := f.got()
			if n := len(got); n != tt.requests && !(tt.atLeast && n >= tt.requests) {
				t.Errorf("requests = %d, want %d (at least: %v)", n, tt.requests, tt.atLeast)
			}
			if tt.accepted != allTrue(accepted) || (!tt.accepted && count(accepted) != 0) || len(accepted) != len(alerts) {
				t.Errorf("accepted = %v, want all %v", accepted, tt.accepted)
			}
			if tt.broken != errors.Is(err, ErrWebhookBroken) || (!tt.broken && err != nil) {
				t.Errorf("err = %v, want ErrWebhookBroken: %v", err, tt.broken)
			}
			if tt.broken && (!strings.Contains(err.Error(), "broken") || strings.Contains(err.Error(), "SECRET")) {
				t.Errorf("err = %q, want it to say broken and hold no URL", err)
			}
			if tt.minGap > 0 && len(got) >= 2 {
				if gap := got[1].at.Sub(got[0].at); gap < tt.minGap {
					t.Errorf("second request %s after the first, want at least %s", gap, tt.minGap)
				}
			}
			if took := c.Now().Sub(start); took > s.Budget {
				t.Errorf("Deliver took %s of fake time, want within its budget %s", took, s.Budget)
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log =\n%s\nwant it to contain %q", logs.String(), tt.log)
			}
			for i := 1; i < len(got); i++ {
				if gap := got[i].at.Sub(got[i-1].at); gap < time.Second {
					t.Errorf("request %d came %s after the previous one, want at least 1s", i, gap)
				}
			}
		})
	}
}

func TestTextOnlyResendHasNoBlocks(t *testing.T) {
	c := newClock()
	f := newFakeSlack(t, c, reply{400, "invalid_blocks", ""})
	var logs bytes.Buffer
	alerts := []uptime.Transition{down("sefaria.org", 0, 1, 2), recovered("Linker", 0, 1)}
	if accepted, err := newSlack(f, &logs).Deliver(context.Background(), alerts); err != nil || !allTrue(accepted) {
		t.Fatalf("Deliver = %v, %v; want all accepted after the text-only resend", accepted, err)
	}
	got := f.got()
	if len(got) != 2 {
		t.Fatalf("requests = %d, want 2 (blocks, then text only)", len(got))
	}
	first, second := decode(t, got[0].body), decode(t, got[1].body)
	if len(first.Blocks) == 0 || len(second.Blocks) != 0 || strings.Contains(string(got[1].body), `"blocks"`) {
		t.Errorf("blocks in the two requests = %d, %d; want some, then none", len(first.Blocks), len(second.Blocks))
	}
	for _, want := range []string{"sefaria.org is down", "Linker recovered", "*Since*: 2026-03-01 12:00 UTC", "Incident sefaria.org-0", "status.sefaria.org"} {
		if !strings.Contains(second.Text, want) {
			t.Errorf("text-only message =\n%s\nwant it to contain %q", second.Text, want)
		}
	}
}

func TestRetryAfterHoldsAcrossCycles(t *testing.T) {
	c := newClock()
	f := newFakeSlack(t, c, reply{429, "", "600"})
	var logs bytes.Buffer
	s := newSlack(f, &logs)
	alerts := []uptime.Transition{down("sefaria.org", 0, 1, 2)}
	for i := range 2 {
		if accepted, err := s.Deliver(context.Background(), alerts); err != nil || count(accepted) != 0 {
			t.Fatalf("Deliver %d during Retry-After = %v, %v; want nothing accepted, nil", i, accepted, err)
		}
		c.Sleep(context.Background(), time.Minute)
	}
	if n := len(f.got()); n != 1 {
		t.Errorf("requests while Slack asked to wait 600s = %d, want 1", n)
	}
	c.Sleep(context.Background(), 10*time.Minute)
	if accepted, err := s.Deliver(context.Background(), alerts); err != nil || !allTrue(accepted) {
		t.Errorf("Deliver after Retry-After = %v, %v; want accepted", accepted, err)
	}
}

func TestBudgetKeepsTheRestQueued(t *testing.T) {
	c := newClock()
	f := newFakeSlack(t, c, reply{500, "", ""})
	f.repeat = true
	var logs bytes.Buffer
	s := newSlack(f, &logs)
	s.Budget = 10 * time.Second
	// Three cycles' alerts, one message: Slack never heals within the budget.
	alerts := []uptime.Transition{down("A", 0, 1, 2), down("B", 1, 2, 2), down("C", 2, 3, 2)}
	accepted, err := s.Deliver(context.Background(), alerts)
	if err != nil || count(accepted) != 0 {
		t.Fatalf("Deliver = %v, %v; want nothing accepted, nil", accepted, err)
	}
	for _, r := range f.got() {
		if p := decode(t, r.body); !strings.Contains(p.Text, "A is down") {
			t.Errorf("a request for another message after the first one failed for good: %s", p.Text)
		}
	}
	if !strings.Contains(logs.String(), "kept=3") {
		t.Errorf("log =\n%s\nwant a warning that 3 alerts are kept", logs.String())
	}
}

func TestCoalescedAlertsAreAcceptedTogether(t *testing.T) {
	// A went down, then 150 others, then A recovered: A's DOWN and
	// RECOVERED are one item at the RECOVERED's place, in the last part.
	// Slack takes the first part and fails the rest: A's DOWN stays queued
	// with its RECOVERED, though it came first.
	alerts := append([]uptime.Transition{down("A", 0, 1, 2)}, manyDown(150, strings.Repeat("x", 150))...)
	alerts = append(alerts, recovered("A", 0, 2))
	c := newClock()
	f := newFakeSlack(t, c, reply{200, "ok", ""}, reply{500, "", ""})
	f.repeat = true
	var logs bytes.Buffer
	s := newSlack(f, &logs)
	accepted, err := s.Deliver(context.Background(), alerts)
	if err != nil {
		t.Fatal(err)
	}
	got := f.got()
	first := decode(t, got[0].body)
	parts := partLabel.FindStringSubmatch(first.Text)
	if parts == nil || parts[1] != "1" || parts[2] == "1" {
		t.Fatalf("first message text starts %.80q, want a first part of several", first.Text)
	}
	inFirst := strings.Count(first.Text, " is down since ")
	if accepted[0] || accepted[len(alerts)-1] {
		t.Errorf("A's DOWN accepted %v, RECOVERED %v; want both kept with the part that failed", accepted[0], accepted[len(alerts)-1])
	}
	if n := count(accepted); n != inFirst || !allTrue(accepted[1:1+inFirst]) {
		t.Errorf("accepted %d alerts, want the %d of the first part", n, inFirst)
	}
	if strings.Contains(first.Text, "A was down") {
		t.Errorf("first part shows A's outage, want it with its RECOVERED in the last part")
	}

	f.mu.Lock()
	f.script, f.repeat = nil, false
	f.mu.Unlock()
	var rest []uptime.Transition
	for i, a := range alerts {
		if !accepted[i] {
			rest = append(rest, a)
		}
	}
	if accepted, err := s.Deliver(context.Background(), rest); err != nil || !allTrue(accepted) {
		t.Errorf("next cycle: Deliver = %v, %v; want all accepted", accepted, err)
	}
}

func TestPlanFoldsIncidents(t *testing.T) {
	tests := []struct {
		name   string
		alerts []uptime.Transition
		want   []string // per message, the notification text
	}{
		{"reminders ride with their RECOVERED",
			[]uptime.Transition{reminder("A", 0, 30), reminder("A", 0, 60), recovered("A", 0, 61)},
			[]string{"🟢 A recovered after 1 h 1 min"}},
		{"a DOWN absorbs later reminders",
			[]uptime.Transition{down("A", 0, 1, 2), reminder("A", 0, 31)},
			[]string{"🔴 A is down since 2026-03-01 12:00 UTC (2 failed checks)"}},
		{"only the latest of several reminders",
			[]uptime.Transition{reminder("A", 0, 30), reminder("A", 0, 60)},
			[]string{"🔴 A is still down, for 1 h so far"}},
		{"two outages of one service stay apart",
			[]uptime.Transition{down("A", 0, 1, 2), recovered("A", 0, 2), down("A", 3, 4, 2)},
			[]string{"🟢 A was down from 2026-03-01 12:00 UTC to 2026-03-01 12:02 UTC, 2 min\n🔴 A is down since 2026-03-01 12:03 UTC (2 failed checks)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := newFakeSlack(t, c)
			var logs bytes.Buffer
			accepted, err := newSlack(f, &logs).Deliver(context.Background(), tt.alerts)
			if err != nil || !allTrue(accepted) {
				t.Fatalf("Deliver = %v, %v; want all accepted", accepted, err)
			}
			var got []string
			for _, r := range f.got() {
				got = append(got, decode(t, r.body).Text)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("messages = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSendTest(t *testing.T) {
	tests := []struct {
		name   string
		script []reply
		broken bool
		fails  bool
	}{
		{"works", nil, false, false},
		{"broken webhook", []reply{{404, "no_service", ""}}, true, true},
		{"Slack down", []reply{{502, "", ""}}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := newFakeSlack(t, c, tt.script...)
			f.repeat = true
			var logs bytes.Buffer
			err := newSlack(f, &logs).SendTest(context.Background())
			if (err != nil) != tt.fails || errors.Is(err, ErrWebhookBroken) != tt.broken {
				t.Fatalf("SendTest = %v, want failure %v, broken %v", err, tt.fails, tt.broken)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("SendTest error %q contains the webhook URL", err)
			}
			if p := decode(t, f.got()[0].body); p.Text != TestMessage || len(p.Blocks) == 0 || p.Blocks[0].Text.Text != TestMessage {
				t.Errorf("test message = %+v, want text and header %q", p, TestMessage)
			}
		})
	}
}

func TestDefaultClientHasATimeout(t *testing.T) {
	for _, hc := range []*Slack{{}, {HTTPClient: &http.Client{}}} {
		if c := hc.client(); c.Timeout != DefaultTimeout {
			t.Errorf("client() timeout = %s, want %s", c.Timeout, DefaultTimeout)
		}
	}
	if c := (&Slack{HTTPClient: &http.Client{Timeout: time.Second}}).client(); c.Timeout != time.Second {
		t.Errorf("client() timeout = %s, want the configured 1s", c.Timeout)
	}
}

func equal(a, b []bool) bool { return slices.Equal(a, b) }

func TestAtMostOneMessagePerSecond(t *testing.T) {
	c := newClock()
	f := newFakeSlack(t, c)
	var logs bytes.Buffer
	s := newSlack(f, &logs)
	// A delivery of several parts, then a second one right away.
	alerts := manyDown(150, strings.Repeat("x", 150))
	for range 2 {
		if accepted, err := s.Deliver(context.Background(), alerts); err != nil || !allTrue(accepted) {
			t.Fatalf("Deliver = %v, %v; want all accepted", accepted, err)
		}
	}
	got := f.got()
	if len(got) < 6 {
		t.Fatalf("requests = %d, want two deliveries of at least 3 parts", len(got))
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].at.Sub(got[i-1].at); gap < time.Second {
			t.Errorf("request %d came %s after the previous one, want at least 1s", i, gap)
		}
	}
}

// TestPacingNeverExhaustsTheBudget: while Slack answers at once, every part
// goes out, however short the budget; the second between requests is not
// trouble. (Before, 20 services down in one cycle were 20 messages, and the
// second half waited a whole cycle "for Slack's rate limit".)
func TestPacingNeverExhaustsTheBudget(t *testing.T) {
	c := newClock()
	f := newFakeSlack(t, c)
	var logs bytes.Buffer
	s := newSlack(f, &logs)
	s.Budget = time.Second / 2
	alerts := manyDown(300, strings.Repeat("x", 150))
	accepted, err := s.Deliver(context.Background(), alerts)
	if err != nil || !allTrue(accepted) {
		t.Fatalf("Deliver = %d of %d accepted, %v; want all, nil; log:\n%s", count(accepted), len(alerts), err, logs.String())
	}
	if n := len(f.got()); n < 5 {
		t.Errorf("requests = %d, want a delivery of at least 5 parts", n)
	}
	if strings.Contains(logs.String(), "kept") {
		t.Errorf("log =\n%s\nwant nothing kept for the next cycle", logs.String())
	}
}
