package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v66/github"

	"github.com/Sefaria/statusgen/internal/wait"
)

// ErrRejectedToken means GitHub answered 401 or 403 (not a rate limit):
// the token is missing, expired or lacks a permission.
var ErrRejectedToken = errors.New("GitHub rejected the token")

// api runs GitHub calls with retries. Transient failures (5xx, 429, a
// secondary rate limit, a broken connection) are retried with exponential
// backoff; anything else is returned at once as an error a user can act on.
type api struct {
	attempts int           // per call, the first included
	delay    time.Duration // before the first retry; doubled each time
	sleep    func(ctx context.Context, d time.Duration) error
	log      *slog.Logger
	repo     string // owner/name, for messages
	token    string // redacted from GitHub's own messages, which may echo it
}

func newAPI(client *github.Client, owner, repo string, sleep func(context.Context, time.Duration) error, log *slog.Logger) *api {
	if sleep == nil {
		sleep = wait.For
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &api{attempts: 4, delay: 2 * time.Second, sleep: sleep, log: log, repo: owner + "/" + repo, token: tokenOf(client)}
}

// tokenOf is the token client sends, "" when it is not a NewClient one.
func tokenOf(client *github.Client) string {
	if client == nil {
		return ""
	}
	if t, ok := client.Client().Transport.(*TokenTransport); ok {
		return t.Token
	}
	return ""
}

// call runs fn, a GitHub request described by what ("create blob"), until
// it succeeds, fails for good or the attempts run out.
func (a *api) call(ctx context.Context, what string, fn func() (*github.Response, error)) error {
	delay := a.delay
	for attempt := 1; ; attempt++ {
		resp, err := fn()
		if err == nil {
			return nil
		}
		wait, retry := a.retryable(resp, err)
		if ctx.Err() != nil {
			return fmt.Errorf("github %s: %w", what, ctx.Err())
		}
		if !retry || attempt >= a.attempts {
			return a.explain(what, resp, err)
		}
		wait = max(wait, delay)
		a.log.Warn("github request failed; retrying", "request", what, "attempt", attempt, "wait", wait, "err", a.explain(what, resp, err))
		if err := a.sleep(ctx, wait); err != nil {
			return fmt.Errorf("github %s: %w", what, err)
		}
		delay *= 2
	}
}

// retryable says whether a failed call may succeed if repeated, and how
// long GitHub asked to wait first.
func (a *api) retryable(resp *github.Response, err error) (time.Duration, bool) {
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		if abuse.RetryAfter != nil && *abuse.RetryAfter <= time.Minute {
			return *abuse.RetryAfter, true
		}
		return 0, false
	}
	var rate *github.RateLimitError
	if errors.As(err, &rate) {
		return 0, false // the primary limit resets within the hour: the next cycle tries again
	}
	if resp == nil || resp.Response == nil {
		return 0, true // the connection failed
	}
	code := resp.StatusCode
	return 0, code >= 500 || code == http.StatusTooManyRequests
}

// requestError is a failed GitHub request explained for a user, with the
// HTTP status (0 when none came) for the callers that react to one.
type requestError struct {
	msg   string
	code  int
	cause error
}

func (e *requestError) Error() string { return e.msg }
func (e *requestError) Unwrap() error { return e.cause }

// statusOf is the HTTP status of a failed request, 0 when there was none.
func statusOf(err error) int {
	var re *requestError
	if errors.As(err, &re) {
		return re.code
	}
	return 0
}

// explain turns a failed call into an error that says what to do. It never
// includes a request header, so never the token.
func (a *api) explain(what string, resp *github.Response, err error) error {
	var rate *github.RateLimitError
	if errors.As(err, &rate) {
		return &requestError{msg: fmt.Sprintf("github %s: rate limit reached until %s; the next cycle retries",
			what, rate.Rate.Reset.UTC().Format(time.RFC3339)), code: http.StatusForbidden}
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		return &requestError{msg: fmt.Sprintf("github %s: secondary rate limit reached; the next cycle retries", what), code: http.StatusForbidden}
	}
	if resp == nil || resp.Response == nil {
		return &requestError{msg: fmt.Sprintf("github %s: %v", what, err), cause: err}
	}
	e := &requestError{code: resp.StatusCode}
	switch e.code {
	case http.StatusUnauthorized:
		e.msg, e.cause = fmt.Sprintf("github %s: %v (401): check GITHUB_TOKEN", what, ErrRejectedToken), ErrRejectedToken
	case http.StatusForbidden:
		e.msg, e.cause = fmt.Sprintf("github %s: %v (403): check that GITHUB_TOKEN may write the contents (and issues) of %s",
			what, ErrRejectedToken, a.repo), ErrRejectedToken
	case http.StatusNotFound:
		e.msg = fmt.Sprintf("github %s: not found (404): check that %s exists and GITHUB_TOKEN can see it", what, a.repo)
	default:
		msg := http.StatusText(e.code)
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Message != "" {
			msg = er.Message
			if a.token != "" {
				// GitHub's message is remote text: a proxy or a broken
				// server may echo the request, Authorization included.
				msg = strings.ReplaceAll(msg, a.token, "<token>")
			}
		}
		e.msg = fmt.Sprintf("github %s: %s (%d)", what, msg, e.code)
	}
	return e
}
