package probe

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestCheckTransportErrors runs real failures, one per kind, through Check.
func TestCheckTransportErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, p *Prober) string // returns the URL to check
		kind  uptime.ErrorKind
		slow  bool // the case waits for the timeout, so keep it short
	}{
		{"slow server past the timeout", func(t *testing.T, p *Prober) string {
			return newServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }).URL
		}, uptime.ErrTimeout, true},
		{"headers then a stalled body", func(t *testing.T, p *Prober) string {
			return newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(200)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			}).URL
		}, uptime.ErrTimeout, true},
		{"connection refused", func(t *testing.T, p *Prober) string {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			return "http://" + addr + "/"
		}, uptime.ErrConnect, false},
		{"hang-up without an answer", func(t *testing.T, p *Prober) string {
			return newServer(t, func(w http.ResponseWriter, r *http.Request) { hangUp(w) }).URL
		}, uptime.ErrConnect, false},
		{"non-HTTP reply", func(t *testing.T, p *Prober) string {
			return rawServer(t, "SSH-2.0-OpenSSH_9.6\r\n\r\n")
		}, uptime.ErrProtocol, false},
		{"HTTP answer to HTTPS", func(t *testing.T, p *Prober) string {
			return strings.Replace(newServer(t, func(w http.ResponseWriter, r *http.Request) {}).URL, "http:", "https:", 1)
		}, uptime.ErrProtocol, false},
		{"untrusted certificate", func(t *testing.T, p *Prober) string {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake error is expected
			srv.StartTLS()
			t.Cleanup(srv.Close)
			return srv.URL
		}, uptime.ErrTLS, false},
		{"name does not resolve", func(t *testing.T, p *Prober) string {
			p.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, _, _ := net.SplitHostPort(addr)
				return nil, &net.DNSError{Err: "no such host", Name: host, Server: "10.255.255.53:53", IsNotFound: true}
			}
			return "http://status-probe.invalid/healthz"
		}, uptime.ErrDNS, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newProber()
			svc := plainService(tt.setup(t, p) + "?token=s3cret")
			svc.Timeout = 5 * time.Second
			if tt.slow {
				svc.Timeout = 100 * time.Millisecond
			}
			start := time.Now()
			got := p.Check(context.Background(), svc)
			checkResult(t, got, uptime.Down, tt.kind)
			if d := time.Since(start); d > svc.Timeout+time.Second {
				t.Errorf("Check() took %v, want at most about the %v timeout", d, svc.Timeout)
			}
			if got.Detail == "" || got.Detail != Sanitize(got.Detail) || strings.Contains(got.Detail, "s3cret") {
				t.Errorf("Check().Detail = %q, want a sanitized detail without the query", got.Detail)
			}
			if strings.Contains(got.Detail, "10.255.255.53") {
				t.Errorf("Check().Detail = %q names the monitor's resolver, want it left out", got.Detail)
			}
			if testing.Verbose() {
				t.Logf("detail: %s", got.Detail)
			}
		})
	}
}

// rawServer reads a request's first bytes from every connection, then
// answers with reply and closes it.
func rawServer(t *testing.T, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Read(make([]byte, 512))
			io.WriteString(c, reply)
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}
