package realserver

import (
	"cmp"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ProxyOptions shape a Tinyproxy.
type ProxyOptions struct {
	// User and Password, when set, are required from clients (BasicAuth):
	// a proxy URL's userinfo.
	User, Password string
	// Upstream maps a domain (".test" for every host under it) to the
	// address of an upstream HTTP proxy. A Go http.Server accepts the
	// absolute-form requests a proxy sends, so a test server given here
	// serves hosts that only the proxy can reach: plain http only, since
	// an upstream gets CONNECT for https.
	Upstream map[string]string
	// Listen is the address the proxy listens on; "" means 127.0.0.1.
	// Allow lists the clients it serves (addresses or networks like
	// "10.0.0.0/30"); none means Listen's address.
	Listen string
	Allow  []string
}

// Tinyproxy runs Debian's tinyproxy, the forward proxy operators run, on
// 127.0.0.1 (or o.Listen) until the test ends and returns its address
// (host:port): checks, the canary, Slack and GitHub behind an egress
// proxy are tested against it, not against one written for the test.
func Tinyproxy(t testing.TB, o ProxyOptions) string {
	t.Helper()
	bin := Tool(t, "tinyproxy", "tinyproxy")
	ip := cmp.Or(o.Listen, "127.0.0.1")
	addr := net.JoinHostPort(ip, strconv.Itoa(FreePort(t, ip)))
	_, port, _ := net.SplitHostPort(addr)
	conf := []string{
		"Port " + port,
		"Listen " + ip,
		"Timeout 30",
		"MaxClients 200",
		"LogLevel Info",
		// No ConnectPort line: CONNECT to any port, as test servers use.
	}
	if len(o.Allow) == 0 {
		o.Allow = []string{ip}
	}
	for _, a := range o.Allow {
		conf = append(conf, "Allow "+a)
	}
	if o.User != "" {
		conf = append(conf, fmt.Sprintf("BasicAuth %s %s", o.User, o.Password))
	}
	for domain, up := range o.Upstream {
		conf = append(conf, fmt.Sprintf("Upstream http %s %q", up, domain))
	}
	path := filepath.Join(t.TempDir(), "tinyproxy.conf")
	writeFile(t, path, strings.Join(conf, "\n")+"\n")
	Start(t, "tinyproxy", exec.Command(bin, "-d", "-c", path), addr)
	return addr
}
