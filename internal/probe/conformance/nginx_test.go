package conformance

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/realserver"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// The basic-auth user of the servers that ask for one, and the
// Authorization header that carries it.
const (
	authUser     = "monitor"
	authPassword = "s3cret"
)

var basicAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(authUser+":"+authPassword))

// htpasswd is the user's line in a password file nginx and Apache both
// read ({SHA}, base64 of the password's SHA-1).
func htpasswd() string {
	sum := sha1.Sum([]byte(authPassword))
	return authUser + ":{SHA}" + base64.StdEncoding.EncodeToString(sum[:]) + "\n"
}

// TestNginx holds statusgen to nginx 1.22 as Debian ships it: TLS 1.2
// and 1.3 with ECDSA and RSA chains, every kind of certificate failure,
// HTTP/2, gzip_static always, redirects of every kind, basic auth, a slow
// upstream, large bodies, huge headers, IPv6, an IDN host and HEAD.
func TestNginx(t *testing.T) {
	w := newWorld(t)
	n := startNginx(t, w)
	w.run(t, n.cases())
}

// nginxWorld is one nginx with a server block per port: main serves most
// cases over https (ECDSA chain, TLS 1.2 and 1.3, h2), plain http and
// IPv6; the others each present one certificate or protocol.
type nginxWorld struct {
	main, plain, v6                           int
	tls12RSA, tls13                           int
	expired, wrongName, unknownCA, selfSigned int
	incomplete, tls10                         int
	closed                                    int // nothing listens
}

