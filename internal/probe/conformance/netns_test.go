package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/realserver"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestBehindProxy runs the real binary, `statusgen once`, in a network
// namespace whose only route leads to tinyproxy: the services (nginx, in
// the host's namespace) are reachable through the proxy alone, as behind
// an egress proxy. Checks pass through HTTPS_PROXY and HTTP_PROXY, fail
// as connect without them, and `proxy = "none"` bypasses the proxy.
// net/http's default client and curl run in the same namespace.
func TestBehindProxy(t *testing.T) {
	ns := newNetns(t)
	w := newWorld(t)
	free := func(ip string) int { return realserver.FreePort(t, ip) }
	httpPort, httpsPort, closed := free(ns.target), free(ns.target), free(ns.target)
	direct := free(ns.hostIP) // the host's end of the link, reachable without the proxy
	proxy := "http://" + realserver.Tinyproxy(t, realserver.ProxyOptions{Listen: ns.hostIP, Allow: []string{ns.subnet}})

	leaf := w.pki.ecInter.leaf(t, names{dns: []string{idnASCII}, ips: []net.IP{net.ParseIP(ns.target), net.ParseIP(ns.hostIP)}}, valid())
	crt, key := leaf.files(t, w.dir, "target")
	realserver.Nginx(t, fmt.Sprintf(`server {
listen %[1]s:%[2]d;
listen %[1]s:%[3]d ssl;
listen %[4]s:%[5]d ssl;
ssl_certificate %[6]s;
ssl_certificate_key %[7]s;
location = /ok { return 200 "ok behind the proxy\n"; }
location = /maint { return 503 "down for maintenance\n"; }
location = /proto { return 200 "$server_protocol $host\n"; }
}
`, ns.target, httpPort, httpsPort, ns.hostIP, direct, crt, key),
		fmt.Sprintf("%s:%d", ns.target, httpPort), fmt.Sprintf("%s:%d", ns.target, httpsPort), fmt.Sprintf("%s:%d", ns.hostIP, direct))
	// bücher.test is the directly reachable address, for the namespace's
	// resolver only (ip netns exec mounts this file on /etc/hosts).
	ns.hosts(t, fmt.Sprintf("127.0.0.1 localhost\n%s %s\n", ns.hostIP, idnASCII))

	target := func(scheme string, port int, path string) string {
		return fmt.Sprintf("%s://%s:%d%s", scheme, ns.target, port, path)
	}
	unreachable := func(scheme string, port int, path string) verdict {
		return down(uptime.ErrConnect, 0, fmt.Sprintf("GET %s: dial tcp %s:%d: connect: network is unreachable", target(scheme, port, path), ns.target, port))
	}
	idn := fmt.Sprintf("https://%s:%d/proto", idnHost, direct)
	groups := []struct {
		name  string
		proxy string // HTTPS_PROXY and HTTP_PROXY
		cases []tcase
	}{
		{"HTTPS_PROXY and HTTP_PROXY", proxy, []tcase{
			{name: "https through HTTPS_PROXY", service: fmt.Sprintf("url = %q\nexpect_body = \"ok behind the proxy\"", target("https", httpsPort, "/ok")), want: up(200)},
			{name: "http through HTTP_PROXY", service: fmt.Sprintf("url = %q\nexpect_body = \"ok behind the proxy\"", target("http", httpPort, "/ok")), want: up(200)},
			{name: "503 through the proxy names the service", service: fmt.Sprintf("url = %q", target("https", httpsPort, "/maint")),
				want: down(uptime.ErrStatus, 503, fmt.Sprintf("HTTP 503 from GET %s, want 200", target("https", httpsPort, "/maint")))},
			{name: "the proxy cannot connect", service: fmt.Sprintf("url = %q", target("https", closed, "/ok")),
				want: down(uptime.ErrConnect, 0, fmt.Sprintf("GET %s: the proxy answered CONNECT with HTTP 500 Internal Server Error", target("https", closed, "/ok")))},
			// Over plain http the proxy's own error page is all there is to
			// see: statusgen, net/http and curl alike take its 500 for the
			// service's (docs/checks.md, Proxies).
			{name: "the proxy cannot connect, http", service: fmt.Sprintf("url = %q", target("http", closed, "/ok")),
				want: down(uptime.ErrStatus, 500, fmt.Sprintf("HTTP 500 from GET %s, want 200", target("http", closed, "/ok")))},
			{name: `proxy = "none" bypasses it`, service: fmt.Sprintf("url = %q\nproxy = \"none\"", target("https", httpsPort, "/ok")),
				want: unreachable("https", httpsPort, "/ok")},
			{name: `proxy = "none" reaches what the namespace reaches, an idn host`, service: fmt.Sprintf("url = %q\nproxy = \"none\"\nexpect_body = %q", idn, idnASCII),
				want: up(200)},
		}},
		{"no proxy in the environment", "", []tcase{
			{name: "https without a proxy", service: fmt.Sprintf("url = %q", target("https", httpsPort, "/ok")), want: unreachable("https", httpsPort, "/ok")},
			{name: "http without a proxy", service: fmt.Sprintf("url = %q", target("http", httpPort, "/ok")), want: unreachable("http", httpPort, "/ok")},
			{name: "the service's own proxy", service: fmt.Sprintf("url = %q\nproxy = %q\nexpect_body = \"ok behind the proxy\"", target("https", httpsPort, "/ok"), proxy),
				want: up(200)},
		}},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			var env []string
			if g.proxy != "" {
				env = []string{"HTTPS_PROXY=" + g.proxy, "HTTP_PROXY=" + g.proxy}
			}
			w.runBinary(t, g.cases, ns.exec(), env)

			getenv := func(k string) string {
				if k == "HTTPS_PROXY" || k == "HTTP_PROXY" {
					return g.proxy
				}
				return w.env[k]
			}
			cfg, err := config.Parse("services.toml", []byte(servicesTOML(g.cases)), getenv)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range g.cases {
				svc := cfg.Services[i]
				route := svc.Proxy
				switch route {
				case "":
					route = g.proxy
				case "none":
					route = ""
				}
				t.Run(c.name+", net/http and curl", func(t *testing.T) {
					t.Parallel()
					ref := ns.netHTTP(t, svc, route, w.caFile)
					t.Logf("net/http: %s", ref.What)
					agree(t, "net/http's default client", c.want.status.IsUp(), ref, c.netHTTP)
					curl, ok := curlPath(t)
					if !ok {
						return
					}
					args := []string{"--cacert", w.caFile, "--noproxy", "*"}
					if route != "" {
						args = []string{"--cacert", w.caFile, "--proxy", route}
					}
					cmd := exec.Command(ns.ip, "netns", "exec", ns.name, curl)
					ref = curlReference(context.Background(), t, svc, cmd, args, filepath.Join(t.TempDir(), "body"))
					t.Logf("curl: %s", ref.What)
					agree(t, "curl", c.want.status.IsUp(), ref, c.curl)
				})
			}
		})
	}
}

