package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// A check's requests go through net/http's Transport, configured for
// checks rather than for browsing (docs/performance.md has the numbers
// behind each choice):
//
//   - A new connection per request: keep-alives off, so a connection that
//     once worked can never answer for a service that no longer does.
//   - HTTP/1.1 unless the service sets http2 = true: a health check needs
//     nothing HTTP/2 gives, and its setup costs about a tenth of a check.
//   - A classical X25519 key share unless the service sets post_quantum
//     (by default those that send secret headers): the hybrid
//     X25519MLKEM768 share Go offers by default costs about 0.2 ms of CPU
//     per handshake and protects only what a check sends.
//   - TLS sessions resumed from a cache every check shares, which skips
//     certificate verification, the largest cost left; the cache is emptied
//     every ResumeFor (a day), so every host still gets a full handshake,
//     and its certificate a full verification, at least that often.
//   - Response headers up to net/http's default of 1 MiB
//     (http.DefaultMaxHeaderBytes), bodies up to max_body, decompressed as
//     the Transport does it.
//   - The route is the service's proxy setting, or the Prober's Proxy.

// maxHeaderBytes caps a response's headers, 1xx answers included.
const maxHeaderBytes = http.DefaultMaxHeaderBytes

// DefaultResumeFor is how long TLS sessions are resumed before every host
// gets a full handshake again, when Prober.ResumeFor is 0.
const DefaultResumeFor = 24 * time.Hour

// defaultSessions is how many hosts' TLS sessions are kept, when
// Prober.Sessions is 0.
const defaultSessions = 1024

// classical is the key exchange a check offers unless it asks for the
// post-quantum hybrid: X25519's key share first; a server that supports
// only the NIST curves asks for one of them (HelloRetryRequest).
var classical = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}

// route is what one transport is shared by: the proxy setting and the key
// exchange. HTTP/2 is not shared (see transport).
type route struct {
	proxy       string
	postQuantum bool
}

// transport returns the transport for svc's checks. HTTP/1.1 transports
// are shared, since with keep-alives off each request dials its own
// connection. An HTTP/2 transport would hand a request to any open
// connection to the same host, so two checks of one host running at
// once would share one: such a service gets a transport of its own per
// attempt, which the caller closes with closeIdle.
func (p *Prober) transport(svc uptime.Service) (t *http.Transport, closeIdle func(), err error) {
	p.init.Do(p.build)
	key := route{svc.Proxy, svc.PostQuantum}
	p.mu.Lock()
	t, ok := p.transports[key]
	if !ok {
		proxy, perr := Proxy(svc.Proxy, p.Proxy)
		if perr != nil {
			p.mu.Unlock()
			return nil, nil, perr
		}
		t = p.newTransport(proxy, svc.PostQuantum)
		p.transports[key] = t
	}
	p.mu.Unlock()
	if !svc.HTTP2 {
		return t, func() {}, nil
	}
	t = t.Clone()
	var both http.Protocols
	both.SetHTTP1(true)
	both.SetHTTP2(true)
	t.Protocols = &both
	return t, t.CloseIdleConnections, nil
}

// build makes what every check shares: the dialer, the TLS session cache
// and the map of transports.
func (p *Prober) build() {
	// A connection lives for one request, far less than the first TCP
	// keep-alive probe would wait; enabling them costs syscalls per check.
	p.dialer = net.Dialer{KeepAlive: -1}
	p.transports = map[route]*http.Transport{}
	if p.ResumeFor >= 0 {
		every := p.ResumeFor
		if every == 0 {
			every = DefaultResumeFor
		}
		size := p.Sessions
		if size <= 0 {
			size = defaultSessions
		}
		p.sessions = &sessionCache{now: p.now, every: every, size: size}
	}
}

