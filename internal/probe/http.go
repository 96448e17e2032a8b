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
		if r.code >= 300 && r.code < 400 && !svc.FollowRedirects {
			// An unexpected redirect is worth naming as such: the fix is
			// usually the URL or follow_redirects, not the service.
			o.kind = uptime.ErrRedirect
		}
		o.detail = fmt.Sprintf("HTTP %d from %s %s, want %s", r.code, method, detailURL(svc.URL), wantStatus(svc.ExpectedStatus))
		return o
	}
	if keep {
		o.kind, o.detail = assertBody(r.body, svc.ExpectBody, svc.ExpectJSON)
	}
	return o
}

// maxHeaderBytes caps a response's headers.
const maxHeaderBytes = 64 << 10

// client is one attempt's HTTP client. Every request it sends dials afresh
// and its connection is closed after the answer, so a stale keep-alive
// connection can never hide an outage. It is its own RoundTripper: plain
// http goes out on a bare connection (see Prober.roundTrip), https through
// a transport of the attempt's own. http.Client stays on top of both for
// redirects and checkRedirect.
type client struct {
	p       *Prober
	svc     uptime.Service
	hc      http.Client
	tls     *http.Transport // made at the attempt's first https request
	maxBody int64
}

func (p *Prober) newClient(svc uptime.Service) *client {
	p.init.Do(p.build)
	c := &client{p: p, svc: svc, maxBody: p.maxBody()}
	c.hc = http.Client{Transport: c, CheckRedirect: c.checkRedirect}
	return c
}

// build makes what every check shares: the dialer, and the transport for
// the rare plain-http URL whose host needs IDNA (see RoundTrip). Neither
// holds a connection between requests.
func (p *Prober) build() {
	// A connection lives for one request, far less than the first TCP
	// keep-alive probe would wait; enabling them costs syscalls per check.
	p.dialer = net.Dialer{KeepAlive: -1}
	// HTTP/1 only, keep-alives off: each request gets a new connection,
	// closed once its body is read, and nothing is pooled, so one transport
	// serves every check at once. No proxy from the environment: the
	// monitor should see a service the way the public reaches it. The
	// per-request timeout is the request's context (see do), which starts
	// before the dial, so it also bounds the headers.
	var h1 http.Protocols
	h1.SetHTTP1(true)
	p.plain = &http.Transport{
		DialContext:            p.dial,
		DisableKeepAlives:      true,
		Protocols:              &h1,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
}

// RoundTrip sends plain http on a bare connection and https through the
// attempt's own transport. HTTPS cannot share one: an HTTP/2 transport
// hands a new request to any open connection to the same host, so two
// checks of one host running at once would share a connection,
// keep-alives off or not. A TLS handshake costs far more than the
// transport anyway. A host that is not ASCII goes through the shared
// plain transport, which converts it to its IDNA (xn--) form for the dial,
// as does anything that is neither http nor https (it reports the
// unsupported scheme).
func (c *client) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case req.URL.Scheme == "http" && isASCII(req.URL.Host):
		return c.p.roundTrip(req)
	case req.URL.Scheme != "https":
		return c.p.plain.RoundTrip(req)
	}
	if c.tls == nil {
		c.tls = &http.Transport{
			DialContext:            c.p.dial,
			DisableKeepAlives:      true,
			ForceAttemptHTTP2:      true,
			TLSHandshakeTimeout:    c.svc.Timeout,
			ResponseHeaderTimeout:  c.svc.Timeout,
			MaxResponseHeaderBytes: maxHeaderBytes,
		}
	}
	return c.tls.RoundTrip(req)
}

func (c *client) close() {
	if c.tls != nil {
		c.tls.CloseIdleConnections()
	}
}

// requestCtxKey carries a request's own context to the dialer. net/http
// dials with a context detached from the request, so that a later request
// may take the connection; with keep-alives off none ever will, and a dial
// that outlived its request (to a black-holed address, say) would hold a
// goroutine and a socket for minutes.
type requestCtxKey struct{}

func (p *Prober) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if rc, ok := ctx.Value(requestCtxKey{}).(context.Context); ok {
		ctx = rc
	}
	if p.DialContext != nil {
		return p.DialContext(ctx, network, addr)
	}
	return p.dialer.DialContext(ctx, network, addr)
}

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
// at most maxBody bytes of the answer, keeping them if keep is set.
// Latency runs to the end of that read.
func (c *client) do(ctx context.Context, method, url, body string, keep bool) response {
	if c.svc.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.svc.Timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, requestCtxKey{}, ctx), method, url, rd)
	if err != nil {
		// The text of a bad URL may hold a secret; name the problem only.
		return response{kind: uptime.ErrInternal, detail: "cannot build the " + method + " request: check url and method"}
	}
	req.Close = true // the connection is not reused, and the server may know it
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
	r := response{code: resp.StatusCode}
	if keep {
		r.body, err = readBody(resp.Body, resp.ContentLength, c.maxBody)
	} else {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, c.maxBody))
	}
	r.latency = c.p.now().Sub(start)
	if err != nil {
		r.kind, r.detail = failure(ctx, method+" "+detailURL(url)+" body", err, r.latency)
	}
	return r
}

// readBody reads r to its end or to limit bytes, like io.ReadAll on an
// io.LimitReader, but sized from the Content-Length when there is one, so
// that a body of a few KiB is not copied through a chain of growing
// buffers. The length is the server's word, so it is trusted only up to
// 64 KiB; beyond that the buffer grows as it fills.
func readBody(r io.Reader, contentLength, limit int64) ([]byte, error) {
	size := int64(512)
	if contentLength >= 0 {
		size = min(contentLength, limit, 64<<10) + 1 // room to see io.EOF without growing
	}
	b := make([]byte, 0, size)
	lr := io.LimitedReader{R: r, N: limit}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
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
