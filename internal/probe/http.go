package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// maxRedirects is how many redirects a check follows before it gives up
// with kind redirect.
const maxRedirects = 10

var errTooManyRedirects = errors.New("stopped after 10 redirects")

// plainAttempt is one attempt of a plain HTTP check: one request, its status
// compared with the expected ones, then the body assertions.
func (p *Prober) plainAttempt(ctx context.Context, svc uptime.Service) outcome {
	c := p.newClient(svc)
	defer c.close()
	method := cmpOr(svc.Method, http.MethodGet)

	r := c.do(ctx, method, svc.URL, svc.Body)
	o := outcome{code: r.code, latency: r.latency, kind: r.kind, detail: r.detail}
	if o.kind != "" {
		return o
	}
	if !statusExpected(r.code, svc.ExpectedStatus) {
		o.kind = uptime.ErrStatus
		if r.code >= 300 && r.code < 400 && !svc.FollowRedirects {
			// An unexpected redirect is worth naming as such: the fix is
			// usually the URL or follow_redirects, not the service.
			o.kind = uptime.ErrRedirect
		}
		o.detail = fmt.Sprintf("HTTP %d from %s %s, want %s", r.code, method, detailURL(svc.URL), wantStatus(svc.ExpectedStatus))
		return o
	}
	o.kind, o.detail = assertBody(r.body, svc.ExpectBody, svc.ExpectJSON)
	return o
}

// client is one attempt's HTTP client. Its transport is new and keeps no
// connection alive, so every request dials afresh and a stale keep-alive
// connection can never hide an outage.
type client struct {
	p       *Prober
	svc     uptime.Service
	hc      *http.Client
	tr      *http.Transport
	maxBody int64
}

func (p *Prober) newClient(svc uptime.Service) *client {
	dial := p.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	// No proxy from the environment: the monitor should see a service the
	// way the public reaches it.
	tr := &http.Transport{
		DialContext:            dial,
		DisableKeepAlives:      true,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    svc.Timeout,
		ResponseHeaderTimeout:  svc.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	c := &client{p: p, svc: svc, tr: tr, maxBody: p.maxBody()}
	c.hc = &http.Client{Transport: tr, CheckRedirect: c.checkRedirect}
	return c
}

func (c *client) close() { c.tr.CloseIdleConnections() }

// checkRedirect enforces follow_redirects and the redirect limit, and keeps
// secret headers on the original host: Go drops Authorization and Cookie on
// a cross-host redirect but copies every other header, ${VAR} ones included.
func (c *client) checkRedirect(req *http.Request, via []*http.Request) error {
	if !c.svc.FollowRedirects {
		return http.ErrUseLastResponse
	}
	if len(via) > maxRedirects { // via holds the original request and every redirect so far
		return errTooManyRedirects
	}
	// Once the chain has left the original host (or scheme), secrets stay
	// behind even if a later hop comes back.
	left := offOrigin(via[0], req)
	for _, r := range via[1:] {
		left = left || offOrigin(via[0], r)
	}
	if left {
		for _, h := range c.svc.Headers {
			if h.Secret {
				req.Header.Del(h.Name)
			}
		}
	}
	return nil
}

func offOrigin(orig, r *http.Request) bool {
	return !strings.EqualFold(r.URL.Host, orig.URL.Host) || r.URL.Scheme != orig.URL.Scheme
}

// response is what one request found: the status and a capped body, or a
// failure kind with its raw detail.
type response struct {
	code    int
	body    []byte
	latency time.Duration
	kind    uptime.ErrorKind
	detail  string
}

// do sends one request under the service's per-request timeout and reads
// at most maxBody bytes of the answer. Latency runs to the end of that read.
func (c *client) do(ctx context.Context, method, url, body string) response {
	if c.svc.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.svc.Timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		// The text of a bad URL may hold a secret; name the problem only.
		return response{kind: uptime.ErrInternal, detail: "cannot build the " + method + " request: check url and method"}
	}
	req.Header.Set("User-Agent", c.p.UserAgent)
	for _, h := range c.svc.Headers {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Set(h.Name, h.Value)
	}

	start := c.p.now()
	resp, err := c.hc.Do(req)
	if err != nil {
		r := response{latency: c.p.now().Sub(start)}
		r.kind, r.detail = failure(ctx, method+" "+detailURL(url), err, r.latency)
		return r
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody))
	r := response{code: resp.StatusCode, body: b, latency: c.p.now().Sub(start)}
	if err != nil {
		r.kind, r.detail = failure(ctx, method+" "+detailURL(url)+" body", err, r.latency)
	}
	return r
}

// failure classifies a transport error and words its detail without the
// request URL's query or userinfo, and without any header value.
func failure(ctx context.Context, where string, err error, elapsed time.Duration) (uptime.ErrorKind, string) {
	kind := classify(ctx, err)
	switch kind {
	case uptime.ErrTimeout:
		return kind, fmt.Sprintf("%s: no answer within %s", where, elapsed.Round(time.Millisecond))
	case uptime.ErrRedirect:
		return kind, fmt.Sprintf("%s: %v", where, errTooManyRedirects)
	}
	return kind, where + ": " + innerError(err)
}

// statusExpected reports whether code is one of want; no want means any 2xx.
func statusExpected(code int, want []int) bool {
	if len(want) == 0 {
		return code >= 200 && code < 300
	}
	return slices.Contains(want, code)
}

func wantStatus(want []int) string {
	switch len(want) {
	case 0:
		return "2xx"
	case 1:
		return fmt.Sprint(want[0])
	}
	s := make([]string, len(want))
	for i, w := range want {
		s[i] = fmt.Sprint(w)
	}
	return "one of " + strings.Join(s, ",")
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
