package conformance

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestWire holds statusgen to answers no well-behaved server gives, but
// servers, proxies and crashed backends do: 1xx informational answers
// before the real one (103 Early Hints from net/http's own server), and
// answers that are not valid HTTP, which must read as "Invalid response"
// (protocol), never as an unreachable service.
func TestWire(t *testing.T) {
	w := newWorld(t)
	hints := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Link", "</style.css>; rel=preload; as=style")
		rw.WriteHeader(http.StatusEarlyHints)
		rw.Header().Set("Link", "</app.js>; rel=preload; as=script")
		rw.WriteHeader(http.StatusEarlyHints)
		fmt.Fprint(rw, "ok after early hints\n")
	}))
	t.Cleanup(hints.Close)
	raw := rawServer(t, map[string]string{
		"/continue":    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
		"/http10":      "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok until the connection closes\n",
		"/truncated":   "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
		"/badchunk":    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
		"/nolastchunk": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
		"/twolengths":  "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nok\n",
		"/lengthten":   "HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\nok\n",
		"/unknownte":   "HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\nok\n",
		"/ssh":         "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
		"/nothing":     "",
	})
	at := func(path string) string { return "http://" + raw + path }
	svc := func(url string, lines ...string) string {
		return fmt.Sprintf("url = %q\n%s", url, strings.Join(lines, "\n"))
	}
	invalid := func(path, detail string) verdict {
		return down(uptime.ErrProtocol, 0, fmt.Sprintf("GET %s: %s", at(path), detail))
	}
	invalidBody := func(path, detail string) verdict {
		return down(uptime.ErrProtocol, 200, fmt.Sprintf("GET %s body: %s", at(path), detail))
	}
	w.run(t, []tcase{
		{name: "103 early hints", service: svc(hints.URL, `expect_body = "ok after early hints"`), want: up(200)},
		{name: "100 and 102 unasked", service: svc(at("/continue"), `expect_body = "ok"`), want: up(200)},
		{name: "http/1.0, body to the close", service: svc(at("/http10"), `expect_body = "ok until"`), want: up(200)},
		{name: "body shorter than its length", service: svc(at("/truncated")),
			want: invalidBody("/truncated", "the answer broke off (unexpected EOF)")},
		{name: "bad chunk", service: svc(at("/badchunk")), want: invalidBody("/badchunk", "invalid byte in chunk length")},
		{name: "no last chunk", service: svc(at("/nolastchunk")), want: invalidBody("/nolastchunk", "the answer broke off (unexpected EOF)")},
		{name: "two content-lengths", service: svc(at("/twolengths")), want: invalid("/twolengths", `http: message cannot contain multiple Content-Length headers; got ["3" "4"]`)},
		{name: "content-length ten", service: svc(at("/lengthten")), want: invalid("/lengthten", `bad Content-Length "ten"`)},
		{name: "unknown transfer-encoding", service: svc(at("/unknownte")), want: invalid("/unknownte", `unsupported transfer encoding: "foo"`)},
		{name: "not http", service: svc(at("/ssh")), want: invalid("/ssh", `malformed HTTP status code "Debian-2"`)},
		{name: "closed without an answer", service: svc(at("/nothing")), want: down(uptime.ErrConnect, 0, fmt.Sprintf("GET %s: EOF", at("/nothing")))},
	})
}

// rawServer answers each path with its bytes, as written, and closes
// the connection.
func rawServer(t *testing.T, answers map[string]string) string {
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
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				c.Write([]byte(answers[req.URL.Path]))
			}()
		}
	}()
	return ln.Addr().String()
}