func startNginx(t *testing.T, w *world) *nginxWorld {
	free := func() int { return realserver.FreePort(t, "127.0.0.1") }
	n := &nginxWorld{
		main: free(), plain: free(), tls12RSA: free(), tls13: free(),
		expired: free(), wrongName: free(), unknownCA: free(), selfSigned: free(),
		incomplete: free(), tls10: free(), closed: free(),
	}
	n.v6 = realserver.FreePort(t, "::1")

	// bücher.test is this machine, for statusgen's dialer and curl; the
	// name reaches the dialer in its ASCII form, as DNS would be asked.
	w.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, _ := net.SplitHostPort(addr); host == idnASCII {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	w.curlResolve = []string{fmt.Sprintf("%s:%d:127.0.0.1", idnASCII, n.main)}
	w.env["CONF_AUTH"] = basicAuth
	w.env["CONF_WRONG_AUTH"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(authUser+":wrong"))
	w.env["CONF_KEY"] = "key-that-must-not-travel"

	origin := slowOrigin(t)
	// An upstream that crashes mid-answer: it promises 100,000 bytes and
	// closes after 1,000.
	raw := rawServer(t, map[string]string{"/": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 1000)})
	root := nginxDocroot(t, w.dir)

	p := w.pki
	valid := valid()
	certs := func(name string, c chain) string {
		crt, key := c.files(t, w.dir, name)
		return fmt.Sprintf("ssl_certificate %s;\nssl_certificate_key %s;\n", crt, key)
	}
	ecdsa := p.ecInter.leaf(t, local, valid)
	tlsServer := func(port int, cert, extra string) string {
		return fmt.Sprintf("server {\nlisten 127.0.0.1:%d ssl;\n%s%s\nlocation / { return 200 \"$ssl_protocol\\n\"; }\n}\n", port, cert, extra)
	}
	var conf strings.Builder
	fmt.Fprintf(&conf, `server {
listen 127.0.0.1:%d ssl http2;
listen [::1]:%d ssl http2;
listen 127.0.0.1:%d;
%sssl_protocols TLSv1.2 TLSv1.3;
root %s;
location = /ok { return 200 "ok from nginx\n"; }
location = /proto { return 200 "$server_protocol $ssl_protocol $host\n"; }
location /gz/ { gzip_static always; }
location /badgz/ { gzip_static always; }
location /private/ { auth_basic "statusgen"; auth_basic_user_file %s; }
location = /upgrade { return 301 https://localhost:%[1]d/private/ok.txt; }
location = /downgrade { return 301 http://localhost:%[3]d/private/ok.txt; }
location = /cross { return 302 https://127.0.0.1:%[1]d/echo-creds; }
location = /echo-creds {
	if ($http_referer) { return 400 "a Referer came along\n"; }
	if ($http_authorization) { return 400 "credentials came along\n"; }
	if ($http_x_api_key) { return 400 "a secret header came along\n"; }
	return 200 "clean\n";
}
location = /chain/3 { return 301 /chain/2; }
location = /chain/2 { return 302 /chain/1; }
location = /chain/1 { return 307 /chain/0; }
location = /chain/0 { return 200 "end of chain\n"; }
location = /loop { return 302 /loop; }
location = /maint { return 302 /maintenance; }
location = /maintenance { return 503 "down for maintenance\n"; }
location = /moved { return 301 /ok; }
location = /slow { proxy_pass http://%[7]s/slow; proxy_read_timeout 30s; }
location = /gateway-timeout { proxy_pass http://%[7]s/slow; proxy_read_timeout 1s; }
location = /truncated { proxy_pass http://%[8]s/; }
location = /headers80k { %[9]s return 200 "many headers\n"; }
location = /headers1200k { %[10]s return 200 "too many headers\n"; }
location /big/ { }
}
`, n.main, n.v6, n.plain, certs("main", ecdsa), root, filepath.Join(w.dir, "htpasswd"),
		origin, raw, padHeaders(200), padHeaders(3000))
	conf.WriteString(tlsServer(n.tls12RSA, certs("rsa", p.rsaInter.leaf(t, local, valid)), "ssl_protocols TLSv1.2;"))
	conf.WriteString(tlsServer(n.tls13, certs("tls13", ecdsa), "ssl_protocols TLSv1.3;"))
	conf.WriteString(tlsServer(n.expired, certs("expired", p.ecInter.leaf(t, local, [2]time.Time{valid[0].Add(-72 * time.Hour), valid[0]})), ""))
	conf.WriteString(tlsServer(n.wrongName, certs("wrongname", p.ecInter.leaf(t, names{dns: []string{"elsewhere.example"}}, valid)), ""))
	conf.WriteString(tlsServer(n.unknownCA, certs("unknownca", p.strangerInter.leaf(t, local, valid)), ""))
	conf.WriteString(tlsServer(n.selfSigned, certs("selfsigned", selfSigned(t, local)), ""))
	conf.WriteString(tlsServer(n.incomplete, certs("incomplete", ecdsa.leafOnly()), ""))
	// TLS 1.0 only, as an old appliance; OpenSSL 3 allows it at security level 0.
	conf.WriteString(tlsServer(n.tls10, certs("tls10", p.rsaInter.leaf(t, local, valid)), "ssl_protocols TLSv1;\nssl_ciphers DEFAULT:@SECLEVEL=0;"))

	if err := os.WriteFile(filepath.Join(w.dir, "htpasswd"), []byte(htpasswd()), 0o644); err != nil {
		t.Fatal(err)
	}
	addrs := []string{fmt.Sprintf("[::1]:%d", n.v6)}
	for _, port := range []int{n.main, n.plain, n.tls12RSA, n.tls13, n.expired, n.wrongName, n.unknownCA, n.selfSigned, n.incomplete, n.tls10} {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	realserver.Nginx(t, conf.String(), addrs...)
	return n
}

// The strings the large-body cases look for, and how far in they are.
const (
	marker     = "MARKER-AT-1.5MiB"
	markerAt   = 3 << 19 // 1.5 MiB
	largeJSONn = 6 << 18 // 1.5 MiB of padding in a valid JSON object
)

// nginxDocroot writes the files nginx serves: gzip-only files (no
// uncompressed twin, so only gzip_static can answer), a file that claims
// to be gzip and is not, the basic-auth area, and large bodies.
func nginxDocroot(t *testing.T, dir string) string {
	root := filepath.Join(dir, "www")
	files := map[string][]byte{
		"gz/health.json.gz":    gzipped(t, `{"allReady": true, "services": 3}`),
		"gz/page.txt.gz":       gzipped(t, "Sefaria is up\n"),
		"badgz/health.json.gz": []byte("this is not gzip at all\n"),
		"private/ok.txt":       []byte("secret ok\n"),
		"big/marker.txt":       append(bytes.Repeat([]byte("filler line of a large page\n"), markerAt/28+1)[:markerAt], marker+"\n"...),
		"big/large.json":       []byte(`{"allReady": true, "pad": "` + strings.Repeat("a", largeJSONn) + `"}`),
	}
	for name, b := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func gzipped(t *testing.T, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// padHeaders is n add_header lines of 400 characters each.
func padHeaders(n int) string {
	var b strings.Builder
	v := strings.Repeat("p", 400)
	for i := range n {
		fmt.Fprintf(&b, "add_header X-Pad-%04d %s always;\n", i, v)
	}
	return b.String()
}

// slowOrigin is an upstream (net/http's server) that answers /slow only
// after 10 s, or never if the request goes away first.
func slowOrigin(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
			fmt.Fprint(w, "late\n")
		}
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func (n *nginxWorld) cases() []tcase {
	at := func(port int, path string) string { return fmt.Sprintf("https://localhost:%d%s", port, path) }
	main := func(path string) string { return at(n.main, path) }
	plain := func(path string) string { return fmt.Sprintf("http://localhost:%d%s", n.plain, path) }
	svc := func(url string, lines ...string) string {
		return fmt.Sprintf("url = %q\n%s", url, strings.Join(lines, "\n"))
	}
	const (
		h2Differs      = "net/http's default client negotiates HTTP/2; statusgen speaks HTTP/1.1 unless the service sets http2 = true (docs/checks.md)"
		curlH2         = "curl negotiates HTTP/2 by default; statusgen speaks HTTP/1.1 unless the service sets http2 = true"
		curlGzip       = "curl decompresses only with --compressed, so it sees gzip bytes; statusgen, like Go and browsers, decodes what the server compressed"
		capDiffers     = "max_body = \"1MiB\": statusgen reads no further, as configured, and says the body was cut; %s reads the whole body"
		tlsDetailStart = "GET https://localhost:%d/: tls: failed to verify certificate: x509: "
	)
	return []tcase{
		// TLS versions, key types, HTTP/2.
		{name: "tls1.3 ecdsa chain", service: svc(at(n.tls13, "/"), `expect_body = "TLSv1.3"`), want: up(200)},
		{name: "tls1.2 rsa chain", service: svc(at(n.tls12RSA, "/"), `expect_body = "TLSv1.2"`), want: up(200)},
		{name: "http/1.1 by default", service: svc(main("/proto"), `expect_body = "HTTP/1.1 TLSv1.3 localhost"`), want: up(200),
			netHTTP: h2Differs, curl: curlH2},
		{name: "http2 when asked", service: svc(main("/proto"), `http2 = true`, `expect_body = "HTTP/2.0"`), want: up(200)},
		{name: "plain http", service: svc(plain("/ok"), `expect_body = "ok from nginx"`), want: up(200), binary: true},

		// Every kind of certificate failure.
		{name: "expired certificate", service: svc(at(n.expired, "/")),
			want: down(uptime.ErrTLS, 0, fmt.Sprintf(tlsDetailStart, n.expired)+"certificate has expired or is not yet valid: current time *"), binary: true},
		{name: "certificate for another host", service: svc(at(n.wrongName, "/")),
			want: down(uptime.ErrTLS, 0, fmt.Sprintf(tlsDetailStart, n.wrongName)+"certificate is valid for elsewhere.example, not localhost")},
		{name: "unknown authority", service: svc(at(n.unknownCA, "/")),
			want: down(uptime.ErrTLS, 0, fmt.Sprintf(tlsDetailStart, n.unknownCA)+"certificate signed by unknown authority*")},
		{name: "self-signed certificate", service: svc(at(n.selfSigned, "/")),
			want: down(uptime.ErrTLS, 0, fmt.Sprintf(tlsDetailStart, n.selfSigned)+"certificate signed by unknown authority*")},
		{name: "incomplete chain", service: svc(at(n.incomplete, "/")),
			want: down(uptime.ErrTLS, 0, fmt.Sprintf(tlsDetailStart, n.incomplete)+"certificate signed by unknown authority*")},
		{name: "tls1.0 only", service: svc(at(n.tls10, "/")),
			want: down(uptime.ErrTLS, 0, fmt.Sprintf("GET https://localhost:%d/: *protocol version*", n.tls10))},
		{name: "nothing listens", service: svc(at(n.closed, "/")),
			want: down(uptime.ErrConnect, 0, fmt.Sprintf("GET https://localhost:%d/: dial tcp *:%d: connect: connection refused", n.closed, n.closed))},

		// Unsolicited gzip: nginx's gzip_static always sends the .gz file
		// to clients that did not ask.
		{name: "gzip_static always, expect_json, http", service: svc(plain("/gz/health.json"), `expect_json = { allReady = true }`),
			want: up(200), gzip: unasked, curl: curlGzip, binary: true},
		{name: "gzip_static always, expect_json, https", service: svc(main("/gz/health.json"), `expect_json = { allReady = true }`),
			want: up(200), gzip: unasked, curl: curlGzip},
		{name: "gzip_static always, the check asks for gzip itself", service: svc(main("/gz/health.json"),
			`headers = { Accept-Encoding = "gzip, deflate, br" }`, `expect_json = { allReady = true }`),
			want:    up(200),
			netHTTP: "net/http decodes only the gzip it asked for itself; with the caller's Accept-Encoding it hands over gzip bytes. statusgen decodes gzip whatever was asked, as browsers do",
			curl:    curlGzip},
		{name: "gzip_static always, expect_body", service: svc(plain("/gz/page.txt"), `expect_body = "Sefaria is up"`),
			want: up(200), gzip: unasked, curl: curlGzip},
		{name: "gzip that is not gzip", service: svc(main("/badgz/health.json"), `expect_json = { allReady = true }`),
			want: down(uptime.ErrProtocol, 200, fmt.Sprintf("GET https://localhost:%d/badgz/health.json body (gzip): gzip: invalid header", n.main))},
		{name: "gzip that is not gzip, no assertion", service: svc(main("/badgz/health.json")),
			want: down(uptime.ErrProtocol, 200, fmt.Sprintf("GET https://localhost:%d/badgz/health.json body (gzip): gzip: invalid header", n.main)),
			curl: "curl does not decompress unasked, so it never reads the broken gzip and sees HTTP 200"},

		// Redirects.
		{name: "redirect chain", service: svc(main("/chain/3"), `expect_body = "end of chain"`), want: up(200)},
		{name: "redirect loop", service: svc(main("/loop")),
			want: down(uptime.ErrRedirect, 0, fmt.Sprintf("GET https://localhost:%d/loop: stopped after 10 redirects", n.main))},
		{name: "302 to 503 names the answering URL", service: svc(main("/maint"), `expected_status = 200`),
			want: down(uptime.ErrStatus, 503, fmt.Sprintf("HTTP 503 from GET https://localhost:%d/maintenance after 1 redirect, want 200", n.main)), binary: true},
		{name: "redirect not followed", service: svc(main("/moved"), `follow_redirects = false`, `expected_status = 200`),
			want: down(uptime.ErrRedirect, 301, fmt.Sprintf("HTTP 301 from GET https://localhost:%d/moved, want 200", n.main))},
		{name: "same-host upgrade to https keeps Authorization", service: svc(plain("/upgrade"),
			`headers = { Authorization = "${CONF_AUTH}" }`, `expect_body = "secret ok"`),
			want: up(200),
			curl: "curl sends credentials only to the very scheme, host and port they were given for (CVE-2022-27776), so it drops them on the upgrade; statusgen, like Go and browsers, keeps them on the same host"},
		{name: "https to http downgrade drops Authorization", service: svc(main("/downgrade"),
			`headers = { Authorization = "${CONF_AUTH}" }`, `expected_status = 200`),
			want:    down(uptime.ErrStatus, 401, fmt.Sprintf("HTTP 401 from GET http://localhost:%d/private/ok.txt after 1 redirect, want 200", n.plain)),
			netHTTP: "Go keeps Authorization on a downgrade to http on the same host, where anyone on the path could read it; statusgen drops it"},
		{name: "cross-host redirect sends no credentials and no Referer", service: svc(main("/cross?api_key=query-secret"),
			`headers = { Authorization = "${CONF_AUTH}", X-Api-Key = "${CONF_KEY}" }`, `expect_body = "clean"`),
			want:    up(200),
			netHTTP: "Go sends a Referer naming the first URL, query string and all, and copies X-Api-Key to the other host; statusgen sends neither",
			curl:    "curl sends every -H header but Authorization and Cookie to every host of the chain, the secret X-Api-Key included; statusgen withholds secret headers from other hosts"},

		// Basic auth.
		{name: "basic auth without credentials", service: svc(main("/private/ok.txt"), `expected_status = 200`),
			want: down(uptime.ErrStatus, 401, fmt.Sprintf("HTTP 401 from GET https://localhost:%d/private/ok.txt, want 200", n.main))},
		{name: "basic auth", service: svc(main("/private/ok.txt"), `headers = { Authorization = "${CONF_AUTH}" }`, `expect_body = "secret ok"`),
			want: up(200)},
		{name: "basic auth, wrong password", service: svc(main("/private/ok.txt"), `headers = { Authorization = "${CONF_WRONG_AUTH}" }`),
			want: down(uptime.ErrStatus, 401, fmt.Sprintf("HTTP 401 from GET https://localhost:%d/private/ok.txt, want 200", n.main))},

		// A slow upstream: the check's timeout, or nginx's.
		{name: "slow upstream", service: svc(main("/slow"), `timeout = "1s"`),
			want: down(uptime.ErrTimeout, 0, fmt.Sprintf("GET https://localhost:%d/slow: no answer within 1*s", n.main))},
		{name: "upstream timeout at nginx", service: svc(main("/gateway-timeout"), `timeout = "5s"`),
			want: down(uptime.ErrStatus, 504, fmt.Sprintf("HTTP 504 from GET https://localhost:%d/gateway-timeout, want 200", n.main))},
		{name: "upstream dies mid-body", service: svc(main("/truncated")),
			want: down(uptime.ErrProtocol, 200, fmt.Sprintf("GET https://localhost:%d/truncated body: the answer broke off (unexpected EOF)", n.main))},

		// Large bodies.
		{name: "match at 1.5 MiB", service: svc(main("/big/marker.txt"), fmt.Sprintf("expect_body = %q", marker)), want: up(200)},
		{name: "match at 1.5 MiB, max_body 1 MiB", service: svc(main("/big/marker.txt"), fmt.Sprintf("expect_body = %q", marker), `max_body = "1MiB"`),
			want:    down(uptime.ErrTooLarge, 200, fmt.Sprintf("body cut at 1 MiB before a match for %q", marker)),
			netHTTP: fmt.Sprintf(capDiffers, "net/http"), curl: fmt.Sprintf(capDiffers, "curl")},
		{name: "1.5 MiB of JSON", service: svc(main("/big/large.json"), `expect_json = { allReady = true }`), want: up(200)},
		{name: "1.5 MiB of JSON, max_body 1 MiB", service: svc(main("/big/large.json"), `expect_json = { allReady = true }`, `max_body = "1MiB"`),
			want:    down(uptime.ErrTooLarge, 200, "body cut at 1 MiB before the JSON ended"),
			netHTTP: fmt.Sprintf(capDiffers, "net/http"), curl: fmt.Sprintf(capDiffers, "curl")},

		// Headers.
		{name: "80 KB of headers", service: svc(main("/headers80k"), `expect_body = "many headers"`), want: up(200)},
		{name: "1.2 MB of headers", service: svc(main("/headers1200k")),
			want:    down(uptime.ErrProtocol, 0, fmt.Sprintf("GET https://localhost:%d/headers1200k: *1048576*", n.main)),
			netHTTP: "net/http's client accepts 10 MiB of headers; statusgen stops at 1 MiB (http.DefaultMaxHeaderBytes, net/http's server default), already more than browsers and curl accept"},

		// IPv6, an IDN host, HEAD.
		{name: "ipv6", service: svc(fmt.Sprintf("https://[::1]:%d/proto", n.v6), `expect_body = "HTTP/1.1 TLSv1.3"`), want: up(200),
			netHTTP: h2Differs, curl: curlH2},
		{name: "idn host", service: svc(fmt.Sprintf("https://%s:%d/proto", idnHost, n.main), `expect_body = "`+idnASCII+`"`), want: up(200)},
		{name: "idn host, 404", service: svc(fmt.Sprintf("https://%s:%d/missing", idnHost, n.main)),
			want: down(uptime.ErrStatus, 404, fmt.Sprintf("HTTP 404 from GET https://%s:%d/missing, want 200", idnHost, n.main))},
		{name: "head", service: svc(main("/ok"), `method = "HEAD"`), want: up(200)},
		{name: "head, 404", service: svc(main("/missing"), `method = "HEAD"`),
			want: down(uptime.ErrStatus, 404, fmt.Sprintf("HTTP 404 from HEAD https://localhost:%d/missing, want 200", n.main))},
	}
}
