package conformance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/internal/realserver"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestCaddy holds statusgen to Caddy 2 as Debian ships it: TLS 1.3 with
// an ECDSA chain, HTTP/2 and HTTP/1.1, compression it negotiates, a
// redirect to a 503, HEAD, and plain http.
func TestCaddy(t *testing.T) {
	w := newWorld(t)
	httpsPort, httpPort := realserver.FreePort(t, "127.0.0.1"), realserver.FreePort(t, "127.0.0.1")
	crt, key := w.pki.ecInter.leaf(t, local, valid()).files(t, w.dir, "caddy")

	// A body larger than encode's minimum_length (512 bytes), so it is compressed.
	health := `{"allReady": true, "note": "` + strings.Repeat("all systems operational ", 40) + `"}`
	respond := func(path string, code int, body string, headers map[string][]string) map[string]any {
		h := map[string]any{"handler": "static_response", "status_code": code, "body": body}
		if headers != nil {
			h["headers"] = headers
		}
		return map[string]any{"match": []any{map[string]any{"path": []string{path}}}, "handle": []any{h}}
	}
	routes := []any{
		respond("/ok", 200, "ok from caddy\n", nil),
		respond("/proto", 200, "{http.request.proto} {http.request.tls.version}\n", nil),
		respond("/maint", 302, "", map[string][]string{"Location": {"/maintenance"}}),
		respond("/maintenance", 503, "down for maintenance\n", nil),
		map[string]any{
			"match": []any{map[string]any{"path": []string{"/health.json"}}},
			"handle": []any{
				map[string]any{"handler": "encode", "encodings": map[string]any{"gzip": map[string]any{}, "zstd": map[string]any{}}, "prefer": []string{"zstd", "gzip"}},
				map[string]any{"handler": "static_response", "status_code": 200, "body": health,
					"headers": map[string][]string{"Content-Type": {"application/json"}}},
			},
		},
		// Caddy answers 200 with nothing where no route matches.
		map[string]any{"handle": []any{map[string]any{"handler": "static_response", "status_code": 404, "body": "not found\n"}}},
	}
	realserver.Caddy(t, map[string]any{
		"http": map[string]any{"servers": map[string]any{
			"https": map[string]any{
				"listen":                  []string{fmt.Sprintf("127.0.0.1:%d", httpsPort)},
				"routes":                  routes,
				"automatic_https":         map[string]any{"disable": true},
				"tls_connection_policies": []any{map[string]any{"certificate_selection": map[string]any{"any_tag": []string{"conformance"}}}},
			},
			"http": map[string]any{
				"listen":          []string{fmt.Sprintf("127.0.0.1:%d", httpPort)},
				"routes":          routes,
				"automatic_https": map[string]any{"disable": true},
			},
		}},
		"tls": map[string]any{"certificates": map[string]any{"load_files": []any{
			map[string]any{"certificate": crt, "key": key, "tags": []string{"conformance"}},
		}}},
	}, fmt.Sprintf("127.0.0.1:%d", httpsPort), fmt.Sprintf("127.0.0.1:%d", httpPort))

	secure := func(path string) string { return fmt.Sprintf("https://localhost:%d%s", httpsPort, path) }
	svc := func(url string, lines ...string) string {
		return fmt.Sprintf("url = %q\n%s", url, strings.Join(lines, "\n"))
	}
	w.run(t, []tcase{
		{name: "https", service: svc(secure("/ok"), `expect_body = "ok from caddy"`), want: up(200), binary: true},
		{name: "http/1.1 by default", service: svc(secure("/proto"), `expect_body = "HTTP/1.1 tls1.3"`), want: up(200),
			netHTTP: "net/http's default client negotiates HTTP/2; statusgen speaks HTTP/1.1 unless the service sets http2 = true",
			curl:    "curl negotiates HTTP/2 by default; statusgen speaks HTTP/1.1 unless the service sets http2 = true"},
		{name: "http2 when asked", service: svc(secure("/proto"), `http2 = true`, `expect_body = "HTTP/2.0"`), want: up(200)},
		// Caddy compresses only for clients that ask: the Transport asks
		// for gzip (not zstd, which Caddy prefers) and decodes it.
		{name: "negotiated gzip, expect_json", service: svc(secure("/health.json"), `expect_json = { allReady = true }`), want: up(200), gzip: negotiated},
		// An encoding statusgen cannot decode, which only the check's own
		// Accept-Encoding can bring: the detail names it.
		{name: "zstd the check asked for", service: svc(secure("/health.json"), `headers = { Accept-Encoding = "zstd" }`, `expect_json = { allReady = true }`),
			want: down(uptime.ErrNotJSON, 200, "body is not a JSON object (it is zstd-encoded, as the check's Accept-Encoding header allowed, and statusgen decodes only gzip)")},
		{name: "plain http", service: svc(fmt.Sprintf("http://localhost:%d/health.json", httpPort), `expect_json = { allReady = true }`), want: up(200), gzip: negotiated},
		{name: "302 to 503 names the answering URL", service: svc(secure("/maint")),
			want: down(uptime.ErrStatus, 503, fmt.Sprintf("HTTP 503 from GET %s after 1 redirect, want 200", secure("/maintenance"))), binary: true},
		{name: "head", service: svc(secure("/ok"), `method = "HEAD"`), want: up(200)},
		{name: "404", service: svc(secure("/missing")),
			want: down(uptime.ErrStatus, 404, fmt.Sprintf("HTTP 404 from GET %s, want 200", secure("/missing")))},
	})
}
