package probe

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
	c, err := p.newClient(svc)
	if err != nil {
		return outcome{kind: uptime.ErrInternal, detail: err.Error()}
	}
	defer c.close()
	method := cmpOr(svc.Method, http.MethodGet)

	// The body is read to its end (or the cap) either way, so that a
	// connection that breaks mid-body is down and latency covers the whole
	// answer; it is kept only when an assertion will look at it.
	keep := svc.ExpectBody != "" || len(svc.ExpectJSON) > 0
	r := c.do(ctx, method, svc.URL, svc.Body, keep)
	o := outcome{code: r.code, latency: r.latency, kind: r.kind, detail: r.detail}
	if o.kind != "" {
		return o
	}
	if !statusExpected(r.code, svc.ExpectedStatus) {
		o.kind = uptime.ErrStatus
		switch {
		case r.code == http.StatusProxyAuthRequired:
			// Only a proxy says 407: the monitor's credentials for it are wrong.
			o.kind = uptime.ErrInternal
		case r.code >= 300 && r.code < 400 && !svc.FollowRedirects:
			// An unexpected redirect is worth naming as such: the fix is
			// usually the URL or follow_redirects, not the service.
			o.kind = uptime.ErrRedirect
		}
		o.detail = fmt.Sprintf("HTTP %d from %s, want %s", r.code, r.from, wantStatus(svc.ExpectedStatus))
		return o
	}
	if keep {
		o.kind, o.detail = assertBody(r.body, r.cutAt, svc.ExpectBody, svc.ExpectJSON)
		if o.kind != "" && r.encoding != "" {
			o.detail += fmt.Sprintf(" (it is %s-encoded, as the check's Accept-Encoding header allowed, and statusgen decodes only gzip)", r.encoding)
		}
	}
	return o
}

// client is one attempt's HTTP client: http.Client, for redirects and
// checkRedirect, over the transport the service's settings select (see
// client.go). Every request it sends dials afresh.
type client struct {
	p       *Prober
	svc     uptime.Service
	hc      http.Client
	close   func() // releases an attempt's own transport
	maxBody int64
}

func (p *Prober) newClient(svc uptime.Service) (*client, error) {
	t, closeIdle, err := p.transport(svc)
	if err != nil {
		return nil, err
	}
	c := &client{p: p, svc: svc, close: closeIdle, maxBody: p.maxBody(svc)}
	c.hc = http.Client{Transport: t, CheckRedirect: c.checkRedirect}
	return c, nil
}

// checkRedirect enforces follow_redirects and the redirect limit, never
// sends a Referer (Go adds one naming the previous URL, query string
// included), and decides where the check's credentials go: to every hop
// on the original host, an upgrade from http to https included, and
// nowhere once the chain has gone to another host (a subdomain too) or
// from https back to http, even if a later hop comes back. Credentials
// are secret headers (${VAR}) and Authorization, Cookie and
// Proxy-Authorization however written. Go would keep Authorization on a
// subdomain and on a downgrade, and copies every other header anywhere.
func (c *client) checkRedirect(req *http.Request, via []*http.Request) error {
	if !c.svc.FollowRedirects {
		return http.ErrUseLastResponse
	}
	if len(via) > maxRedirects { // via holds the original request and every redirect so far
		return errTooManyRedirects
	}
	req.Header.Del("Referer")
	keep := credentialsMayFollow(via, req)
	for _, h := range c.svc.Headers {
		switch {
		case strings.EqualFold(h.Name, "Host"):
		case isCredential(h) && !keep:
			req.Header.Del(h.Name)
		default:
			req.Header.Set(h.Name, h.Value) // a Referer the service sets is its own
		}
	}
	return nil
}

// credentialsMayFollow reports whether every request of the chain, next
// included, went to the original host and none went from https to http.
func credentialsMayFollow(via []*http.Request, next *http.Request) bool {
	host := via[0].URL.Hostname()
	secure := false
	hop := func(u *url.URL) bool {
		if !strings.EqualFold(u.Hostname(), host) {
			return false
		}
		if u.Scheme == "https" {
			secure = true
		}
		return u.Scheme == "https" || !secure
	}
	for _, r := range via {
		if !hop(r.URL) {
			return false
		}
	}
	return hop(next.URL)
}

func isCredential(h uptime.Header) bool {
	switch http.CanonicalHeaderKey(h.Name) {
	case "Authorization", "Cookie", "Proxy-Authorization":
		return true
	}
	return h.Secret
}

// response is what one request found: the status, who gave it, and a
// capped body, or a failure kind with its raw detail.
type response struct {
	code  int
	from  string // the method and URL that answered, sanitized; "after N redirects" when there were
	body  []byte
	cutAt int64 // when the body went on past the cap, the cap; else 0
	// encoding is the Content-Encoding the body is still in, which only
	// the service's own Accept-Encoding header can bring: not gzip.
	encoding string
	latency  time.Duration
	kind     uptime.ErrorKind
	detail   string
}

