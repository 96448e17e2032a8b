// Package probe runs one service's check — a plain HTTP request or the
// async two-phase Linker check — with its attempts under the caller's
// deadline, and turns every failure into an uptime.ErrorKind and a sanitized detail.
//
// A check whose attempts all failed reports its most decisive attempt, so
// that a retry the deadline cut short, or one that merely timed out, never
// hides what an earlier attempt learned. From most to least decisive:
//
//  1. the service's verdict on the work: task_failed, bad_result (and
//     internal, the check's own configuration, the same in every attempt);
//  2. a wrong answer: status, redirect, body, not_json, too_large, no_task_id;
//  3. a failed connection: dns, connect, tls, protocol;
//  4. no answer in time: timeout, task_timeout;
//  5. an attempt the check's deadline cut short, whatever its kind.
//
// Among equals the latest attempt wins. The result's code, latency, polls
// and detail are that attempt's; Attempts counts every attempt made.
package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/internal/wait"
)

// Prober runs checks. The zero value is not usable; fill the fields.
// A Prober holds no connection between checks (every request dials
// afresh), only TLS sessions, so one may run many checks at once.
type Prober struct {
	// UserAgent is "statusgen/<version> (+<status_page_url>)", set by the caller.
	UserAgent string
	// Now is the clock for Result.Time, latency and the TLS session
	// cache's periods; nil means time.Now.
	Now func() time.Time
	// MaxBody caps the bytes read from a body for services without their
	// own max_body; 0 means DefaultMaxBody.
	MaxBody int64
	// Sleep waits between attempts and polls; nil means a real timer
	// honouring ctx. Tests inject one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// DialContext opens connections, for tests; nil means a net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Proxy is the route of services whose proxy setting is "" (by
	// default, the environment's HTTP_PROXY, HTTPS_PROXY and NO_PROXY,
	// built by the caller); nil means a direct connection.
	Proxy func(*http.Request) (*url.URL, error)
	// RootCAs are the certificate authorities checks trust; nil means
	// the system's (on Linux, SSL_CERT_FILE and SSL_CERT_DIR may name them).
	RootCAs *x509.CertPool
	// ResumeFor is how long TLS sessions are resumed before each host gets
	// a full handshake again; 0 means DefaultResumeFor, negative never resume.
	ResumeFor time.Duration
	// Sessions is how many hosts' TLS sessions are kept; 0 means 1024.
	Sessions int
	// Retrying, when set, hears of each failed attempt that another will
	// follow, before the wait: so a check that retries is not silent for
	// retries × retry_delay. detail is sanitized, its secrets redacted.
	Retrying func(svc uptime.Service, r Retry)

	init       sync.Once // builds the fields below at the first check
	dialer     net.Dialer
	sessions   *sessionCache
	mu         sync.Mutex
	transports map[route]*http.Transport
}

// Retry is a failed attempt that another follows.
type Retry struct {
	Next, Of int              // the attempt about to start (2 or more) of the most the check makes
	Wait     time.Duration    // before it starts
	Error    uptime.ErrorKind // why the last one failed
	Detail   string
}

// DefaultMaxBody is the body cap used when neither the service nor the
// Prober sets one.
const DefaultMaxBody = 4 << 20

// minAttempt is the least time worth starting an attempt with: when the
// deadline leaves less than retry_delay plus this, no further attempt starts,
// since one that short could hardly learn anything.
const minAttempt = 250 * time.Millisecond

// errAttemptFailed tells the backoff loop an attempt was down; the outcome
// itself travels in the attempt's result.
var errAttemptFailed = errors.New("attempt failed")

