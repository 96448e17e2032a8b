package alert

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// mrkdwnTexts is every text Slack reads as mrkdwn in p: the fallback text
// and every mrkdwn object.
func mrkdwnTexts(p payload) []string {
	out := []string{p.Text}
	for _, b := range p.Blocks {
		if b.Text != nil && b.Text.Type == "mrkdwn" {
			out = append(out, b.Text.Text)
		}
		for _, o := range append(b.Fields, b.Elements...) {
			if o.Type == "mrkdwn" {
				out = append(out, o.Text)
			}
		}
	}
	return out
}

func TestRemoteTextCannotPingOrDisguiseLinks(t *testing.T) {
	tests := []struct {
		name, service, detail string
		live                  []string // markup that must not reach Slack live
		inert                 string   // how it shows instead
	}{
		{"channel ping in a name", "<!channel> api", "x", []string{"<!channel>"}, "&lt;!channel&gt; api"},
		{"here ping in a detail", "api", "boom <!here|here>", []string{"<!here"}, "boom &lt;!here|here&gt;"},
		{"user mention in a detail", "api", "ask <@U123>", []string{"<@U123>"}, "ask &lt;@U123&gt;"},
		{"disguised link in a detail", "api", "see <https://evil.example|sefaria.org>", []string{"<https://evil"}, "see &lt;https://evil.example|sefaria.org&gt;"},
		{"disguised link in a name", "<https://evil.example|sefaria.org>", "x", []string{"<https://evil"}, "&lt;https://evil.example|sefaria.org&gt;"},
		{"subteam ping", "api", "<!subteam^S123>", []string{"<!subteam"}, "&lt;!subteam^S123&gt;"},
		{"ampersand entity", "a&b", "x &lt; y", []string{"&lt; y"}, "x &amp;lt; y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := down(tt.service, 0, 1, 2)
			d.Detail = tt.detail
			alerts := []uptime.Transition{d, reminder(tt.service, 0, 30)}
			alerts[1].IncidentID = "other"
			alerts[1].Detail = tt.detail
			alerts[1].At = d.At // one message with two sections
			c := newClock()
			f := newFakeSlack(t, c, reply{400, "invalid_blocks", ""})
			var logs bytes.Buffer
			s := newSlack(f, &logs)
			s.ServiceURLs[tt.service] = "https://example.org/" + tt.detail
			if _, err := s.Deliver(context.Background(), alerts); err != nil {
				t.Fatal(err)
			}
			seen := false
			for _, r := range f.got() { // the Block Kit message and its text-only resend
				for _, text := range mrkdwnTexts(decode(t, r.body)) {
					for _, live := range tt.live {
						if strings.Contains(text, live) {
							t.Errorf("mrkdwn text %q contains live markup %q", text, live)
						}
					}
					seen = seen || strings.Contains(text, tt.inert)
				}
			}
			if !seen {
				t.Errorf("no mrkdwn text shows %q (the escaped form)", tt.inert)
			}
		})
	}
}