// do sends one request under the service's per-request timeout and reads
// at most maxBody bytes of the answer, keeping them if keep is set.
// Latency runs to the end of that read.
func (c *client) do(ctx context.Context, method, rawURL, body string, keep bool) response {
	if c.svc.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.svc.Timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, requestCtxKey{}, ctx), method, rawURL, rd)
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
		r.kind, r.detail = failure(ctx, failedRequest(err, method, rawURL), err, r.latency)
		return r
	}
	defer resp.Body.Close()
	r := response{code: resp.StatusCode, from: answered(resp)}
	in, length, gunzipped := decoded(resp)
	if !gunzipped && !resp.Uncompressed {
		r.encoding = contentEncoding(resp)
	}
	if keep {
		var cut bool
		r.body, cut, err = readBody(in, length, c.maxBody)
		if cut {
			r.cutAt = c.maxBody
		}
	} else {
		_, err = io.Copy(io.Discard, io.LimitReader(in, c.maxBody))
	}
	r.latency = c.p.now().Sub(start)
	if err != nil {
		where := r.from + " body"
		if gunzipped {
			where += " (gzip)"
		}
		r.kind, r.detail = failure(ctx, where, err, r.latency)
	}
	return r
}

// decoded is resp's body as a check reads it, with its length if known,
// and whether it is gzip decoded. The Transport decodes the gzip it asked
// for, but asks for nothing when the service sets its own Accept-Encoding
// (copied from a browser, say): a gzip answer is then decoded here, as a
// browser would, so that it is not taken for garbage.
func decoded(resp *http.Response) (body io.Reader, length int64, gunzipped bool) {
	if resp.Uncompressed {
		return resp.Body, resp.ContentLength, true
	}
	switch contentEncoding(resp) {
	case "gzip", "x-gzip":
		return &lazyGzip{r: resp.Body}, -1, true
	}
	return resp.Body, resp.ContentLength, false
}

// contentEncoding is resp's Content-Encoding, lower case; "" for identity.
func contentEncoding(resp *http.Response) string {
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	if enc == "identity" {
		return ""
	}
	return enc
}

// lazyGzip opens the gzip stream at the first read, as the Transport
// does, so that an empty body (HEAD, 204) reads as empty.
type lazyGzip struct {
	r   io.Reader
	zr  *gzip.Reader
	err error
}

func (l *lazyGzip) Read(p []byte) (int, error) {
	if l.zr == nil && l.err == nil {
		l.zr, l.err = gzip.NewReader(l.r)
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.zr.Read(p)
}

// answered names the request whose answer resp is: its method and URL,
// sanitized, and how many redirects led there.
func answered(resp *http.Response) string {
	req := resp.Request
	s := req.Method + " " + sanitizedURL(req.URL)
	n := 0
	for r := req; r.Response != nil && r.Response.Request != nil; r = r.Response.Request {
		n++
	}
	switch n {
	case 0:
		return s
	case 1:
		return s + " after 1 redirect"
	}
	return fmt.Sprintf("%s after %d redirects", s, n)
}

// failedRequest names the request a transport error is about: the hop of
// a redirect chain that failed (net/http may give it relative to the
// previous one), else the configured one, which also names a chain that
// was too long.
func failedRequest(err error, method, rawURL string) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != "" && !errors.Is(err, errTooManyRedirects) {
		if base, perr := url.Parse(rawURL); perr == nil {
			if u, perr := base.Parse(ue.URL); perr == nil && u.Host != "" {
				return strings.ToUpper(ue.Op) + " " + sanitizedURL(u)
			}
		}
	}
	return method + " " + detailURL(rawURL)
}

// readBody reads r to its end or to limit bytes, like io.ReadAll on an
// io.LimitReader, but sized from the Content-Length when there is one, so
// that a body of a few KiB is not copied through a chain of growing
// buffers. The length is the server's word, so it is trusted only up to
// 64 KiB; beyond that the buffer grows as it fills. cut reports that the
// body went on past limit.
func readBody(r io.Reader, contentLength, limit int64) (body []byte, cut bool, err error) {
	size := int64(512)
	if contentLength >= 0 {
		size = min(contentLength, limit, 64<<10) + 1 // room to see io.EOF without growing
	}
	b := make([]byte, 0, size)
	lr := io.LimitedReader{R: r, N: limit + 1} // one byte more tells a cut body from one that fits
	for {
		if len(b) == cap(b) {
			// Doubling, where append grows a large slice by a quarter: a
			// body at the cap then costs about twice the cap, not five times.
			nb := make([]byte, len(b), min(2*int64(cap(b)), limit+1))
			copy(nb, b)
			b = nb
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		switch {
		case int64(len(b)) > limit:
			return b[:limit], true, nil
		case err == io.EOF:
			return b, false, nil
		case err != nil:
			return b, false, err
		}
	}
}

// failure classifies a transport error and words its detail without the
// request URL's query or userinfo, and without any header value.
func failure(ctx context.Context, where string, err error, elapsed time.Duration) (uptime.ErrorKind, string) {
	kind := classify(ctx, err)
	switch {
	case kind == uptime.ErrTimeout:
		return kind, fmt.Sprintf("%s: no answer within %s", where, elapsed.Round(time.Millisecond))
	case kind == uptime.ErrRedirect:
		return kind, fmt.Sprintf("%s: %v", where, errTooManyRedirects)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return kind, where + ": the answer broke off (unexpected EOF)"
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
