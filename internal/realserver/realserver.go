// Package realserver runs the web servers operators run, as Debian ships
// them, for tests: nginx, Apache, Caddy and tinyproxy, each in the foreground on
// 127.0.0.1 ports with a configuration written to the test's temporary
// folder, stopped when the test ends. .ci/run installs them; without one a
// test skips with a message locally and fails when CI=true.
// Tinyproxy does the same for the forward proxy.
package realserver

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Tool returns the path of the program name, which Debian's package pkg
// installs. When it is missing the test skips, or fails when CI=true.
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	// Debian puts daemons in /usr/sbin, which an ordinary user's PATH may lack.
	if p := filepath.Join("/usr/sbin", name); isExecutable(p) {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed: .ci/run installs it (apt-get install %s)", name, pkg)
	}
	t.Skipf("%s is not installed (apt-get install %s); skipping the test against a real %s", name, pkg, name)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// FreePort is a port on ip (an address of this machine) that nothing
// listens on now. Another process may take it before the server does; the
// server then fails to start, and the test says so.
func FreePort(t testing.TB, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("no free port on %s: %v", ip, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// PublicDir is a new folder under the test's temporary folder that every
// user may read: servers started as root serve their files as an
// unprivileged user (Apache refuses to serve as root), and t.TempDir()
// is private to its owner.
func PublicDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir() // <temp>/<test name and number>/<NNN>, both private
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Start runs cmd until the test ends and waits until every address in
// addrs (host:port) accepts connections. name names the server in
// messages; its output is shown when the test fails.
func Start(t testing.TB, name string, cmd *exec.Cmd, addrs ...string) {
	t.Helper()
	var log SyncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	// A group of its own, so that the end of the test stops the workers
	// too: nginx's outlive a killed master, holding the output open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("%s's output:\n%s", name, log.String())
		}
	})
	for _, addr := range addrs {
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			select {
			case <-exited:
				t.Fatalf("%s exited at start (%v):\n%s", name, cmd.ProcessState, log.String())
			default:
			}
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not listening on %s after 15s:\n%s", name, addr, log.String())
			}
		}
	}
}

// writeFile writes a configuration file, failing the test if it cannot.
func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// asRoot tells whether the test runs as root, when servers switch their
// workers to another user unless told otherwise.
func asRoot() bool { return os.Geteuid() == 0 }

// SyncBuffer is a bytes.Buffer safe for a process's writes and the
// test's reads.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
