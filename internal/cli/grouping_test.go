package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Slack's limits for a message of blocks (docs.slack.dev, Block Kit
// reference), and the budget statusgen keeps for the text of all blocks
// together: Slack refuses a message whose blocks hold more than about
// 12,000 characters in all (msg_blocks_too_long, slackapi/bolt-js#2509),
// a limit it does not document.
const (
	slackMaxBlocks     = 50
	slackMaxHeader     = 150
	slackMaxSection    = 3000
	slackMaxFields     = 10
	slackMaxField      = 2000
	slackMaxElements   = 10
	slackMaxText       = 40000 // the notification text; Slack cuts it beyond this
	slackMaxBlocksText = 12000
	blocksTextBudget   = 10000 // statusgen's own, under slackMaxBlocksText
)

// failingTargets serves n services that all fail, each in one of three
// real ways: 503, 500 with a JSON error, or a connection closed without an
// answer; every other service answers 270 ms late, so failures checked
// together are confirmed in different 250 ms batches of `run`. It notes
// when each service was first checked.
type failingTargets struct {
	srv   *httptest.Server
	mu    sync.Mutex
	first map[string]time.Time
}

func newFailingTargets(t *testing.T) *failingTargets {
	f := &failingTargets{first: map[string]time.Time{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		f.mu.Lock()
		if _, ok := f.first[name]; !ok {
			f.first[name] = time.Now()
		}
		f.mu.Unlock()
		var i int
		fmt.Sscanf(name, "svc-%d", &i)
		time.Sleep(time.Duration(i%2) * 270 * time.Millisecond)
		switch i % 3 {
		case 0:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error": "database unavailable"}`)
		default:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *failingTargets) firstCheck() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var first time.Time
	for _, at := range f.first {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	return first
}

// config is n services on the targets, announced on their first failure.
func (f *failingTargets) config(n int, interval string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `[settings]
title = "Grouping"
status_page_url = "https://status.example.org"
interval = %q
retries = 1
retry_delay = "0s"
failure_threshold = 1
`, interval)
	for i := range n {
		fmt.Fprintf(&b, "\n[[service]]\nname = \"svc-%03d\"\nurl = \"%s/svc-%03d\"\ntimeout = \"2s\"\n", i, f.srv.URL, i)
	}
	return b.String()
}

// slackInbox is an incoming webhook on 127.0.0.1 that accepts every
// message and notes when it came.
type slackInbox struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []posted
}

type posted struct {
	at   time.Time
	body []byte
}

func newSlackInbox(t *testing.T) *slackInbox {
	s := &slackInbox{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, posted{time.Now(), b})
		s.mu.Unlock()
		io.WriteString(w, "ok")
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *slackInbox) hook() string { return s.srv.URL + "/services/T0/B0/hooksecret" }

// announced counts the services announced down so far.
func (s *slackInbox) announced() int {
	n := 0
	for _, p := range s.all() {
		var m slackMessage
		if json.Unmarshal(p.body, &m) == nil {
			n += len(downLine.FindAllString(m.Text, -1))
		}
	}
	return n
}

func (s *slackInbox) all() []posted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]posted(nil), s.got...)
}

// slackMessage is a posted message, decoded.
type slackMessage struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type     string       `json:"type"`
		Text     *slackObject `json:"text"`
		Fields   []slackObject
		Elements []slackObject
	} `json:"blocks"`
}

type slackObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// blocksText is every text of the message's blocks, in order.
func (m slackMessage) blocksText() []string {
	var out []string
	for _, b := range m.Blocks {
		if b.Text != nil {
			out = append(out, b.Text.Text)
		}
		for _, o := range append(b.Fields, b.Elements...) {
			out = append(out, o.Text)
		}
	}
	return out
}

var (
	downLine  = regexp.MustCompile(`(?m)^🔴 (svc-\d{3}) is down`)
	partLabel = regexp.MustCompile(`part (\d+) of (\d+)`)
)