// Check runs one service's check with its attempts under ctx's deadline (the
// caller sets the deadline, below the interval) and returns the outcome. It
// never returns an error: every failure is a Result with Status Down, an
// uptime.ErrorKind and a sanitized Detail. Result.Time is the start of the
// check (UTC), Attempts how many were made.
//
// Every failure kind is retried, task_failed and bad_result included: a retry
// costs little and hides a one-off, and the tracker's threshold is the place
// that decides what counts as an outage. Attempts stop early when the
// deadline could not fit another retry_delay plus a short attempt. When
// every attempt failed, the result is the most decisive one's (see the
// package doc), not merely the last's.
func (p *Prober) Check(ctx context.Context, svc uptime.Service) uptime.Result {
	start := p.now()
	run := p.attemptFunc(svc)

	var kept outcome // the decisive attempt's, or the one that was up
	var last outcome // the latest attempt's
	attempts := 0
	op := func() error {
		attempts++
		o := run(ctx, svc)
		last = o
		// A timeout once the check's own deadline has passed says nothing
		// about the service, only that the check ran out of time.
		o.cut = o.cut || o.kind == uptime.ErrTimeout && ctx.Err() != nil
		if o.kind == "" || attempts == 1 || decisiveness(o) >= decisiveness(kept) {
			kept = o
		}
		if o.kind != "" {
			return errAttemptFailed
		}
		return nil
	}
	n := max(svc.Retries, 1)
	var b backoff.BackOff = backoff.WithMaxRetries(backoff.NewConstantBackOff(svc.RetryDelay), uint64(n-1))
	b = backoff.WithContext(&deadlineBackOff{ctx: ctx, next: b}, ctx)
	var notify backoff.Notify
	if p.Retrying != nil {
		notify = func(_ error, wait time.Duration) {
			p.Retrying(svc, Retry{Next: attempts + 1, Of: n, Wait: wait, Error: last.kind,
				Detail: Sanitize(redactSecrets(last.detail, svc))})
		}
	}
	// The error is either errAttemptFailed or ctx's; both are already in kept.
	_ = backoff.RetryNotifyWithTimer(op, b, notify, &sleepTimer{ctx: ctx, sleep: p.sleep})

	res := uptime.Result{
		Time:     start.UTC(),
		Service:  svc.Name,
		Status:   uptime.Up,
		Code:     kept.code,
		MS:       kept.latency.Milliseconds(),
		Attempts: attempts,
		Polls:    kept.polls,
	}
	switch {
	case kept.kind != "":
		res.Status = uptime.Down
		res.Error = kept.kind
		// Secrets go before Sanitize can cut one in half at its length limit.
		res.Detail = Sanitize(redactSecrets(kept.detail, svc))
	case svc.DegradedAfter > 0 && kept.latency > svc.DegradedAfter:
		res.Status = uptime.Degraded
	}
	return res
}

// outcome is what one attempt found. kind is empty when it was up.
type outcome struct {
	code    int
	latency time.Duration
	polls   int
	kind    uptime.ErrorKind
	detail  string // raw; Check sanitizes it once
	cut     bool   // the check's deadline ended the attempt before its answer
}

// decisiveness ranks a failed attempt by how much it says about the
// service, higher more: the ranking in the package doc.
func decisiveness(o outcome) int {
	if o.cut {
		return 0
	}
	switch o.kind {
	case uptime.ErrTaskFailed, uptime.ErrBadResult, uptime.ErrInternal:
		return 4
	case uptime.ErrStatus, uptime.ErrRedirect, uptime.ErrBody, uptime.ErrNotJSON, uptime.ErrTooLarge, uptime.ErrNoTaskID:
		return 3
	case uptime.ErrTimeout, uptime.ErrTaskTimeout:
		return 1
	}
	return 2 // dns, connect, tls, protocol: the connection failed
}

func (p *Prober) attemptFunc(svc uptime.Service) func(context.Context, uptime.Service) outcome {
	switch svc.CheckType {
	case uptime.CheckHTTP, "":
		return p.plainAttempt
	case uptime.CheckAsyncTwoPhase:
		return p.asyncAttempt
	}
	return func(context.Context, uptime.Service) outcome {
		return outcome{kind: uptime.ErrInternal, detail: "unknown check_type " + string(svc.CheckType)}
	}
}

func (p *Prober) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Prober) maxBody(svc uptime.Service) int64 {
	switch {
	case svc.MaxBody > 0:
		return svc.MaxBody
	case p.MaxBody > 0:
		return p.MaxBody
	}
	return DefaultMaxBody
}

func (p *Prober) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return wait.For(ctx, d)
}

// fits reports whether ctx's deadline leaves room for a wait of d and then
// a short attempt. The deadline is wall-clock time, so this uses the real
// clock, not Prober.Now.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) >= d+minAttempt
}

// deadlineBackOff stops the retries when the deadline could not fit the
// next wait and another attempt.
type deadlineBackOff struct {
	ctx  context.Context
	next backoff.BackOff
}

func (b *deadlineBackOff) Reset() { b.next.Reset() }

func (b *deadlineBackOff) NextBackOff() time.Duration {
	d := b.next.NextBackOff()
	if d == backoff.Stop || !fits(b.ctx, d) {
		return backoff.Stop
	}
	return d
}

// sleepTimer adapts Prober.Sleep to backoff.Timer, so tests can replace the
// wait between attempts. Start waits synchronously; the channel then holds a
// tick unless ctx ended the wait, in which case backoff sees ctx.Done instead.
type sleepTimer struct {
	ctx   context.Context
	sleep func(context.Context, time.Duration) error
	c     chan time.Time
}

func (t *sleepTimer) Start(d time.Duration) {
	t.c = make(chan time.Time, 1)
	if err := t.sleep(t.ctx, d); err == nil || t.ctx.Err() == nil {
		t.c <- time.Time{}
	}
}

func (t *sleepTimer) Stop() {}

func (t *sleepTimer) C() <-chan time.Time { return t.c }
