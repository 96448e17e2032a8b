package probe

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/Sefaria/statusgen/internal/realserver"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestCheckThroughProxy: checks go through a real forward proxy
// (tinyproxy, with a password): plain http forwarded, https tunnelled
// with CONNECT. The route is the service's proxy, else the Prober's, and
// "none" goes direct. The proxy's password never reaches a detail.
func TestCheckThroughProxy(t *testing.T) {
	const user, password = "monitor", "pr0xyPa55word"
	proxyAddr := realserver.Tinyproxy(t, realserver.ProxyOptions{User: user, Password: password})
	withPassword := "http://" + user + ":" + password + "@" + proxyAddr
	wrongPassword := "http://" + user + ":wrong-" + password + "@" + proxyAddr

	var mu sync.Mutex
	var via []string // the Via header of each request the targets received
	h := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		via = append(via, r.Header.Get("Via"))
		mu.Unlock()
		writeJSON(w, 200, `{"allReady": true}`)
	}
	targets := map[string]string{
		"http":  newServer(t, h).URL,
		"https": newTLSServer(t, thePKI(t).ecdsa, h).URL,
	}
	fixed := func(raw string) func(*http.Request) (*url.URL, error) {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return http.ProxyURL(u)
	}
	tests := []struct {
		name       string
		service    string                                // the service's proxy setting
		prober     func(*http.Request) (*url.URL, error) // the Prober's route
		direct     bool                                  // the check dials the target, not the proxy
		kind       uptime.ErrorKind
		detail     string // in the detail when kind is set
		proxiedVia bool   // a plain-http target sees tinyproxy's Via
	}{
		{name: "the service's proxy", service: withPassword},
		{name: "the prober's route", prober: fixed(withPassword)},
		{name: "the service's none over the prober's route", service: "none", prober: fixed(withPassword), direct: true},
		{name: "the service's proxy over the prober's route", service: withPassword, prober: fixed(wrongPassword)},
		{name: "no password", service: "http://" + proxyAddr, kind: uptime.ErrInternal, detail: "407"},
		// tinyproxy answers a wrong password with 401. To a CONNECT that is
		// the proxy's; to a plain-http request it could be the service's,
		// so there it is a status like any other.
		{name: "a wrong password", service: wrongPassword, kind: uptime.ErrInternal, detail: "the proxy answered CONNECT with HTTP 401"},
	}
	for _, tt := range tests {
		for _, scheme := range []string{"http", "https"} {
			kind, detail := tt.kind, tt.detail
			if tt.name == "a wrong password" && scheme == "http" {
				kind, detail = uptime.ErrStatus, "HTTP 401 from GET "+targets["http"]
			}
			t.Run(tt.name+" "+scheme, func(t *testing.T) {
				p, _ := tlsProber(t)
				p.Proxy = tt.prober
				var dialled []string
				var dmu sync.Mutex
				p.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
					dmu.Lock()
					dialled = append(dialled, addr)
					dmu.Unlock()
					return (&net.Dialer{}).DialContext(ctx, network, addr)
				}
				mu.Lock()
				via = nil
				mu.Unlock()
				svc := plainService(targets[scheme])
				svc.Proxy = tt.service
				svc.ExpectJSON = map[string]any{"allReady": true}
				got := p.Check(context.Background(), svc)
				if kind != "" {
					checkResult(t, got, uptime.Down, kind)
					if !strings.Contains(got.Detail, detail) {
						t.Errorf("Check().Detail = %q, want it to contain %q", got.Detail, detail)
					}
				} else {
					checkResult(t, got, uptime.Up, "")
				}
				if strings.Contains(got.Detail, password) {
					t.Errorf("Check().Detail = %q, shows the proxy's password", got.Detail)
				}
				want := proxyAddr
				if tt.direct {
					want = strings.TrimPrefix(targets[scheme], scheme+"://")
				}
				dmu.Lock()
				defer dmu.Unlock()
				if len(dialled) != 1 || dialled[0] != want {
					t.Errorf("the check dialled %q, want only %s", dialled, want)
				}
				mu.Lock()
				defer mu.Unlock()
				if scheme == "http" && kind == "" {
					if proxied := len(via) == 1 && strings.Contains(via[0], "tinyproxy"); proxied == tt.direct {
						t.Errorf("the target saw Via %q; want tinyproxy's %t", via, !tt.direct)
					}
				}
			})
		}
	}
}
