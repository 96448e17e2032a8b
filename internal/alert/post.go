package alert

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/slack-go/slack"
)

// verdict is what one answer from Slack means for the message.
type verdict int

const (
	retry        verdict = iota // transient: later, or in the next cycle (the zero value: never "sent" by accident)
	sent                        // Slack accepted it
	resendAsText                // Slack refused the blocks: try text only
	rejected                    // Slack refused this message for good
	broken                      // Slack refuses the webhook itself
)

// answer is Slack's reply to a request, reduced to what decides a verdict.
type answer struct {
	verdict    verdict
	status     int           // HTTP status; 0 when none came
	reason     string        // Slack's error code ("no_service"), or the redacted network error
	retryAfter time.Duration // a 429's Retry-After; 0 when missing
}

func (a answer) String() string {
	switch {
	case a.status == 0 && a.reason == "":
		return "no answer"
	case a.status == 0:
		return a.reason
	case a.reason == "":
		return "HTTP " + strconv.Itoa(a.status)
	}
	return "HTTP " + strconv.Itoa(a.status) + " " + a.reason
}

// brokenReasons are Slack's webhook errors that no retry fixes.
var brokenReasons = map[string]bool{
	"action_prohibited": true, "channel_is_archived": true, "channel_not_found": true,
	"invalid_token": true, "no_active_hooks": true, "no_service": true, "no_service_id": true,
	"no_team": true, "team_disabled": true, "user_not_found": true,
	"posting_to_general_channel_denied": true, "invalid_auth": true, "account_inactive": true,
}

// send posts msg, waiting for the rate limit and retrying transient
// failures with exponential backoff until deadline (on the injected clock).
func (s *Slack) send(ctx context.Context, client *http.Client, msg *slack.WebhookMessage, deadline time.Time) answer {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(time.Second),
		backoff.WithMaxInterval(30*time.Second),
		backoff.WithMaxElapsedTime(0), // the budget decides
		backoff.WithClockProvider(clockFunc(s.now)),
	)
	// last is returned when the budget runs out before the next try.
	last := answer{reason: "Slack's Retry-After outlasts this cycle's delivery budget"}
	for {
		if wait := s.gate().Sub(s.now()); wait > 0 {
			// The second between requests is Slack's pace, not trouble:
			// only a Retry-After that outlasts it counts against the budget.
			if s.notBefore.After(s.last.Add(time.Second)) && s.now().Add(wait).After(deadline) {
				return last
			}
			if err := s.sleep(ctx, wait); err != nil {
				return answer{verdict: retry, reason: "delivery interrupted: " + err.Error()}
			}
		}
		last = s.attempt(ctx, client, msg)
		if last.verdict != retry || ctx.Err() != nil {
			return last
		}
		if last.status == http.StatusTooManyRequests && last.retryAfter > 0 {
			s.notBefore = s.now().Add(last.retryAfter)
			s.logger().Info("Slack rate limit: waiting for Retry-After", "retry_after", last.retryAfter)
			continue
		}
		wait := b.NextBackOff()
		if s.now().Add(wait).After(deadline) {
			return last
		}
		s.logger().Info("Slack delivery failed; retrying", "answer", last.String(), "in", wait.Round(time.Millisecond))
		if err := s.sleep(ctx, wait); err != nil {
			return last
		}
	}
}

