package probe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestCheckInformationalAnswers: a plain check skips 1xx answers the way
// net/http does and judges the final one; 101 is final.
func TestCheckInformationalAnswers(t *testing.T) {
	tests := []struct {
		name   string
		reply  string // written whole, then the connection closes
		status uptime.Status
		kind   uptime.ErrorKind
		code   int
	}{
		{"100 Continue then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
			uptime.Up, "", 200},
		{"103 Early Hints twice then 200", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
			"HTTP/1.1 103 Early Hints\r\nLink: </b.js>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
			uptime.Up, "", 200},
		{"100 Continue then 503", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
			uptime.Down, uptime.ErrStatus, 503},
		{"101 nobody asked for", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
			uptime.Down, uptime.ErrStatus, 101},
		{"100 Continue and nothing after", "HTTP/1.1 100 Continue\r\n\r\n", uptime.Down, uptime.ErrConnect, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tcpServer(t, func(c net.Conn) { io.WriteString(c, tt.reply) })
			p, _ := newProber()
			got := p.Check(context.Background(), plainService(url))
			checkResult(t, got, tt.status, tt.kind)
			if got.Code != tt.code {
				t.Errorf("Check().Code = %d, want %d", got.Code, tt.code)
			}
		})
	}
}

// TestCheckInformationalFlood: endless 1xx answers count towards the
// 64 KiB header cap, like one endless header.
func TestCheckInformationalFlood(t *testing.T) {
	url := tcpServer(t, func(c net.Conn) {
		for {
			if _, err := io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
				return
			}
		}
	})
	p, _ := newProber()
	svc := plainService(url)
	svc.Timeout = hostileTimeout
	got := p.Check(context.Background(), svc)
	checkResult(t, got, uptime.Down, uptime.ErrProtocol)
	if !strings.Contains(got.Detail, "headers exceeded") {
		t.Errorf("Check().Detail = %q, want it to name the header cap", got.Detail)
	}
}

// TestCheckRequestOnTheWire: what a server sees of a plain check, on the
// first request and on a redirect's: HTTP/1.1, Connection: close, the
// User-Agent, and no Accept-Encoding, so the answer is never compressed.
func TestCheckRequestOnTheWire(t *testing.T) {
	type seen struct {
		proto, ua, acceptEncoding string
		close                     bool
	}
	var mu sync.Mutex
	got := map[string]seen{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path] = seen{r.Proto, r.UserAgent(), r.Header.Get("Accept-Encoding"), r.Close}
		mu.Unlock()
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/landing", http.StatusFound)
		}
	})
	p, _ := newProber()
	svc := plainService(srv.URL + "/moved")
	svc.FollowRedirects = true
	checkResult(t, p.Check(context.Background(), svc), uptime.Up, "")
	want := seen{"HTTP/1.1", testUA, "", true}
	mu.Lock()
	defer mu.Unlock()
	for _, path := range []string{"/moved", "/landing"} {
		if got[path] != want {
			t.Errorf("request to %s = %+v, want %+v", path, got[path], want)
		}
	}
}

// TestCheckCancelledMidBody: when the caller gives up (the runner shuts
// down) while a body is arriving, the check ends at once as a timeout and
// its connection is closed, though the server never finishes the body.
func TestCheckCancelledMidBody(t *testing.T) {
	hungUp := make(chan struct{})
	url := tcpServer(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc")
		c.Read(make([]byte, 1)) // returns when the prober closes the connection
		close(hungUp)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, _ := newProber()
	p.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &cancelAfterBody{Conn: c, cancel: cancel}, nil
	}
	svc := plainService(url)
	svc.Timeout = time.Minute
	done := make(chan uptime.Result)
	go func() { done <- p.Check(ctx, svc) }()
	select {
	case got := <-done:
		checkResult(t, got, uptime.Down, uptime.ErrTimeout)
	case <-time.After(5 * time.Second):
		t.Fatal("Check() still running 5s after its context was cancelled mid-body")
	}
	select {
	case <-hungUp:
	case <-time.After(5 * time.Second):
		t.Error("the connection was still open 5s after the check ended, want it closed")
	}
}

// cancelAfterBody calls cancel at the first read after the client has
// seen a body byte, then reads on: only the cancellation can end that read.
type cancelAfterBody struct {
	net.Conn
	cancel context.CancelFunc
	read   []byte
}