func TestLinksAreOnlyOurs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://status.sefaria.org", "<https://status.sefaria.org|status.sefaria.org>"},
		{"https://status.sefaria.org/a|b>c", "<https://status.sefaria.org/a%7Cb%3Ec|status.sefaria.org>"},
		{"https://user:pw@status.sefaria.org/?token=x#frag", "<https://status.sefaria.org/|status.sefaria.org>"},
		{"javascript:alert(1)", ""},
		{"not a url", ""},
	}
	for _, tt := range tests {
		if got := link(tt.in); got != tt.want {
			t.Errorf("link(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPublicURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:secret@www.sefaria.org/healthz?token=abc#x", "https://www.sefaria.org/healthz"},
		{"https://www.sefaria.org/api/find-refs", "https://www.sefaria.org/api/find-refs"},
		{"::", ""},
	}
	for _, tt := range tests {
		if got := publicURL(tt.in); got != tt.want {
			t.Errorf("publicURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// checkLimits fails t for every Block Kit limit p breaks.
func checkLimits(t *testing.T, p payload) {
	t.Helper()
	runes := utf8.RuneCountInString
	if len(p.Blocks) > maxBlocks {
		t.Errorf("%d blocks, want at most %d", len(p.Blocks), maxBlocks)
	}
	total := 0
	for _, b := range p.Blocks {
		if b.Text != nil {
			total += runes(b.Text.Text)
		}
		for _, o := range append(b.Fields, b.Elements...) {
			total += runes(o.Text)
		}
	}
	if total > maxBlocksText {
		t.Errorf("blocks hold %d runes of text, want at most %d (Slack refuses about 12,000)", total, maxBlocksText)
	}
	if !utf8.ValidString(p.Text) || runes(p.Text) > maxText {
		t.Errorf("text of %d runes (valid UTF-8: %v), want at most %d", runes(p.Text), utf8.ValidString(p.Text), maxText)
	}
	for i, b := range p.Blocks {
		if b.Text != nil {
			limit := maxSection
			if b.Type == "header" {
				limit = maxHeader
			}
			if n := runes(b.Text.Text); n > limit || !utf8.ValidString(b.Text.Text) {
				t.Errorf("block %d (%s): text of %d runes, want at most %d, valid UTF-8", i, b.Type, n, limit)
			}
		}
		if len(b.Fields) > maxFields {
			t.Errorf("block %d: %d fields, want at most %d", i, len(b.Fields), maxFields)
		}
		for j, f := range b.Fields {
			if n := runes(f.Text); n > maxField || !utf8.ValidString(f.Text) {
				t.Errorf("block %d field %d: %d runes, want at most %d, valid UTF-8", i, j, n, maxField)
			}
		}
		for j, e := range b.Elements {
			if n := runes(e.Text); n > maxSection || !utf8.ValidString(e.Text) {
				t.Errorf("block %d element %d: %d runes, want at most %d", i, j, n, maxSection)
			}
		}
	}
}

func TestLimitsHold(t *testing.T) {
	hebrew := strings.Repeat("שָׁלוֹם עוֹלָם & <ב> ", 400) // ~8,000 runes, with escapes
	longName := "שירות " + strings.Repeat("ספריא", 100)
	tests := []struct {
		name     string
		alerts   []uptime.Transition
		messages int
	}{
		{"huge Hebrew detail and name", func() []uptime.Transition {
			d := down(longName, 0, 1, 2)
			d.Detail = hebrew
			r := reminder(longName, 0, 90)
			r.Detail, r.IncidentID = hebrew, "another outage"
			return []uptime.Transition{d, r, recovered(longName+"x", 0, 1)}
		}(), 1},
		{"60 services in one cycle", func() []uptime.Transition {
			var ts []uptime.Transition
			for i := range 60 {
				d := down(fmt.Sprintf("service %02d %s", i, longName), 0, 1, 2)
				d.Detail = hebrew
				ts = append(ts, d)
			}
			return ts
		}(), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := newFakeSlack(t, c)
			var logs bytes.Buffer
			s := newSlack(f, &logs)
			s.ServiceURLs[longName] = "https://www.sefaria.org/" + strings.Repeat("דף/", 1000)
			accepted, err := s.Deliver(context.Background(), tt.alerts)
			if err != nil || !allTrue(accepted) {
				t.Fatalf("Deliver = %d of %d accepted, %v; want all, nil", count(accepted), len(tt.alerts), err)
			}
			got := f.got()
			if len(got) != tt.messages {
				t.Errorf("messages = %d, want %d", len(got), tt.messages)
			}
			shown := 0
			for i, r := range got {
				p := decode(t, r.body)
				checkLimits(t, p)
				shown += len(strings.Split(p.Text, "\n"))
				if len(got) > 1 {
					shown-- // the first line is the header
					if want := fmt.Sprintf("part %d of %d", i+1, len(got)); !strings.Contains(p.Blocks[0].Text.Text, want) {
						t.Errorf("message %d: header %q, want it to say %q", i+1, p.Blocks[0].Text.Text, want)
					}
				}
			}
			if shown != len(tt.alerts) {
				t.Errorf("messages show %d alerts, want all %d", shown, len(tt.alerts))
			}
		})
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"שָׁלוֹם עוֹלָם", 5, "שָׁל…"},
		{"abc&amp;def", 6, "abc…"},
		{"abc&amp;def", 9, "abc&amp;…"},
		{"a&lt;b", 3, "a…"},
		{"🔴🔴🔴", 2, "🔴…"},
		{"anything", 0, ""},
	}
	for _, tt := range tests {
		got := cut(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// TestDuration: Slack reads a downtime as the page does (uptime.DurationText).
func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"2h15m", "2 h 15 min"},
		{"45m30s", "45 min 30 s"},
		{"90s", "1 min 30 s"},
		{"12s", "12 s"},
		{"12.4s", "12 s"},
		{"0s", "0 s"},
		{"-5s", "0 s"},
		{"26h5m", "1 d 2 h"},
		{"1h0m59s", "1 h 1 min"},
	}
	for _, tt := range tests {
		d, err := time.ParseDuration(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := duration(d); got != tt.want {
			t.Errorf("duration(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