// gate is the earliest time the next request may go: a second after the
// last one, and not before a Retry-After.
func (s *Slack) gate() time.Time {
	var t time.Time
	if !s.last.IsZero() {
		t = s.last.Add(time.Second)
	}
	return maxTime(t, s.notBefore)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// attempt is one POST and its verdict.
func (s *Slack) attempt(ctx context.Context, client *http.Client, msg *slack.WebhookMessage) answer {
	s.last = s.now()
	var got capture
	err := slack.PostWebhookCustomHTTPContext(context.WithValue(ctx, captureKey{}, &got), s.WebhookURL, client, msg)
	if got.status == 0 {
		if err == nil { // cannot happen with slack-go, which reads a status first
			return answer{verdict: retry, reason: "no HTTP answer"}
		}
		return answer{verdict: retry, reason: s.redact(err)}
	}
	reason, failed := slackReason(got.body)
	a := answer{status: got.status, reason: reason}
	switch st := got.status; {
	case brokenReasons[reason] || st == http.StatusUnauthorized || st == http.StatusForbidden ||
		st == http.StatusNotFound || st == http.StatusGone:
		a.verdict = broken
	case st == http.StatusOK && !failed:
		a.verdict = sent
	case st == http.StatusTooManyRequests:
		a.verdict = retry
		a.retryAfter = retryAfter(got.retryAfter, s.now())
	case st >= 500 || st == http.StatusRequestTimeout:
		a.verdict = retry
	case st == http.StatusOK || st == http.StatusBadRequest || st == http.StatusRequestEntityTooLarge:
		// invalid_blocks, no_text, invalid_payload…: the text-only form is
		// the simplest message Slack takes.
		a.verdict = resendAsText
	default:
		a.verdict = rejected
	}
	return a
}

// retryAfter reads a Retry-After in seconds or as an HTTP date; 0 when absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(max(n, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

var reasonToken = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// slackReason reads Slack's answer body: "ok", an error code such as
// "no_service", or {"ok": false, "error": "…"}. failed reports an error
// answer. Anything else (an HTML page) gives no reason, never the body.
func slackReason(body string) (reason string, failed bool) {
	body = strings.TrimSpace(body)
	if strings.HasPrefix(body, "{") {
		var j struct {
			OK    *bool  `json:"ok"`
			Error string `json:"error"`
		}
		if json.Unmarshal([]byte(body), &j) == nil && j.OK != nil {
			if reasonToken.MatchString(j.Error) {
				reason = j.Error
			}
			return reason, !*j.OK
		}
		return "", false
	}
	if reasonToken.MatchString(body) {
		return body, body != "ok"
	}
	return "", false
}

// capture is what the transport saw of Slack's answer: slack-go discards
// the body, and the body names the error ("no_service", "invalid_blocks").
type capture struct {
	status     int
	body       string
	retryAfter string
}

type captureKey struct{}

// capturing records the answer of requests whose context carries a *capture.
type capturing struct{ base http.RoundTripper }

func (c capturing) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if got, ok := req.Context().Value(captureKey{}).(*capture); ok {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		*got = capture{status: resp.StatusCode, body: string(body), retryAfter: resp.Header.Get("Retry-After")}
	}
	return resp, nil
}

// client is HTTPClient (or a new one) with a timeout and the capturing transport.
func (s *Slack) client() *http.Client {
	c := &http.Client{}
	if s.HTTPClient != nil {
		*c = *s.HTTPClient
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = capturing{base}
	return c
}

// redact turns a request error into text without the webhook URL:
// slack-go's errors quote it in full ("Post \"https://hooks…\": …").
func (s *Slack) redact(err error) string {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Op + " <webhook>: " + ue.Err.Error()
	}
	return redactURL(msg, s.WebhookURL)
}

// redactURL removes secret and its parts (path, its segments, query,
// userinfo, escaped forms) from msg.
func redactURL(msg, secret string) string {
	if secret == "" {
		return msg
	}
	parts := []string{secret, strconv.Quote(secret), url.QueryEscape(secret), url.PathEscape(secret)}
	if u, err := url.Parse(secret); err == nil {
		parts = append(parts, u.Path, u.EscapedPath(), u.RawQuery, u.Fragment)
		if u.User != nil {
			parts = append(parts, u.User.String(), u.User.Username())
		}
		for seg := range strings.SplitSeq(u.Path, "/") {
			parts = append(parts, seg)
		}
	}
	slices.SortFunc(parts, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, p := range parts {
		if len(p) >= 6 { // short parts ("/", "T0") would shred innocent text
			msg = strings.ReplaceAll(msg, p, "<redacted>")
		}
	}
	return msg
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }
