package probe

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
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
		// The server began its answer and broke off: it was there.
		{"100 Continue and nothing after", "HTTP/1.1 100 Continue\r\n\r\n", uptime.Down, uptime.ErrProtocol, 0},
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
// 1 MiB header cap, like one endless header.
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
// User-Agent, and gzip accepted (the transport decompresses it).
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
	want := seen{"HTTP/1.1", testUA, "gzip", true}
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

// TestCheckMalformedAnswers: a server that answered, but not in valid HTTP
// framing or content encoding, is protocol, with a detail that says what
// was wrong, never connect ("Service unreachable" on the page). A
// connection that ends without any answer, or is reset, stays connect.
func TestCheckMalformedAnswers(t *testing.T) {
	notGzip := "this is not gzip at all"
	tests := []struct {
		name   string
		reply  string // written whole, then the connection closes
		kind   uptime.ErrorKind
		detail string // in the detail
	}{
		{"body shorter than its Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc",
			uptime.ErrProtocol, "body: the answer broke off (unexpected EOF)"},
		{"chunk size that is not hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
			uptime.ErrProtocol, "invalid byte in chunk length"},
		{"chunked body without its last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
			uptime.ErrProtocol, "body: the answer broke off (unexpected EOF)"},
		{"two Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
			uptime.ErrProtocol, "multiple Content-Length"},
		{"Content-Length: ten", "HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\nabc",
			uptime.ErrProtocol, `bad Content-Length "ten"`},
		{"unknown Transfer-Encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\nabc",
			uptime.ErrProtocol, `unsupported transfer encoding: "foo"`},
		{"gzip that is not gzip", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + strconv.Itoa(len(notGzip)) + "\r\n\r\n" + notGzip,
			uptime.ErrProtocol, "body (gzip): gzip: invalid header"},
		{"gzip cut short", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\n" + gzipped(t, "hello world")[:12],
			uptime.ErrProtocol, "body (gzip): the answer broke off (unexpected EOF)"},
		{"status line cut short", "HTTP/1.1 20", uptime.ErrProtocol, `malformed HTTP status code "20"`},
		{"closed without a word", "", uptime.ErrConnect, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tcpServer(t, func(c net.Conn) { io.WriteString(c, tt.reply) })
			p, _ := newProber()
			got := p.Check(context.Background(), plainService(url))
			checkResult(t, got, uptime.Down, tt.kind)
			if !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("Check().Detail = %q, want it to contain %q", got.Detail, tt.detail)
			}
		})
	}
}

// TestCheckUnsolicitedGzip: nginx's gzip_static always and Apache's
// force-gzip compress whatever the request accepts, which HTTP allows. The
// assertions judge the decompressed body, over http as over https.
func TestCheckUnsolicitedGzip(t *testing.T) {
	const body = `{"allReady": true, "version": "1.2"}`
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip") // whatever Accept-Encoding said
		io.WriteString(w, gzipped(t, body))
	}
	for _, scheme := range []string{"http", "https"} {
		for _, edit := range []struct {
			name string
			f    func(*uptime.Service)
		}{
			{"expect_json", func(s *uptime.Service) { s.ExpectJSON = map[string]any{"allReady": true} }},
			{"expect_body", func(s *uptime.Service) { s.ExpectBody = `"version": "1.2"` }},
		} {
			t.Run(scheme+" "+edit.name, func(t *testing.T) {
				p, _ := tlsProber(t)
				url := newServer(t, h).URL
				if scheme == "https" {
					url = newTLSServer(t, thePKI(t).ecdsa, h).URL
				}
				svc := plainService(url)
				edit.f(&svc)
				checkResult(t, p.Check(context.Background(), svc), uptime.Up, "")
			})
		}
	}
}

// TestCheckLargeHeaders: headers are capped at net/http's default of
// 1 MiB, as curl and Go's own client accept far more than 64 KiB.
func TestCheckLargeHeaders(t *testing.T) {
	tests := []struct {
		name string
		size int
		kind uptime.ErrorKind
	}{
		{"100 KiB of headers", 100 << 10, ""},
		{"900 KiB of headers", 900 << 10, ""},
		{"2 MiB of headers", 2 << 20, uptime.ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tcpServer(t, func(c net.Conn) {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n")
				line := "X-Pad: " + strings.Repeat("a", 1000) + "\r\n"
				for n := 0; n < tt.size; n += len(line) {
					if _, err := io.WriteString(c, line); err != nil {
						return
					}
				}
				io.WriteString(c, "\r\nok")
			})
			p, _ := newProber()
			got := p.Check(context.Background(), plainService(url))
			if tt.kind == "" {
				checkResult(t, got, uptime.Up, "")
			} else {
				checkResult(t, got, uptime.Down, tt.kind)
			}
		})
	}
}

// gzipped is s compressed with gzip.
func gzipped(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