// checkMessages decodes what Slack received and fails t unless it is the
// fewest messages Block Kit's limits allow, each within those limits,
// together announcing each of the n services' DOWN exactly once, parts
// labelled "part k of m" in order.
func checkMessages(t *testing.T, got []posted, n int) []slackMessage {
	t.Helper()
	if len(got) == 0 {
		t.Fatalf("Slack received nothing for %d services down", n)
	}
	msgs := make([]slackMessage, len(got))
	seen := map[string]int{}
	for i, p := range got {
		if err := json.Unmarshal(p.body, &msgs[i]); err != nil {
			t.Fatalf("message %d is not JSON: %v", i+1, err)
		}
		m := msgs[i]
		checkBlockLimits(t, i+1, m)
		blocks := strings.Join(m.blocksText(), "\n")
		for _, sm := range downLine.FindAllStringSubmatch(m.Text, -1) {
			seen[sm[1]]++
			if !strings.Contains(blocks, sm[1]) {
				t.Errorf("message %d: %s is in the notification text but not in the blocks", i+1, sm[1])
			}
		}
		if len(got) > 1 {
			want := fmt.Sprintf("part %d of %d", i+1, len(got))
			if b := m.Blocks[0]; b.Type != "header" || b.Text == nil || !strings.Contains(b.Text.Text, want) {
				t.Errorf("message %d: first block %+v, want a header saying %q", i+1, b, want)
			}
			if !strings.Contains(m.Text, want) {
				t.Errorf("message %d: notification text does not say %q", i+1, want)
			}
		} else if partLabel.MatchString(m.Text) {
			t.Errorf("a single message is labelled as a part: %q", m.Text)
		}
	}
	for i := range n {
		if name := fmt.Sprintf("svc-%03d", i); seen[name] != 1 {
			t.Errorf("%s announced down %d times, want once", name, seen[name])
		}
	}
	if len(seen) != n {
		t.Errorf("%d services announced, want %d", len(seen), n)
	}
	// The fewest: no part could have taken the first service of the next.
	for i := 0; i+1 < len(msgs); i++ {
		used := 0
		for _, s := range msgs[i].blocksText() {
			used += utf8.RuneCountInString(s)
		}
		next := firstServiceText(msgs[i+1])
		if len(msgs[i].Blocks) < slackMaxBlocks && used+utf8.RuneCountInString(next)+30 <= blocksTextBudget {
			t.Errorf("part %d holds %d blocks and %d characters: it had room for the next part's first service (%d characters), want it sent in part %d",
				i+1, len(msgs[i].Blocks), used, utf8.RuneCountInString(next), i+1)
		}
	}
	return msgs
}

// firstServiceText is the text that announces the first service of a
// message: its first section, fields included, or the first line of a
// section without fields, which lists one service a line.
func firstServiceText(m slackMessage) string {
	for _, b := range m.Blocks {
		if b.Type != "section" {
			continue
		}
		text := ""
		if b.Text != nil {
			text = b.Text.Text
		}
		if len(b.Fields) == 0 {
			return strings.SplitN(text, "\n", 2)[0]
		}
		for _, f := range b.Fields {
			text += f.Text
		}
		return text
	}
	return ""
}

func checkBlockLimits(t *testing.T, i int, m slackMessage) {
	t.Helper()
	runes := utf8.RuneCountInString
	if len(m.Blocks) == 0 || len(m.Blocks) > slackMaxBlocks {
		t.Errorf("message %d: %d blocks, want 1 to %d", i, len(m.Blocks), slackMaxBlocks)
	}
	if n := runes(m.Text); n == 0 || n > slackMaxText || !utf8.ValidString(m.Text) {
		t.Errorf("message %d: notification text of %d characters, want 1 to %d of valid UTF-8", i, n, slackMaxText)
	}
	total := 0
	for j, b := range m.Blocks {
		if b.Text != nil {
			limit := slackMaxSection
			if b.Type == "header" {
				limit = slackMaxHeader
			}
			if n := runes(b.Text.Text); n > limit || !utf8.ValidString(b.Text.Text) {
				t.Errorf("message %d block %d (%s): text of %d characters, want at most %d", i, j, b.Type, n, limit)
			}
		}
		if len(b.Fields) > slackMaxFields || len(b.Elements) > slackMaxElements {
			t.Errorf("message %d block %d: %d fields, %d elements; want at most %d, %d", i, j, len(b.Fields), len(b.Elements), slackMaxFields, slackMaxElements)
		}
		for _, f := range b.Fields {
			if n := runes(f.Text); n > slackMaxField {
				t.Errorf("message %d block %d: a field of %d characters, want at most %d", i, j, n, slackMaxField)
			}
		}
	}
	for _, s := range m.blocksText() {
		total += runes(s)
	}
	if total > slackMaxBlocksText {
		t.Errorf("message %d: its blocks hold %d characters, want at most %d", i, total, slackMaxBlocksText)
	}
}

