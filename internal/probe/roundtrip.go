package probe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
)

// roundTrip sends one plain-http request on a connection of its own and
// reads the answer's headers, all in the calling goroutine: net/http's
// Transport would start a dial goroutine and a reader and a writer per
// connection, machinery for reuse that a connection used once never needs,
// and at thousands of checks a minute it was most of a check's CPU. The
// wire format is net/http's own (Request.Write, ReadResponse).
//
// The request goes out as HTTP/1.1 with "Connection: close" and no
// Accept-Encoding, so servers answer uncompressed, as RFC 9110 has them do
// when the client names no coding. The connection is closed when the
// returned body is, or as soon as the request's context is done (the
// dial is bounded by the context itself).
func (p *Prober) roundTrip(req *http.Request) (*http.Response, error) {
	if err := validRequest(req); err != nil {
		closeBody(req)
		return nil, err
	}
	ctx := req.Context()
	conn, err := p.dial(ctx, "tcp", hostPort(req))
	if err != nil {
		closeBody(req)
		return nil, err
	}
	// The context's end closes the connection, which ends a blocked write
	// or read. No conn deadline: its timer races the context's, and a read
	// it cut short mid-line reaches ReadResponse as a short line, not an
	// error, so a slow server would be a malformed one (protocol) rather
	// than a timeout. Closed from here, the context is already done when
	// classify looks.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	hc := &headerCap{r: conn, n: maxHeaderBytes}
	br := readers.Get().(*bufio.Reader)
	br.Reset(hc)
	resp, err := exchange(conn, br, hc, req)
	if err != nil {
		stop()
		conn.Close()
		recycle(br)
		return nil, err
	}
	resp.Body = &connBody{body: resp.Body, conn: conn, stop: stop, br: br}
	return resp, nil
}

// readers keeps answer buffers between checks (4 KB each, most of what a
// check allocated): a buffer goes back when its answer's body is closed.
var readers = sync.Pool{New: func() any { return bufio.NewReader(nil) }}

// recycle returns br to the pool without its connection.
func recycle(br *bufio.Reader) {
	br.Reset(nil)
	readers.Put(br)
}

// errHeaderFlood reads like net/http's, so that classify names it protocol.
var errHeaderFlood = fmt.Errorf("server response headers exceeded %d bytes; aborted", maxHeaderBytes)

// exchange writes req to conn and reads the answer's status and headers
// through br (reading conn through hc), skipping informational (1xx)
// answers as net/http does: they count towards the header cap, and 101
// Switching Protocols is final (a check never asks to switch, so it fails
// on its status).
func exchange(conn net.Conn, br *bufio.Reader, hc *headerCap, req *http.Request) (*http.Response, error) {
	w := writers.Get().(*bufio.Writer)
	defer writers.Put(w)
	w.Reset(conn)
	defer w.Reset(nil) // the pool must not keep the connection
	if !req.Close {
		// A redirect's request, made by http.Client; the caller's request
		// is not ours to change.
		r := *req
		r.Close = true
		req = &r
	}
	if err := req.Write(w); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}

	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			if hc.n <= 0 {
				err = errHeaderFlood
			}
			return nil, err
		}
		if resp.StatusCode < 100 || resp.StatusCode > 199 || resp.StatusCode == http.StatusSwitchingProtocols {
			hc.n = math.MaxInt64 // the body has its own cap, the caller's
			return resp, nil
		}
	}
}

// writers keeps request buffers between checks: a request is written whole
// before its answer is read, so a buffer is free again at once.
var writers = sync.Pool{New: func() any { return bufio.NewWriter(nil) }}

// headerCap stops reading after n bytes, the way net/http caps a
// response's headers.
type headerCap struct {
	r io.Reader
	n int64
}

func (h *headerCap) Read(p []byte) (int, error) {
	if h.n <= 0 {
		return 0, errHeaderFlood
	}
	if int64(len(p)) > h.n {
		p = p[:h.n]
	}
	n, err := h.r.Read(p)
	h.n -= int64(n)
	return n, err
}

// connBody is a response body whose Close closes its connection. The
// body's own Close is never called: on a chunked answer it would read on
// to the end, and the end of an endless body never comes.
type connBody struct {
	body io.Reader
	conn net.Conn
	stop func() bool   // detaches the context's close
	br   *bufio.Reader // under body; back to the pool on Close
}

// errBodyClosed is what a read after Close gets, as from net/http's bodies.
var errBodyClosed = errors.New("http: read on closed response body")

func (b *connBody) Read(p []byte) (int, error) {
	if b.br == nil {
		return 0, errBodyClosed
	}
	return b.body.Read(p)
}

func (b *connBody) Close() error {
	b.stop()
	// The answer is read, or no longer wanted: reset the connection rather
	// than close it in turn. Neither end keeps it in TIME_WAIT (thousands
	// of services on one host would otherwise hold thousands of its
	// sockets, or of the monitor's ports), and on 127.0.0.1 a reset costs
	// the monitor about 14 µs against 21 for the exchange of FINs.
	if tc, ok := b.conn.(*net.TCPConn); ok {
		tc.SetLinger(0) //nolint:errcheck // a plain close is the fallback
	}
	b.conn.Close() // a second Close only reports the first one
	if b.br != nil {
		recycle(b.br)
		b.br = nil
	}
	return nil
}

// validRequest rejects what net/http's Transport rejects before it dials.
// Request.Write would quietly turn a line break in a header value into a
// space; a header that HTTP cannot carry is a mistake in services.toml, and
// its error words it as net/http does, without the value (it may be a secret).
func validRequest(req *http.Request) error {
	if req.URL.Host == "" {
		return errors.New("http: no Host in request URL")
	}
	if req.Method != "" && !validToken(req.Method) {
		return fmt.Errorf("net/http: invalid method %q", req.Method)
	}
	for name, values := range req.Header {
		if !validToken(name) {
			return fmt.Errorf("net/http: invalid header field name %q", name)
		}
		for _, v := range values {
			if !validFieldValue(v) {
				return fmt.Errorf("net/http: invalid header field value for %q", name)
			}
		}
	}
	return nil
}

// hostPort is the address to dial: the URL's host, port 80 by default.
func hostPort(req *http.Request) string {
	port := req.URL.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(req.URL.Hostname(), port)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// validToken reports whether s is an RFC 9110 token, as a method or a
// header name must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case isTokenSymbol(c):
		default:
			return false
		}
	}
	return true
}

func isTokenSymbol(c byte) bool {
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// validFieldValue reports whether v holds no control character other than
// a tab (RFC 9110, 5.5).
func validFieldValue(v string) bool {
	for i := range len(v) {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// isASCII reports whether s needs no IDNA conversion to be dialled.
func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
