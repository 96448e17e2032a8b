package conformance

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/internal/cli"
	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// A tcase is one service checked against a real server: what statusgen
// must find, and whether net/http's default client and curl, asked the
// same (method, headers, redirects, expected status, body assertions),
// reach the same verdict, up or down.
type tcase struct {
	name string
	// service is the service's lines in services.toml, its name aside.
	service string
	want    verdict
	// netHTTP and curl are "" when that client reaches statusgen's
	// verdict, else why it does not: a disagreement must be explained,
	// and an explanation that no longer holds fails too.
	netHTTP, curl string
	// gzip says how the server compresses the answer, checked so that a
	// fixture does what its case says.
	gzip compression
	// binary also runs the case through `statusgen once` (see binary_test.go).
	binary bool
}

// compression is how a server compresses an answer.
type compression int

const (
	// identity: the case makes no claim.
	identity compression = iota
	// negotiated: only for a client that asks, as net/http's Transport
	// does (and decodes); curl, which does not ask, gets it plain.
	negotiated
	// unasked: for every client, asked or not (nginx's gzip_static
	// always, Apache's force-gzip).
	unasked
)

// verdict is what a check must report.
type verdict struct {
	status uptime.Status
	kind   uptime.ErrorKind
	code   int
	// detail is the whole detail, where * stands for any text (a port, a
	// time, an OS's wording).
	detail string
}

func up(code int) verdict { return verdict{status: uptime.Up, code: code} }

func down(kind uptime.ErrorKind, code int, detail string) verdict {
	return verdict{status: uptime.Down, kind: kind, code: code, detail: detail}
}

// check reports how got differs from v.
func (v verdict) check(t *testing.T, got uptime.Result) {
	t.Helper()
	if got.Status != v.status || got.Error != v.kind || got.Code != v.code || !glob(v.detail, got.Detail) {
		t.Errorf("statusgen: %s/%s, HTTP %d, detail %q\n                      want %s/%s, HTTP %d, detail %q",
			got.Status, got.Error, got.Code, got.Detail, v.status, v.kind, v.code, v.detail)
	}
}

// glob reports whether s matches pattern, in which * stands for any text.
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	if len(parts) == 1 {
		return s == ""
	}
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// world is what a server's cases share: the PKI its certificates come
// from, a folder, and how names resolve.
type world struct {
	pki    *pki
	dir    string
	caFile string
	// dial replaces the system's resolver for names no DNS knows (the IDN
	// host); nil dials as the system does. curlResolve is the same map for
	// curl (--resolve host:port:address).
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
	curlResolve []string
	// env is statusgen's environment: the values of ${VAR} in headers.
	env map[string]string
}

func newWorld(t *testing.T) *world {
	p := testPKI(t)
	dir := t.TempDir()
	return &world{pki: p, dir: dir, caFile: p.caFile(t, dir), env: map[string]string{}}
}

// servicesTOML is a services.toml with one service per case, named after
// it. One attempt per check: a case is about what one request finds.
func servicesTOML(cases []tcase) string {
	var b strings.Builder
	b.WriteString("[settings]\nretries = 1\nfailure_threshold = 5\n")
	for _, c := range cases {
		fmt.Fprintf(&b, "\n[[service]]\nname = %q\n%s\n", c.name, strings.TrimSpace(c.service))
	}
	return b.String()
}

// run checks every case with the prober `statusgen once` builds from the
// same services.toml (cli.NewProber), each in a subtest named after it,
// and compares the verdicts with net/http's and curl's.
func (w *world) run(t *testing.T, cases []tcase) {
	t.Helper()
	cfg, err := config.Parse("services.toml", []byte(servicesTOML(cases)), w.getenv)
	if err != nil {
		t.Fatalf("services.toml: %v", err)
	}
	p := cli.NewProber(cfg)
	// The two changes to production's prober: it trusts the system's
	// roots, among which the test's CA is not (the binary's cases set
	// SSL_CERT_FILE instead), and it resolves with the system's resolver,
	// which knows no bücher.test.
	p.RootCAs = w.pki.roots
	p.DialContext = w.dial
	for i, c := range cases {
		svc := cfg.Services[i]
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), cfg.Settings.CheckDeadline)
			defer cancel()
			got := p.Check(ctx, svc)
			t.Logf("statusgen: %s %s %d %q", got.Status, got.Error, got.Code, got.Detail)
			c.want.check(t, got)
			w.compare(t, c, svc)
		})
	}
	if bin := binaryCases(cases); len(bin) > 0 {
		t.Run("statusgen once", func(t *testing.T) {
			t.Parallel()
			w.runBinary(t, bin, nil, nil)
		})
	}
}

func (w *world) getenv(name string) string { return w.env[name] }

// compare holds net/http's default client and curl to statusgen's
// verdict, up or down, unless the case says why they differ.
func (w *world) compare(t *testing.T, c tcase, svc uptime.Service) {
	t.Helper()
	ctx := context.Background()
	ref := netHTTPReference(ctx, svc, w.netHTTPTransport())
	t.Logf("net/http: %s", ref.What)
	agree(t, "net/http's default client", c.want.status.IsUp(), ref, c.netHTTP)
	if c.gzip != identity && !ref.Gunzipped {
		t.Errorf("fixture: the case says the answer is gzip, but net/http did not decompress it")
	}
	if curl, ok := curlPath(t); ok {
		args := append([]string{"--noproxy", "*"}, w.curlArgs()...)
		ref := curlReference(ctx, t, svc, exec.Command(curl), args, filepath.Join(t.TempDir(), "body"))
		t.Logf("curl: %s", ref.What)
		agree(t, "curl", c.want.status.IsUp(), ref, c.curl)
		if want := map[compression]string{negotiated: "", unasked: "gzip"}[c.gzip]; c.gzip != identity && ref.Encoding != want {
			t.Errorf("fixture: curl, which sends no Accept-Encoding, got Content-Encoding %q, want %q", ref.Encoding, want)
		}
	}
}

func (w *world) curlArgs() []string {
	args := []string{"--cacert", w.caFile}
	for _, r := range w.curlResolve {
		args = append(args, "--resolve", r)
	}
	return args
}

// agree fails the test when client's verdict differs from statusgen's
// and the case does not say why, or says why although they agree.
func agree(t *testing.T, client string, statusgenUp bool, ref reference, why string) {
	t.Helper()
	switch {
	case ref.Up == statusgenUp && why != "":
		t.Errorf("%s agrees with statusgen (%s), but the case explains a disagreement: %s", client, ref.What, why)
	case ref.Up != statusgenUp && why == "":
		t.Errorf("%s finds the service %s (%s), statusgen %s: a disagreement needs its reason in the case",
			client, upDown(ref.Up), ref.What, upDown(statusgenUp))
	}
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

// onCI reports whether a missing tool or privilege fails the test rather
// than skipping it.
func onCI() bool { return os.Getenv("CI") == "true" }