func (p *Prober) newTransport(proxy func(*http.Request) (*url.URL, error), postQuantum bool) *http.Transport {
	tc := &tls.Config{RootCAs: p.RootCAs}
	if p.sessions != nil {
		tc.ClientSessionCache = p.sessions
	}
	if !postQuantum {
		tc.CurvePreferences = classical
	}
	var h1 http.Protocols
	h1.SetHTTP1(true)
	// No timeouts here: the request's context (see do) starts before the
	// dial and bounds the handshake, the headers and the body.
	return &http.Transport{
		Proxy:                  proxy,
		DialContext:            p.dialFunc(proxy == nil),
		TLSClientConfig:        tc,
		DisableKeepAlives:      true,
		Protocols:              &h1,
		MaxResponseHeaderBytes: maxHeaderBytes,
		OnProxyConnectResponse: refusedConnect,
	}
}

// proxyRefusal is a proxy's answer other than 200 to the CONNECT of an
// https check. net/http would report only its reason phrase ("Bad
// Gateway"), which reads as if the service had said it.
type proxyRefusal struct{ code int }

func (e *proxyRefusal) Error() string {
	return fmt.Sprintf("the proxy answered CONNECT with HTTP %d %s", e.code, http.StatusText(e.code))
}

func refusedConnect(_ context.Context, _ *url.URL, _ *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return &proxyRefusal{code: resp.StatusCode}
}

// requestCtxKey carries a request's own context to the dialer. net/http
// dials with a context detached from the request, so that a later request
// may take the connection; with keep-alives off none ever will, and a dial
// that outlived its request (to a black-holed address, say) would hold a
// goroutine and a socket for minutes.
type requestCtxKey struct{}

// dialFunc dials for a transport. Without a proxy the connection is reset
// rather than closed at the end (SO_LINGER 0): the exchange is over, and
// neither end then keeps it in TIME_WAIT, which for thousands of services
// would hold thousands of the monitor's ports or of the servers' sockets.
// A proxy's connections close normally: a reset would read as an error in
// its logs.
func (p *Prober) dialFunc(reset bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if rc, ok := ctx.Value(requestCtxKey{}).(context.Context); ok {
			ctx = rc
		}
		var c net.Conn
		var err error
		if p.DialContext != nil {
			c, err = p.DialContext(ctx, network, addr)
		} else {
			c, err = p.dialer.DialContext(ctx, network, addr)
		}
		if tc, ok := c.(*net.TCPConn); ok && reset {
			tc.SetLinger(0) //nolint:errcheck // a plain close is the fallback
		}
		return c, err
	}
}

// Proxy resolves a proxy setting to a Transport's Proxy function: "none"
// is a direct connection (nil), a URL is that proxy for every request, and
// "" is def, the route from the environment. Its error never quotes the
// setting, whose userinfo is a secret.
func Proxy(setting string, def func(*http.Request) (*url.URL, error)) (func(*http.Request) (*url.URL, error), error) {
	switch setting {
	case "":
		return def, nil
	case "none":
		return nil, nil
	}
	u, err := url.Parse(setting)
	if err != nil || u.Host == "" {
		return nil, errors.New(`proxy must be "none" or a URL like "http://proxy.example:3128"`)
	}
	return http.ProxyURL(u), nil
}

// sessionCache is the TLS session cache every check shares, emptied every
// `every`, so that each host meets a full handshake, its certificate chain
// verified, at least that often: a resumed session skips the verification.
//
// A connection that began before the cache was emptied may hand in its new
// session after; it would spare its host the full handshake of the new
// period. So a session is kept only for a host asked about since the cache
// was emptied: the first handshake of each period found nothing, and was full.
type sessionCache struct {
	now   func() time.Time
	every time.Duration
	size  int

	mu    sync.Mutex
	start time.Time
	lru   tls.ClientSessionCache
	asked map[string]bool
}

func (s *sessionCache) Get(key string) (*tls.ClientSessionState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renew()
	s.asked[key] = true
	return s.lru.Get(key)
}

func (s *sessionCache) Put(key string, cs *tls.ClientSessionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renew()
	if s.asked[key] {
		s.lru.Put(key, cs)
	}
}

// renew empties the cache when its period is over, or when so many hosts
// were asked about that remembering them costs more than a handshake.
func (s *sessionCache) renew() {
	now := s.now()
	if s.lru != nil && now.Sub(s.start) < s.every && !now.Before(s.start) && len(s.asked) < 4*s.size {
		return
	}
	s.start = now
	s.lru = tls.NewLRUClientSessionCache(s.size)
	s.asked = map[string]bool{}
}
