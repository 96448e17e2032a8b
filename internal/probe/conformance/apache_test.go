package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/internal/realserver"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestApache holds statusgen to Apache 2.4 as Debian ships it, with
// mod_deflate's force-gzip: every answer compressed, whether the client
// asked or not, over http and over https (an RSA chain); basic auth, a
// redirect, HEAD.
func TestApache(t *testing.T) {
	w := newWorld(t)
	httpPort, httpsPort := realserver.FreePort(t, "127.0.0.1"), realserver.FreePort(t, "127.0.0.1")
	w.env["CONF_AUTH"] = basicAuth

	root := realserver.PublicDir(t) // served as nobody when the test runs as root
	// mod_deflate leaves answers of a few dozen bytes alone: these are the
	// size of real ones.
	var services []string
	for _, s := range []string{"web", "search", "linker", "api", "mcp", "chatbot", "texts", "sheets", "topics", "calendars"} {
		services = append(services, fmt.Sprintf(`{"name": %q, "ready": true, "latency_ms": 12}`, s))
	}
	for name, text := range map[string]string{
		"health.json":    `{"allReady": true, "services": [` + strings.Join(services, ", ") + "]}\n",
		"page.txt":       strings.Repeat("All systems operational. ", 20) + "Sefaria is up\n",
		"private/ok.txt": "secret ok\n",
		"htpasswd":       htpasswd(),
	} {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	crt, key := w.pki.rsaInter.leaf(t, local, valid()).files(t, w.dir, "apache")
	conf := fmt.Sprintf(`Listen 127.0.0.1:%[1]d
Listen 127.0.0.1:%[2]d
TypesConfig /etc/mime.types
DocumentRoot %[3]s
<Directory %[3]s>
	Require all granted
</Directory>
<Files htpasswd>
	Require all denied
</Files>
# mod_deflate compresses for every client, asked or not.
SetEnv force-gzip 1
SetOutputFilter DEFLATE
Redirect 302 /old /health.json
Redirect 302 /maint /maintenance
<Location /private>
	AuthType Basic
	AuthName statusgen
	AuthUserFile %[3]s/htpasswd
	Require valid-user
</Location>
<VirtualHost 127.0.0.1:%[2]d>
	SSLEngine on
	SSLCertificateFile %[4]s
	SSLCertificateKeyFile %[5]s
</VirtualHost>
`, httpPort, httpsPort, root, crt, key)
	modules := []string{"mime", "deflate", "filter", "env", "alias", "auth_basic", "authn_core", "authn_file", "authz_user", "ssl", "socache_shmcb"}
	realserver.Apache(t, conf, modules, fmt.Sprintf("127.0.0.1:%d", httpPort), fmt.Sprintf("127.0.0.1:%d", httpsPort))

	plain := func(path string) string { return fmt.Sprintf("http://localhost:%d%s", httpPort, path) }
	secure := func(path string) string { return fmt.Sprintf("https://localhost:%d%s", httpsPort, path) }
	svc := func(url string, lines ...string) string {
		return fmt.Sprintf("url = %q\n%s", url, strings.Join(lines, "\n"))
	}
	const curlGzip = "curl decompresses only with --compressed, so it sees gzip bytes; statusgen, like Go and browsers, decodes what the server compressed"
	w.run(t, []tcase{
		{name: "force-gzip, expect_json, http", service: svc(plain("/health.json"), `expect_json = { allReady = true }`),
			want: up(200), gzip: unasked, curl: curlGzip, binary: true},
		{name: "force-gzip, expect_body, http", service: svc(plain("/page.txt"), `expect_body = "Sefaria is up"`),
			want: up(200), gzip: unasked, curl: curlGzip},
		{name: "force-gzip, expect_json, https", service: svc(secure("/health.json"), `expect_json = { allReady = true }`),
			want: up(200), gzip: unasked, curl: curlGzip},
		{name: "force-gzip, expect_json fails on its value", service: svc(secure("/health.json"), `expect_json = { allReady = false }`),
			want: down(uptime.ErrBody, 200, "JSON allReady = true, want false")},
		// A check that sets its own Accept-Encoding still reads gzip, as
		// browsers do, whatever it asked for.
		{name: "force-gzip against Accept-Encoding identity", service: svc(plain("/health.json"),
			`headers = { Accept-Encoding = "identity" }`, `expect_json = { allReady = true }`),
			want:    up(200),
			netHTTP: "net/http decodes only the gzip it asked for itself; with the caller's Accept-Encoding it hands over gzip bytes. statusgen decodes gzip whatever was asked, as browsers do",
			curl:    curlGzip},
		{name: "force-gzip, redirect", service: svc(plain("/old"), `expect_json = { allReady = true }`),
			want: up(200), gzip: unasked, curl: curlGzip},
		{name: "302 to 404 names the answering URL", service: svc(secure("/maint")),
			want: down(uptime.ErrStatus, 404, fmt.Sprintf("HTTP 404 from GET %s after 1 redirect, want 200", secure("/maintenance")))},
		{name: "basic auth without credentials", service: svc(secure("/private/ok.txt")),
			want: down(uptime.ErrStatus, 401, fmt.Sprintf("HTTP 401 from GET %s, want 200", secure("/private/ok.txt")))},
		{name: "basic auth", service: svc(secure("/private/ok.txt"), `headers = { Authorization = "${CONF_AUTH}" }`, `expect_body = "secret ok"`),
			want: up(200)},
		{name: "head", service: svc(plain("/health.json"), `method = "HEAD"`), want: up(200)},
	})
}
