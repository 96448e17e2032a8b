// Package publish puts a rendered site where people can read it: a folder
// any static web server serves (Dir), or commits to a GitHub repository
// through the Git Data API (GitHub), optionally with an issue per outage.
package publish

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v66/github"
)

// Due reports whether to publish at now when the last publish was at last:
// at once after a transition, else once every has passed. A zero last (never
// published, or the last attempt failed) is always due, so a failed
// publish is retried on the next cycle.
func Due(now, last time.Time, every time.Duration, transitioned bool) bool {
	return transitioned || last.IsZero() || !now.Before(last.Add(every))
}

// NewClient returns a GitHub API client that sends token on every request.
// The token lives only in the transport: it is never part of a URL, an
// error or a log line.
func NewClient(token string) *github.Client { return NewClientVia(token, nil) }

// NewClientVia is NewClient sending its requests through base (nil:
// http.DefaultTransport), which chooses the route, a proxy for one.
func NewClientVia(token string, base http.RoundTripper) *github.Client {
	return github.NewClient(&http.Client{
		Transport:     &TokenTransport{Token: token, Base: base},
		Timeout:       60 * time.Second,
		CheckRedirect: sameHostRedirect,
	})
}

// errRedirectAway stops a redirect to another host. TokenTransport adds
// the token to every request it carries, redirects included, so following
// one off the API's host would hand the token to whoever it names.
var errRedirectAway = errors.New("redirect to another host refused: the token stays with the API")

func sameHostRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if !strings.EqualFold(req.URL.Host, via[0].URL.Host) || req.URL.Scheme != via[0].URL.Scheme {
		return errRedirectAway
	}
	return nil
}

// TokenTransport adds "Authorization: Bearer <Token>" to each request it
// carries (to a copy: the caller's request is not modified).
type TokenTransport struct {
	Token string
	Base  http.RoundTripper // nil: http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *TokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if t.Token == "" {
		return base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+t.Token)
	return base.RoundTrip(r)
}
