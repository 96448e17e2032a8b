package probe

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestCheckTLSCertificates: chains as public CAs issue them pass; a
// certificate that is expired, for another name or from an unknown
// authority is tls, with the reason in the detail.
func TestCheckTLSCertificates(t *testing.T) {
	pki := thePKI(t)
	tests := []struct {
		name   string
		chain  chain
		kind   uptime.ErrorKind
		detail string
	}{
		{"ECDSA leaf and intermediate", pki.ecdsa, "", ""},
		{"RSA leaf and intermediate", pki.rsa, "", ""},
		{"one self-signed certificate, trusted", pki.single, "", ""},
		{"expired", pki.expired, uptime.ErrTLS, "expired"},
		{"for another name", pki.wrongName, uptime.ErrTLS, "doesn't contain any IP SANs"},
		{"leaf without its intermediate", chain{certs: pki.ecdsa.certs[:1], key: pki.ecdsa.key}, uptime.ErrTLS, "unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTLSServer(t, tt.chain, func(w http.ResponseWriter, r *http.Request) {})
			p, _ := tlsProber(t)
			got := p.Check(context.Background(), plainService(srv.URL))
			if tt.kind == "" {
				checkResult(t, got, uptime.Up, "")
				return
			}
			checkResult(t, got, uptime.Down, tt.kind)
			if !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("Check().Detail = %q, want it to name %q", got.Detail, tt.detail)
			}
		})
	}
}

// TestCheckTLSOffers: what a check offers a TLS server. HTTP/1.1 unless
// the service sets http2; the X25519 key share unless it sets
// post_quantum, which restores Go's default hybrid X25519MLKEM768.
func TestCheckTLSOffers(t *testing.T) {
	type seen struct {
		proto int
		curve tls.CurveID
	}
	got := make(chan seen, 1)
	srv := newTLSServer(t, thePKI(t).ecdsa, func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.ProtoMajor, r.TLS.CurveID}
	})
	tests := []struct {
		name  string
		edit  func(*uptime.Service)
		proto int
		curve tls.CurveID
	}{
		{"default", func(*uptime.Service) {}, 1, tls.X25519},
		{"http2", func(s *uptime.Service) { s.HTTP2 = true }, 2, tls.X25519},
		{"post_quantum", func(s *uptime.Service) { s.PostQuantum = true }, 1, tls.X25519MLKEM768},
		{"both", func(s *uptime.Service) { s.HTTP2, s.PostQuantum = true, true }, 2, tls.X25519MLKEM768},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := tlsProber(t)
			svc := plainService(srv.URL)
			tt.edit(&svc)
			checkResult(t, p.Check(context.Background(), svc), uptime.Up, "")
			if s := <-got; s != (seen{tt.proto, tt.curve}) {
				t.Errorf("the server saw HTTP/%d and %v, want HTTP/%d and %v", s.proto, s.curve, tt.proto, tt.curve)
			}
		})
	}
}