// netns is a network namespace linked to the host's by a veth pair and
// nothing else: its only route is the link's /30, whose host end
// (hostIP) is where tinyproxy listens. target is an address of the
// host's that the namespace has no route to: the rest of the world.
type netns struct {
	ip             string // the ip command
	name           string
	hostIP, subnet string
	target         string
}

func newNetns(t *testing.T) *netns {
	ipCmd := realserver.Tool(t, "ip", "iproute2")
	if os.Geteuid() != 0 {
		if onCI() {
			t.Fatal("network namespaces need root: CI runs the suite as root")
		}
		t.Skip("network namespaces need root; skipping the tests behind a proxy in a namespace")
	}
	b := make([]byte, 3)
	rand.Read(b)
	id := hex.EncodeToString(b)
	ns := &netns{
		ip:     ipCmd,
		name:   "sgconf-" + id,
		hostIP: fmt.Sprintf("10.213.%d.1", b[0]),
		subnet: fmt.Sprintf("10.213.%d.0/30", b[0]),
		target: fmt.Sprintf("10.214.%d.1", b[0]),
	}
	hostIf, nsIf := "sgc"+id+"h", "sgc"+id+"n"
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ipCmd, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", ns.name)
	t.Cleanup(func() {
		// Deleting the namespace deletes its end of the pair, and the pair.
		exec.Command(ipCmd, "netns", "del", ns.name).Run()
		exec.Command(ipCmd, "link", "del", hostIf).Run()
		os.RemoveAll(filepath.Join("/etc/netns", ns.name))
	})
	run("link", "add", hostIf, "type", "veth", "peer", "name", nsIf)
	run("link", "set", nsIf, "netns", ns.name)
	run("addr", "add", ns.hostIP+"/30", "dev", hostIf)
	run("addr", "add", ns.target+"/32", "dev", hostIf)
	run("link", "set", hostIf, "up")
	run("-n", ns.name, "addr", "add", fmt.Sprintf("10.213.%d.2/30", b[0]), "dev", nsIf)
	run("-n", ns.name, "link", "set", nsIf, "up")
	run("-n", ns.name, "link", "set", "lo", "up")
	return ns
}

// exec is the prefix that runs a command in the namespace.
func (ns *netns) exec() []string { return []string{ns.ip, "netns", "exec", ns.name} }

// hosts is the namespace's /etc/hosts: ip netns exec mounts
// /etc/netns/<name>/hosts over it for the commands it runs.
func (ns *netns) hosts(t *testing.T, text string) {
	dir := filepath.Join("/etc/netns", ns.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// childEnv, when set, makes the test binary net/http's default client
// for the service it holds (JSON), run inside the namespace.
const childEnv = "STATUSGEN_CONFORMANCE_NETHTTP"

// netHTTP runs net/http's default client in the namespace: this test
// binary, as a child whose http.DefaultTransport takes the route from
// HTTPS_PROXY and HTTP_PROXY (route, or none) and the roots from
// SSL_CERT_FILE.
func (ns *netns) netHTTP(t *testing.T, svc uptime.Service, route, caFile string) reference {
	t.Helper()
	spec, err := json.Marshal(svc)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ns.ip, "netns", "exec", ns.name, os.Args[0])
	cmd.Env = []string{childEnv + "=" + string(spec), "SSL_CERT_FILE=" + caFile}
	if route != "" {
		cmd.Env = append(cmd.Env, "HTTPS_PROXY="+route, "HTTP_PROXY="+route)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("net/http in the namespace: %v\n%s", err, out)
	}
	var ref reference
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatalf("net/http in the namespace said %q: %v", out, err)
	}
	return ref
}

// netHTTPChild checks the service spec describes with net/http's default
// client and prints what it found.
func netHTTPChild(spec string) int {
	var svc uptime.Service
	if err := json.Unmarshal([]byte(spec), &svc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	json.NewEncoder(os.Stdout).Encode(netHTTPReference(context.Background(), svc, http.DefaultTransport))
	return 0
}
