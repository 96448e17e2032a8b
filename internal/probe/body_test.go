package probe

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestCheckLargeBodies: bodies are read up to max_body, 4 MiB unless the
// service says otherwise. An assertion that holds within the cap passes;
// one the cut may have hidden fails as too_large, with a detail naming the
// cap, never as a plain body or not_json failure.
func TestCheckLargeBodies(t *testing.T) {
	const mib = 1 << 20
	pad := func(n int) string { return strings.Repeat("a", n) }
	jsonOf := func(n int) string { return `{"allReady": true, "pad": "` + pad(n) + `"}` }
	tests := []struct {
		name    string
		body    string
		maxBody int64 // the service's max_body; 0 for the default
		edit    func(*uptime.Service)
		status  uptime.Status
		kind    uptime.ErrorKind
		detail  string
	}{
		{name: "a match at 1.5 MiB", body: pad(3*mib/2) + "needle",
			edit: expectBody("needle"), status: uptime.Up},
		{name: "valid JSON of 1.2 MiB", body: jsonOf(6 * mib / 5),
			edit: expectAllReady, status: uptime.Up},
		{name: "a match past 4 MiB", body: pad(9*mib/2) + "needle",
			edit: expectBody("needle"), status: uptime.Down, kind: uptime.ErrTooLarge,
			detail: `body cut at 4 MiB before a match for "needle"`},
		{name: "JSON of 5 MiB", body: jsonOf(5 * mib),
			edit: expectAllReady, status: uptime.Down, kind: uptime.ErrTooLarge,
			detail: "body cut at 4 MiB before the JSON ended"},
		{name: "a match before the cut of a long body", body: "needle" + pad(5*mib),
			edit: expectBody("needle"), status: uptime.Up},
		{name: "max_body raised to 8 MiB", body: jsonOf(5 * mib), maxBody: 8 * mib,
			edit: expectAllReady, status: uptime.Up},
		{name: "max_body lowered to 512 KiB", body: pad(mib) + "needle", maxBody: 512 << 10,
			edit: expectBody("needle"), status: uptime.Down, kind: uptime.ErrTooLarge,
			detail: `body cut at 512 KiB before a match for "needle"`},
		{name: "not there in a body that fits", body: pad(mib),
			edit: expectBody("needle"), status: uptime.Down, kind: uptime.ErrBody,
			detail: `body does not contain "needle"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunked := range []bool{false, true} {
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
					if !chunked {
						w.Header().Set("Content-Length", strconv.Itoa(len(tt.body)))
					}
					w.Write([]byte(tt.body))
				})
				p, _ := newProber()
				svc := plainService(srv.URL)
				svc.MaxBody = tt.maxBody
				tt.edit(&svc)
				got := p.Check(context.Background(), svc)
				checkResult(t, got, tt.status, tt.kind)
				if got.Detail != tt.detail {
					t.Errorf("chunked %t: Check().Detail = %q, want %q", chunked, got.Detail, tt.detail)
				}
			}
		})
	}
}

// TestCheckJSONTrailingData: expect_json wants one JSON object and nothing
// after it but white space.
func TestCheckJSONTrailingData(t *testing.T) {
	tests := []struct {
		name, body string
		kind       uptime.ErrorKind
	}{
		{"an object", `{"allReady": true}`, ""},
		{"an object and a newline", "{\"allReady\": true}\r\n\n", ""},
		{"an object and garbage", `{"allReady": true} garbage`, uptime.ErrNotJSON},
		{"two objects", `{"allReady": true}{"allReady": false}`, uptime.ErrNotJSON},
		{"an object and a stray brace", `{"allReady": true}}`, uptime.ErrNotJSON},
		{"an object and HTML", `{"allReady": true}<html>`, uptime.ErrNotJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, tt.body) })
			p, _ := newProber()
			svc := plainService(srv.URL)
			expectAllReady(&svc)
			got := p.Check(context.Background(), svc)
			if tt.kind == "" {
				checkResult(t, got, uptime.Up, "")
				return
			}
			checkResult(t, got, uptime.Down, tt.kind)
			if want := "body is a JSON object followed by other data"; got.Detail != want {
				t.Errorf("Check().Detail = %q, want %q", got.Detail, want)
			}
		})
	}
}

func expectBody(s string) func(*uptime.Service) {
	return func(svc *uptime.Service) { svc.ExpectBody = s }
}

func expectAllReady(svc *uptime.Service) { svc.ExpectJSON = map[string]any{"allReady": true} }

// TestCheckOwnAcceptEncoding: a service that sends its own
// Accept-Encoding (copied from a browser, say) turns off the Transport's
// decoding; a gzip answer is still read as the JSON it is, as a browser
// reads it, and an encoding statusgen cannot decode is named in the
// detail rather than reported as garbage.
func TestCheckOwnAcceptEncoding(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"allReady": true}`))
	zw.Close()
	tests := []struct {
		name, accept, encoding, method string
		body                           []byte
		kind                           uptime.ErrorKind
		detail                         string
	}{
		{name: "gzip, asked by the service", accept: "gzip, deflate, br", encoding: "gzip", body: gz.Bytes()},
		{name: "gzip against identity", accept: "identity", encoding: "gzip", body: gz.Bytes()},
		{name: "x-gzip", accept: "gzip", encoding: "x-gzip", body: gz.Bytes()},
		{name: "gzip that is not gzip", accept: "gzip", encoding: "gzip", body: []byte("plain text"),
			kind: uptime.ErrProtocol, detail: "GET <url> body (gzip): gzip: invalid header"},
		{name: "an empty gzip body", accept: "gzip", encoding: "gzip", method: http.MethodHead},
		{name: "br", accept: "br", encoding: "br", body: []byte("\x1b\x10\x00not really brotli"), kind: uptime.ErrNotJSON,
			detail: "body is not a JSON object (it is br-encoded, as the check's Accept-Encoding header allowed, and statusgen decodes only gzip)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Accept-Encoding"); got != tt.accept {
					t.Errorf("Accept-Encoding = %q, want the service's %q", got, tt.accept)
				}
				w.Header().Set("Content-Encoding", tt.encoding)
				w.Write(tt.body)
			})
			p, _ := newProber()
			svc := plainService(srv.URL)
			svc.Headers = []uptime.Header{{Name: "Accept-Encoding", Value: tt.accept}}
			if tt.method != "" {
				svc.Method = tt.method
			} else {
				expectAllReady(&svc)
			}
			got := p.Check(context.Background(), svc)
			if tt.kind == "" {
				checkResult(t, got, uptime.Up, "")
				return
			}
			checkResult(t, got, uptime.Down, tt.kind)
			if want := strings.ReplaceAll(tt.detail, "<url>", srv.URL); got.Detail != want {
				t.Errorf("Check().Detail = %q, want %q", got.Detail, want)
			}
		})
	}
}
