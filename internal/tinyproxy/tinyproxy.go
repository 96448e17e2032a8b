// Package tinyproxy runs a real forward proxy, Debian's tinyproxy, for
// tests: checks, the canary, Slack and GitHub behind an egress proxy are
// tested against the proxy operators run, not one written for the test.
// .ci/run installs it; without it a test skips, or fails when CI=true.
package tinyproxy

import (
	"bytes"
	"cmp"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options shape the proxy.
type Options struct {
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

// Start runs tinyproxy on 127.0.0.1 (or o.Listen) until the test ends and
// returns its address (host:port). Its log is shown when the test fails.
func Start(t testing.TB, o Options) string {
	t.Helper()
	bin, err := exec.LookPath("tinyproxy")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tinyproxy is not installed: .ci/run installs it (apt-get install tinyproxy)")
		}
		t.Skip("tinyproxy is not installed (apt-get install tinyproxy); skipping the test against a real proxy")
	}
	ip := cmp.Or(o.Listen, "127.0.0.1")
	addr := freeAddr(t, ip)
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
	if err := os.WriteFile(path, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	var log syncBuffer
	cmd := exec.Command(bin, "-d", "-c", path)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start tinyproxy: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("tinyproxy's log:\n%s", log.String())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("tinyproxy exited at start:\n%s", log.String())
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("tinyproxy not listening on %s after 10s:\n%s", addr, log.String())
		}
	}
}

// freeAddr is an address on ip nothing listens on now.
func freeAddr(t testing.TB, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
