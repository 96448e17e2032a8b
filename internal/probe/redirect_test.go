package probe

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// seenHeaders records the headers each request of a test received, by
// scheme, host and path.
type seenHeaders struct {
	mu   sync.Mutex
	seen map[string]http.Header
}

func (s *seenHeaders) record(scheme string, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]http.Header{}
	}
	s.seen[scheme+"://"+r.Host+r.URL.Path] = r.Header.Clone()
}

func (s *seenHeaders) at(key string) (http.Header, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.seen[key]
	return h, ok
}

// redirector answers /go?to=URL with a 302 to URL, anything else with 200.
func redirector(scheme string, seen *seenHeaders) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		seen.record(scheme, r)
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		w.Write([]byte("ok"))
	}
}

// TestCheckRedirectNeverSendsReferer: Go's client names the previous URL,
// query string and all, in a Referer on every redirect; a check never
// sends one, to the same host or another.
func TestCheckRedirectNeverSendsReferer(t *testing.T) {
	var seen seenHeaders
	srv := newServer(t, redirector("http", &seen))
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	p, _ := newProber()
	p.DialContext = dialAllTo(addr)
	tests := []struct{ name, from, landing string }{
		{"to another host", "http://origin.test:" + port + "/go?api_key=s3cret&to=http://other.test:" + port + "/landing",
			"http://other.test:" + port + "/landing"},
		{"on the same host", "http://origin.test:" + port + "/go?api_key=s3cret&to=/same",
			"http://origin.test:" + port + "/same"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := plainService(tt.from)
			svc.FollowRedirects = true
			checkResult(t, p.Check(context.Background(), svc), uptime.Up, "")
			h, ok := seen.at(tt.landing)
			if !ok {
				t.Fatalf("no request reached %s", tt.landing)
			}
			if ref := h.Get("Referer"); ref != "" {
				t.Errorf("%s got Referer %q, want none", tt.landing, ref)
			}
		})
	}
}

// TestCheckRedirectCredentials: a check's credentials follow a redirect on
// its own host, from http up to https included, and never one that goes
// to another host (a subdomain too) or from https down to http, nor any
// hop after that. Headers that are not credentials go everywhere.
func TestCheckRedirectCredentials(t *testing.T) {
	var seen seenHeaders
	plain := newServer(t, redirector("http", &seen))
	secure := newTLSServer(t, thePKI(t).ecdsa, redirector("https", &seen))
	httpURL, httpsURL := plain.URL, secure.URL // both on 127.0.0.1
	_, plainPort, _ := net.SplitHostPort(plain.Listener.Addr().String())
	sub := "http://sub.origin.test:" + plainPort

	const token = "tok3n5ecretvalue"
	headers := []uptime.Header{
		{Name: "Authorization", Value: "Bearer " + token, Secret: true},
		{Name: "X-Api-Key", Value: token, Secret: true},
		{Name: "Cookie", Value: "session=" + token},            // written in services.toml
		{Name: "Proxy-Authorization", Value: "Basic " + token}, // written in services.toml
		{Name: "X-Plain", Value: "plain"},
	}
	tests := []struct {
		name    string
		url     string
		landing string
		keep    bool
	}{
		{"http to https on the same host", httpURL + "/go?to=" + httpsURL + "/landing", httpsURL + "/landing", true},
		{"same host, same scheme", httpsURL + "/go?to=/landing", httpsURL + "/landing", true},
		{"https down to http", httpsURL + "/go?to=" + httpURL + "/landing", httpURL + "/landing", false},
		{"up, down and up again", httpURL + "/go?to=" + httpsURL + "/go?to=" + httpURL + "/go?to=" + httpsURL + "/again",
			httpsURL + "/again", false},
		{"to a subdomain", "http://origin.test:" + plainPort + "/go?to=" + sub + "/landing", sub + "/landing", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := tlsProber(t)
			p.DialContext = dialTestTo(plain.Listener.Addr().String())
			svc := plainService(tt.url)
			svc.FollowRedirects = true
			svc.Headers = headers
			checkResult(t, p.Check(context.Background(), svc), uptime.Up, "")
			got, ok := seen.at(tt.landing)
			if !ok {
				t.Fatalf("no request reached %s", tt.landing)
			}
			for _, h := range headers {
				v := got.Get(h.Name)
				switch {
				case !isCredential(h) && v != h.Value:
					t.Errorf("%s got %s %q, want %q", tt.landing, h.Name, v, h.Value)
				case isCredential(h) && tt.keep && v != h.Value:
					t.Errorf("%s got %s %q, want the check's credential", tt.landing, h.Name, v)
				case isCredential(h) && !tt.keep && v != "":
					t.Errorf("%s got %s %q, want no credential", tt.landing, h.Name, v)
				}
			}
		})
	}
}

// TestCheckRedirectNamesTheAnswer: a detail names the URL that answered,
// without its query string, and how many redirects led there; not the
// configured URL, which answered only with a redirect.
func TestCheckRedirectNamesTheAnswer(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/twice?token=s3cret", http.StatusFound)
		case "/twice":
			http.Redirect(w, r, "/broken?token=s3cret", http.StatusSeeOther)
		case "/broken":
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	tests := []struct {
		name, method, path, want string
	}{
		{"a 302 to a 503", http.MethodGet, "/twice?token=s3cret",
			"HTTP 503 from GET " + srv.URL + "/broken after 1 redirect, want 200"},
		{"two redirects, a POST made a GET", http.MethodPost, "/moved?token=s3cret",
			"HTTP 503 from GET " + srv.URL + "/broken after 2 redirects, want 200"},
		{"no redirect", http.MethodGet, "/broken?token=s3cret",
			"HTTP 503 from GET " + srv.URL + "/broken, want 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newProber()
			svc := plainService(srv.URL + tt.path)
			svc.Method = tt.method
			svc.FollowRedirects = true
			got := p.Check(context.Background(), svc)
			checkResult(t, got, uptime.Down, uptime.ErrStatus)
			if got.Detail != tt.want {
				t.Errorf("Check().Detail = %q, want %q", got.Detail, tt.want)
			}
		})
	}
}

// dialAllTo dials addr whatever address is asked for: every host name of
// a test is one local server.
func dialAllTo(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
}

// dialTestTo dials addr for any host under .test, and other addresses as
// they are.
func dialTestTo(addr string) func(ctx context.Context, network, a string) (net.Conn, error) {
	return func(ctx context.Context, network, a string) (net.Conn, error) {
		if host, _, _ := net.SplitHostPort(a); strings.HasSuffix(host, ".test") {
			a = addr
		}
		return (&net.Dialer{}).DialContext(ctx, network, a)
	}
}