// TestOnceSendsOneMessageForServicesDownTogether: with 2, 20 and 200
// services failing in one `once` cycle, with real timestamps, Slack gets
// one message, or the fewest parts Block Kit allows, all within the cycle.
func TestOnceSendsOneMessageForServicesDownTogether(t *testing.T) {
	for _, tt := range []struct{ services, messages int }{{2, 1}, {20, 1}, {200, 0}} {
		t.Run(fmt.Sprint(tt.services), func(t *testing.T) {
			t.Parallel()
			targets := newFailingTargets(t)
			slack := newSlackInbox(t)
			const interval = 10 * time.Second // delivery budget: interval/6
			w := newWorkspace(t, targets.config(tt.services, interval.String()))
			start := time.Now()
			code, _, errOut := w.run(t, map[string]string{"SLACK_WEBHOOK_URL": slack.hook()}, "once")
			took := time.Since(start)
			if code != ExitOK {
				t.Fatalf("once: exit %d:\n%s", code, errOut)
			}
			got := slack.all()
			msgs := checkMessages(t, got, tt.services)
			if tt.messages > 0 && len(msgs) != tt.messages {
				t.Errorf("Slack got %d messages for %d services down together, want %d", len(msgs), tt.services, tt.messages)
			}
			if last := got[len(got)-1].at.Sub(targets.firstCheck()); last >= interval || took >= interval {
				t.Errorf("last message %v after the first check, once took %v; want both within the %v cycle", last, took, interval)
			}
			state, _ := os.ReadFile(filepath.Join(w.data, "state.json"))
			if !strings.Contains(string(state), `"outbox": []`) {
				t.Errorf("alerts left queued for the next cycle although Slack answered every request:\n%s", errOut)
			}
			t.Logf("%d services: %d message(s), once took %v", tt.services, len(msgs), took.Round(time.Millisecond))
		})
	}
}

// logWatch is a JSON log writer that closes done once msg was logged n times.
type logWatch struct {
	mu    sync.Mutex
	buf   strings.Builder
	msg   string
	n     int
	done  chan struct{}
	count int
}

func (l *logWatch) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	l.count += strings.Count(string(p), `"msg":"`+l.msg+`"`)
	if l.count >= l.n && l.done != nil {
		close(l.done)
		l.done = nil
	}
	return len(p), nil
}

func (l *logWatch) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestRunSendsOneMessageForServicesDownTogether: `statusgen run` spreads a
// cycle's checks a few milliseconds apart and records them in 250 ms
// batches; services failing in the same cycle still arrive in Slack as one
// message (or the fewest parts Block Kit allows), within the cycle.
func TestRunSendsOneMessageForServicesDownTogether(t *testing.T) {
	const interval = 5 * time.Second
	// Start just after an interval boundary, so the first cycle checks
	// each service at its offset (200 services: over 1.2 s) rather than
	// all of them at once.
	wait := time.Until(time.Now().Truncate(interval).Add(interval + 20*time.Millisecond))
	time.Sleep(wait)
	for _, tt := range []struct{ services, messages int }{{2, 1}, {20, 1}, {200, 0}} {
		t.Run(fmt.Sprint(tt.services), func(t *testing.T) {
			t.Parallel()
			targets := newFailingTargets(t)
			slack := newSlackInbox(t)
			w := newWorkspace(t, targets.config(tt.services, interval.String()))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// The second completed cycle announces nothing new (the
			// services stay down): by then every alert of the first is out.
			logs := &logWatch{msg: "cycle done", n: 2, done: make(chan struct{})}
			done := logs.done
			env := map[string]string{"SLACK_WEBHOOK_URL": slack.hook(), "DEBUG": "true", "LOG_FORMAT": "json"}
			exit := make(chan int, 1)
			go func() {
				exit <- Run(ctx, []string{"run", "--config", w.config, "--data", w.data, "--site", w.site},
					func(k string) string { return env[k] }, io.Discard, logs)
			}()
			started := time.Now()
			select {
			case <-done:
			case code := <-exit:
				t.Fatalf("run exited %d early:\n%s", code, logs)
			case <-time.After(4 * interval):
				t.Fatalf("no second cycle within %v:\n%s", 4*interval, logs)
			}
			// and every service announced, or a whole interval more.
			for wait := time.Now().Add(interval); time.Now().Before(wait) && slack.announced() < tt.services; {
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
			if code := <-exit; code != ExitOK {
				t.Fatalf("run exited %d:\n%s", code, logs)
			}
			got := slack.all()
			msgs := checkMessages(t, got, tt.services)
			if tt.messages > 0 && len(msgs) != tt.messages {
				t.Errorf("Slack got %d messages for %d services down in one cycle, want %d", len(msgs), tt.services, tt.messages)
			}
			first := targets.firstCheck()
			if last := got[len(got)-1].at.Sub(first); last >= interval {
				t.Errorf("last message %v after the first check, want within the %v cycle", last, interval)
			}
			t.Logf("%d services: %d message(s), first %v and last %v after the first check; run started %v into its interval",
				tt.services, len(msgs), got[0].at.Sub(first).Round(time.Millisecond), got[len(got)-1].at.Sub(first).Round(time.Millisecond),
				started.Sub(started.Truncate(interval)).Round(time.Millisecond))
		})
	}
}
