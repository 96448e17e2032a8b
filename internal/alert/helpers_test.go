package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// minute is the start of cycle i; cycles are a minute apart.
func minute(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }

// clock is a fake clock; Sleep advances it and never waits.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newClock() *clock { return &clock{now: minute(60)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return ctx.Err()
}

// reply is one scripted answer of the fake Slack.
type reply struct {
	status     int
	body       string
	retryAfter string
}

// request is what the fake Slack received, and when on the fake clock.
type request struct {
	at   time.Time
	body []byte
}

// fakeSlack is an incoming webhook on 127.0.0.1 that answers from script,
// then "200 ok" (or always with the last reply when repeat is set).
type fakeSlack struct {
	*httptest.Server
	mu       sync.Mutex
	clock    *clock
	script   []reply
	repeat   bool
	requests []request
}

func newFakeSlack(t *testing.T, c *clock, script ...reply) *fakeSlack {
	t.Helper()
	f := &fakeSlack{clock: c, script: script}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, request{at: f.clock.Now(), body: body})
	rep := reply{status: 200, body: "ok"}
	switch {
	case len(f.script) > 1 || (len(f.script) == 1 && !f.repeat):
		rep, f.script = f.script[0], f.script[1:]
	case len(f.script) == 1:
		rep = f.script[0]
	}
	f.mu.Unlock()
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (f *fakeSlack) got() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.requests...)
}

// hook is the webhook URL on the fake Slack, with a secret-looking path.
func (f *fakeSlack) hook() string { return f.URL + "/services/T0SECRET/B0SECRET/SENTINELxyz123" }

// newSlack is a Slack deliverer against f with the fake clock and a
// debug log in logs.
func newSlack(f *fakeSlack, logs *bytes.Buffer) *Slack {
	return &Slack{
		WebhookURL:    f.hook(),
		Channel:       "sefaria-down",
		StatusPageURL: "https://status.sefaria.org",
		ServiceURLs: map[string]string{
			"sefaria.org": "https://user:pw@www.sefaria.org/healthz?token=abc",
			"Linker":      "https://www.sefaria.org/api/find-refs",
			"MCP Server":  "https://mcp.sefaria.org/health",
		},
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Now:        f.clock.Now,
		Sleep:      f.clock.Sleep,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Budget:     30 * time.Second,
	}
}

func down(service string, since, at, failures int) uptime.Transition {
	return uptime.Transition{
		Kind: uptime.WentDown, Service: service, IncidentID: incident(service, since),
		Since: minute(since), At: minute(at), Failures: failures,
		Code: 503, Error: uptime.ErrStatus, Detail: "HTTP 503: Service Unavailable",
	}
}

// confirmed is t as two of three locations agreed on it, one of them
// answered by something hostile: its detail must stay inert mrkdwn.
func confirmed(t uptime.Transition) uptime.Transition {
	t.Locations = []uptime.LocationError{
		{Location: "us-east", Code: 503, Error: uptime.ErrStatus, Detail: "HTTP 503: Service Unavailable"},
		{Location: "eu-west", Error: uptime.ErrConnect, Detail: "dial tcp: connection refused <!channel> *bold* <https://evil.example|click>"},
	}
	return t
}

func recovered(service string, since, at int) uptime.Transition {
	return uptime.Transition{
		Kind: uptime.Recovered, Service: service, IncidentID: incident(service, since),
		Since: minute(since), At: minute(at), Failures: at - since,
		Code: 200, Error: uptime.ErrStatus, MS: 84,
	}
}

func reminder(service string, since, at int) uptime.Transition {
	t := down(service, since, at, at-since+1)
	t.Kind = uptime.Reminder
	t.Error, t.Code, t.Detail = uptime.ErrTimeout, 0, "no answer within 10s"
	return t
}

// manyDown is n services down together, each with detail as its error
// ("" for the usual one).
func manyDown(n int, detail string) []uptime.Transition {
	ts := make([]uptime.Transition, n)
	for i := range ts {
		ts[i] = down(fmt.Sprintf("service-%03d", i), 0, 1, 2)
		if detail != "" {
			ts[i].Detail = detail
		}
	}
	return ts
}

var partLabel = regexp.MustCompile(`part (\d+) of (\d+)`)

func incident(service string, since int) string {
	return service + "-" + strconv.Itoa(since)
}

// payload is a posted message decoded loosely, for checks on its shape.
type payload struct {
	Text   string  `json:"text"`
	Blocks []block `json:"blocks"`
}

type block struct {
	Type     string  `json:"type"`
	Text     *object `json:"text"`
	Fields   []object
	Elements []object
}

type object struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Verbatim bool   `json:"verbatim"`
}

func decode(t *testing.T, body []byte) payload {
	t.Helper()
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("posted body is not JSON: %v\n%s", err, body)
	}
	return p
}

func allTrue(b []bool) bool {
	for _, v := range b {
		if !v {
			return false
		}
	}
	return len(b) > 0
}

func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}
