package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/internal/wait"
)

// ErrWebhookBroken marks an answer that no retry will fix: Slack says the
// webhook is revoked, its channel gone or archived, or posting forbidden.
// The alerts stay queued; the operator must fix SLACK_WEBHOOK_URL.
var ErrWebhookBroken = errors.New("the Slack webhook is broken")

// Default limits, used when the fields are zero.
const (
	DefaultTimeout = 10 * time.Second // one request, when HTTPClient is nil or has none
	DefaultBudget  = 15 * time.Second // retries and Retry-After waits within one Deliver
)

// Slack delivers alerts to an incoming webhook as Block Kit messages.
// Everything queued when Deliver starts goes out as one message, or, when
// Block Kit's limits forbid that, as the fewest messages they allow, each
// saying "part n of m"; a DOWN and its RECOVERED both still queued go out
// as one item. An alert counts as accepted only once Slack answered 200.
//
// Failures: 5xx, timeouts and connection errors are retried with
// exponential backoff, and 429 after its Retry-After, while Budget lasts;
// then the alerts stay queued for the next cycle, with a warning and no
// error. Requests are at least a second apart, Slack's pace for a webhook;
// that second is not trouble and is waited for whatever the budget, so
// while Slack answers, every part goes out. A 400 that refuses the blocks
// is retried once as text only. 401, 403, 404, 410 and Slack's
// broken-webhook errors stop the delivery with ErrWebhookBroken.
//
// The webhook URL is a secret: it is never logged nor put in an error.
// Use a *Slack; it remembers the last request for the rate limit.
type Slack struct {
	WebhookURL    string
	Channel       string            // optional: an override only legacy webhooks honour
	StatusPageURL string            // linked in every message; "" for none
	ServiceURLs   map[string]string // service name → its URL, shown without userinfo or query
	// HTTPClient sends the requests; nil means a client with DefaultTimeout.
	// A client without a timeout gets DefaultTimeout.
	HTTPClient *http.Client
	Now        func() time.Time                                 // nil: time.Now
	Sleep      func(ctx context.Context, d time.Duration) error // nil: a real timer
	Logger     *slog.Logger                                     // nil: no logs
	Budget     time.Duration                                    // 0: DefaultBudget

	mu        sync.Mutex
	last      time.Time // when the last request went out
	notBefore time.Time // Retry-After of the last 429
}

// ServiceURLs maps each service's name to its URL, for Slack.ServiceURLs.
func ServiceURLs(services []uptime.Service) map[string]string {
	m := make(map[string]string, len(services))
	for _, s := range services {
		m[s.Name] = s.URL
	}
	return m
}

// Deliver sends the outbox as messages and reports which alerts Slack
// accepted. Its error is non-nil only for a broken webhook (ErrWebhookBroken).
func (s *Slack) Deliver(ctx context.Context, alerts []uptime.Transition) ([]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	accepted := make([]bool, len(alerts))
	if len(alerts) == 0 {
		return accepted, nil
	}
	r := s.renderer()
	deadline := s.now().Add(s.budget())
	client := s.client()
	parts := r.split(plan(alerts))
	for pi, p := range parts {
		a := s.send(ctx, client, r.message(p), deadline)
		if a.verdict == resendAsText {
			s.logger().Warn("Slack refused the message's blocks; sending it as text only", "answer", a.String())
			a = s.send(ctx, client, r.textOnly(p), deadline)
			if a.verdict == resendAsText {
				a.verdict = rejected
			}
		}
		switch a.verdict {
		case sent:
			for _, it := range p.items {
				for _, i := range it.covers {
					accepted[i] = true
				}
			}
			s.logger().Debug("slack message sent", "alerts", covered(p.items), "part", p.n, "parts", p.of)
		case broken:
			return accepted, fmt.Errorf("%w: Slack answered %s; alerts stay queued until SLACK_WEBHOOK_URL is fixed", ErrWebhookBroken, a)
		case rejected:
			s.logger().Error("Slack rejected a message; its alerts stay queued", "alerts", covered(p.items), "answer", a.String())
		default:
			kept := 0
			for _, p := range parts[pi:] {
				kept += covered(p.items)
			}
			s.logger().Warn("Slack unavailable; alerts kept for the next cycle", "kept", kept, "answer", a.String())
			return accepted, nil
		}
	}
	return accepted, nil
}

// covered counts the outbox entries items answer for.
func covered(items []item) int {
	n := 0
	for _, it := range items {
		n += len(it.covers)
	}
	return n
}

// TestMessage is the header of the message SendTest sends.
const TestMessage = "🧪 statusgen test message — the webhook works"

// SendTest sends one clearly labelled test message, so an operator can
// prove the webhook works. Any failure is an error, without the URL; a
// broken webhook matches ErrWebhookBroken.
func (s *Slack) SendTest(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	blocks := []slack.Block{
		header(TestMessage),
		slack.NewSectionBlock(mrkdwn(fmt.Sprintf("Sent by `statusgen check --slack` at %s. DOWN and RECOVERED alerts will arrive here.",
			utcText(s.now()))), nil, nil),
	}
	if l := link(s.StatusPageURL); l != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn("Status page: "+l)))
	}
	msg := &slack.WebhookMessage{Channel: s.Channel, Text: TestMessage, Parse: "none", Blocks: &slack.Blocks{BlockSet: blocks}}
	a := s.send(ctx, s.client(), msg, s.now().Add(s.budget()))
	switch a.verdict {
	case sent:
		return nil
	case broken:
		return fmt.Errorf("%w: Slack answered %s; check SLACK_WEBHOOK_URL", ErrWebhookBroken, a)
	}
	return fmt.Errorf("slack test message not delivered: %s", a)
}

func (s *Slack) renderer() renderer {
	return renderer{channel: s.Channel, statusPage: s.StatusPageURL, serviceURLs: s.ServiceURLs}
}

func (s *Slack) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Slack) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	return wait.For(ctx, d)
}

func (s *Slack) budget() time.Duration {
	if s.Budget > 0 {
		return s.Budget
	}
	return DefaultBudget
}

func (s *Slack) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}