func (c *cancelAfterBody) Read(p []byte) (int, error) {
	if i := bytes.Index(c.read, []byte("\r\n\r\n")); i >= 0 && len(c.read) > i+4 {
		c.cancel()
	}
	n, err := c.Conn.Read(p)
	c.read = append(c.read, p[:n]...)
	return n, err
}

// TestCheckRejectsBadRequests: what HTTP cannot carry fails before any
// connection is made, as internal, with nothing of the value in the detail.
func TestCheckRejectsBadRequests(t *testing.T) {
	tests := []struct {
		name string
		edit func(*uptime.Service)
	}{
		{"line break in a header value", func(s *uptime.Service) {
			s.Headers = []uptime.Header{{Name: "X-Token", Value: "s3cret\r\nX-Evil: 1", Secret: true}}
		}},
		{"NUL in a header value", func(s *uptime.Service) {
			s.Headers = []uptime.Header{{Name: "X-Token", Value: "s3cret\x00", Secret: true}}
		}},
		{"space in a header name", func(s *uptime.Service) { s.Headers = []uptime.Header{{Name: "X Token", Value: "s3cret"}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newProber()
			dialled := false
			p.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dialled = true
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
			svc := plainService(srv.URL)
			tt.edit(&svc)
			got := p.Check(context.Background(), svc)
			checkResult(t, got, uptime.Down, uptime.ErrInternal)
			if dialled {
				t.Error("Check() dialled, want the request rejected first")
			}
			if strings.Contains(got.Detail, "s3cret") {
				t.Errorf("Check().Detail = %q, leaks the header value", got.Detail)
			}
		})
	}
}

// TestCheckInternationalHost: a host written in Unicode is dialled in its
// IDNA form.
func TestCheckInternationalHost(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := newProber()
	var dialled string
	p.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialled = addr
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	checkResult(t, p.Check(context.Background(), plainService("http://bücher.test:"+port+"/")), uptime.Up, "")
	if want := "xn--bcher-kva.test:" + port; dialled != want {
		t.Errorf("Check() dialled %q, want %q", dialled, want)
	}
}

// TestBodyAfterClose: an answer's read buffer goes back to a pool when its
// body is closed, so a read after Close must fail rather than see another
// check's answer; checks run at once each get their own body.
func TestBodyAfterClose(t *testing.T) {
	var n int64
	var mu sync.Mutex
	url := tcpServer(t, func(c net.Conn) {
		mu.Lock()
		n++
		body := strings.Repeat(string(rune('a'+n%26)), 3000)
		mu.Unlock()
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n"+body)
	})
	p, _ := newProber()
	get := func() *http.Response {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := p.roundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first := get()
	first.Body.Close()
	second := get()
	defer second.Body.Close()
	if n, err := first.Body.Read(make([]byte, 10)); n != 0 || err == nil {
		t.Errorf("Read after Close = %d, %v; want 0 and an error", n, err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			resp := get()
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if err != nil || !oneLetter(data, 3000) {
				t.Errorf("body = %d bytes (%q…), %v; want 3000 of one letter", len(data), data[:min(len(data), 8)], err)
			}
		})
	}
	wg.Wait()
	data, err := io.ReadAll(second.Body)
	if err != nil || !oneLetter(data, 3000) {
		t.Errorf("second body = %d bytes, %v; want 3000 of one letter", len(data), err)
	}
}

// oneLetter reports whether data is n times the same byte.
func oneLetter(data []byte, n int) bool {
	return len(data) == n && n > 0 && bytes.Count(data, data[:1]) == n
}

// TestCheckResetsItsConnection: once the answer is read the check resets
// the connection, so the server sees ECONNRESET on its next read rather
// than a FIN, and neither end holds the connection in TIME_WAIT.
func TestCheckResetsItsConnection(t *testing.T) {
	seen := make(chan error, 1)
	url := tcpServer(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		_, err := c.Read(make([]byte, 1))
		seen <- err
	})
	p, _ := newProber()
	checkResult(t, p.Check(context.Background(), plainService(url)), uptime.Up, "")
	select {
	case err := <-seen:
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("the server's read after the answer = %v, want ECONNRESET", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server's read never returned")
	}
}