// TestCheckResumesTLSSessions: checks of a host resume the TLS session of
// an earlier one, which skips verifying the certificate, until a day has
// passed since the cache began: then the next check of each host makes a
// full handshake. So a certificate that went bad behind a resumable
// session is seen within a day.
func TestCheckResumesTLSSessions(t *testing.T) {
	pki := thePKI(t)
	var cert atomic.Pointer[tls.Certificate]
	good := pki.ecdsa.certificate()
	cert.Store(&good)
	resumed := make(chan bool, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// httptest would put its own certificate first; this server presents
	// whatever cert holds at each full handshake.
	srv := &http.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { resumed <- r.TLS.DidResume }),
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go srv.Serve(tls.NewListener(ln, &tls.Config{
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cert.Load(), nil },
	}))
	t.Cleanup(func() { srv.Close() })
	url := "https://" + ln.Addr().String() + "/"

	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	p, _ := tlsProber(t)
	p.Now = func() time.Time { return now }
	check := func(wantKind uptime.ErrorKind, wantResumed bool) {
		t.Helper()
		got := p.Check(context.Background(), plainService(url))
		if wantKind != "" {
			checkResult(t, got, uptime.Down, wantKind)
			return
		}
		if got.Status != uptime.Up {
			t.Fatalf("at %s Check() = %s/%q (%s), want up", now.Format(time.DateTime), got.Status, got.Error, got.Detail)
		}
		if r := <-resumed; r != wantResumed {
			t.Errorf("at %s the check resumed %t, want %t", now.Format(time.DateTime), r, wantResumed)
		}
	}

	check("", false) // the first meeting is a full handshake
	now = now.Add(time.Minute)
	check("", true)
	// The server now presents an expired certificate to full handshakes;
	// its session tickets still resume.
	bad := pki.expired.certificate()
	cert.Store(&bad)
	now = now.Add(23 * time.Hour)
	check("", true) // within the day: the resumed session hides it
	now = now.Add(time.Hour)
	check(uptime.ErrTLS, false) // a day on: a full handshake, and the expired certificate is seen

	cert.Store(&good)
	check("", false)
	p2, _ := tlsProber(t)
	p2.ResumeFor = -1
	for range 2 {
		if got := p2.Check(context.Background(), plainService(url)); got.Status != uptime.Up {
			t.Fatalf("Check() = %s/%q (%s), want up", got.Status, got.Error, got.Detail)
		}
		if <-resumed {
			t.Error("with ResumeFor < 0 a check resumed, want every handshake full")
		}
	}
}

// TestSessionCacheRenewal: a connection begun before the cache was
// renewed hands in its session after; it must not spare its host the
// full handshake of the new period.
func TestSessionCacheRenewal(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	c := &sessionCache{now: func() time.Time { return now }, every: 24 * time.Hour, size: 8}
	state := &tls.ClientSessionState{}

	c.Get("a.test") // a check of a.test begins
	c.Put("a.test", state)
	if got, ok := c.Get("a.test"); !ok || got != state {
		t.Fatalf("Get after Put = %v, %t; want the session", got, ok)
	}
	now = now.Add(24 * time.Hour)
	c.Put("a.test", state) // the session of a check begun in the last period
	if got, ok := c.Get("a.test"); ok {
		t.Errorf("Get in the new period = %v, want nothing: the first handshake of a period is full", got)
	}
	c.Put("a.test", state) // that full handshake's session
	if _, ok := c.Get("a.test"); !ok {
		t.Error("Get after the new period's full handshake found nothing, want its session")
	}
	c.Put("b.test", state) // never asked about in this period
	if _, ok := c.Get("b.test"); ok {
		t.Error("Get(b.test) found a session handed in unasked, want nothing")
	}
}

// TestCheckHTTP2FreshConnections: checks of one host over HTTP/2 running
// at once each open their own connection, as over HTTP/1.1, and none is
// left open after.
func TestCheckHTTP2FreshConnections(t *testing.T) {
	const checks = 8
	var conns, closed atomic.Int32
	var arrived sync.WaitGroup
	arrived.Add(checks)
	release := make(chan struct{})
	go func() { arrived.Wait(); close(release) }()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			w.WriteHeader(http.StatusHTTPVersionNotSupported)
		}
		arrived.Done()
		<-release // hold every answer until all checks are in flight
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{thePKI(t).ecdsa.certificate()}}
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			closed.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	p, _ := tlsProber(t)
	svc := plainService(srv.URL)
	svc.HTTP2 = true
	var wg sync.WaitGroup
	for range checks {
		wg.Go(func() { checkResult(t, p.Check(context.Background(), svc), uptime.Up, "") })
	}
	wg.Wait()
	if n := conns.Load(); n != checks {
		t.Errorf("%d HTTP/2 checks at once opened %d connections, want %d", checks, n, checks)
	}
	waitFor(t, func() bool { return closed.Load() == checks }, "every HTTP/2 connection closed")
}
