//go:build unix

package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// serverEnv makes the test binary, started again by
// BenchmarkCheckClientCPU, serve the benchmark target instead of running tests.
const serverEnv = "STATUSGEN_PROBE_BENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) == "1" {
		serveBenchTarget()
		return
	}
	os.Exit(m.Run())
}

// BenchmarkCheckClientCPU measures what a plain check costs the prober
// alone. The target runs in a child process (this test binary started
// again), so the benchmark process does only the client side: the check,
// its connection, its goroutines and the garbage collection of what it
// allocated. Reported beyond ns/op (wall time, which includes waiting for
// the child):
//
//   - client-cpu-ns/op: user+system CPU of this process (getrusage
//     RUSAGE_SELF) over the timed loop, divided by the checks made; the
//     benchmark harness's own share is negligible. On 127.0.0.1 the kernel
//     charges the sender for the receiver's share of each packet, so part
//     of the target's TCP work lands here; BenchmarkFreshConnClientCPU
//     shows how much.
//   - server-cpu-ns/op: the same for the child over the same loop, so that
//     client + server can be compared with BenchmarkCheck, which runs both in
//     one process.
//   - B/op and allocs/op: as usual, and here client-side only.
//
// The check is the same as BenchmarkCheck's: GET, expect 200 and
// {"allReady": true} from an 18-byte JSON body, one attempt, a fresh
// connection per check. "serial" runs one check at a time, so every wait
// for the network idles the process and the next answer wakes it: the
// worst case. "16 in flight" keeps 16 checks running, as a runner's
// max_parallel does under load.
func BenchmarkCheckClientCPU(b *testing.B) {
	srv := startBenchTarget(b)
	p, _ := newProber()
	svc := plainService(srv.url)
	svc.ExpectJSON = map[string]any{"allReady": true}
	check := func() {
		if r := p.Check(context.Background(), svc); r.Status != uptime.Up {
			b.Errorf("Check() = %+v, want up", r)
		}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		measureCPU(b, srv, func() {
			for b.Loop() {
				check()
			}
		})
	})
	b.Run("16 in flight", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		measureCPU(b, srv, func() {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					check()
				}
			})
		})
	})
}

// BenchmarkHTTPSClientCPU measures, like BenchmarkCheckClientCPU, what a
// check costs the prober alone, over https: one check at a time against
// the child's TLS 1.3 targets, one per certificate. "ecdsa-one" presents
// a single self-signed ECDSA certificate (the table); "ecdsa" and
// "rsa" a leaf and its intermediate, as public CAs issue them (P-256 and
// RSA 2048). Each variant turns one of the prober's choices on or off:
//
//   - h1/h2: HTTP/1.1 only, or HTTP/2 on offer (the service's http2);
//   - x25519/hybrid: the classical X25519 key share, or Go's default
//     hybrid X25519MLKEM768 (the service's post_quantum);
//   - full/resumed: every handshake full, or TLS sessions resumed from
//     the prober's shared cache (Prober.ResumeFor).
//
// "h2,hybrid,full" is the prober before issue 14; "h1,x25519,resumed" its
// default since. "http" is the same check over plain http in the same run.
// docs/performance.md has the figures and the command.
func BenchmarkHTTPSClientCPU(b *testing.B) {
	srv := startBenchTarget(b)
	type variant struct {
		name             string
		h2, hybrid, full bool
	}
	variants := []variant{
		{"h2,hybrid,full", true, true, true},
		{"h1,hybrid,full", false, true, true},
		{"h1,hybrid,resumed", false, true, false},
		{"h1,x25519,full", false, false, true},
		{"h1,x25519,resumed", false, false, false},
	}
	for _, target := range []string{"ecdsa-one", "ecdsa", "rsa"} {
		for _, v := range variants {
			if target != "ecdsa-one" && v.h2 {
				continue // HTTP/2's cost does not depend on the certificate
			}
			b.Run(target+"/"+v.name, func(b *testing.B) {
				p, _ := newProber()
				p.RootCAs = thePKI(b).roots
				if v.full {
					p.ResumeFor = -1
				}
				svc := plainService(srv.urls[target])
				svc.ExpectJSON = map[string]any{"allReady": true}
				svc.HTTP2, svc.PostQuantum = v.h2, v.hybrid
				benchSerial(b, srv, p, svc)
			})
		}
	}
	b.Run("http", func(b *testing.B) {
		p, _ := newProber()
		svc := plainService(srv.url)
		svc.ExpectJSON = map[string]any{"allReady": true}
		benchSerial(b, srv, p, svc)
	})
}

// benchSerial measures svc's checks one at a time.
func benchSerial(b *testing.B, srv *benchTarget, p *Prober, svc uptime.Service) {
	b.Helper()
	if r := p.Check(context.Background(), svc); r.Status != uptime.Up { // and a first session to resume
		b.Fatalf("Check() = %+v, want up", r)
	}
	b.ReportAllocs()
	measureCPU(b, srv, func() {
		for b.Loop() {
			if r := p.Check(context.Background(), svc); r.Status != uptime.Up {
				b.Fatalf("Check() = %+v, want up", r)
			}
		}
	})
}

// measureCPU runs loop and reports this process's and the target's CPU
// time per iteration.
func measureCPU(b *testing.B, srv *benchTarget, loop func()) {
	b.Helper()
	serverBefore := srv.cpu(b)
	clientBefore := selfCPU(b)
	loop()
	client := selfCPU(b) - clientBefore
	server := srv.cpu(b) - serverBefore
	b.ReportMetric(float64(client.Nanoseconds())/float64(b.N), "client-cpu-ns/op")
	b.ReportMetric(float64(server.Nanoseconds())/float64(b.N), "server-cpu-ns/op")
}

// BenchmarkFreshConnClientCPU is the floor under BenchmarkCheckClientCPU:
// the same exchange with the same child process, written by hand on a bare
// TCP connection — dial, one write of a minimal GET, read to the server's
// close, close — without net/http, the prober or any parsing. What a check
// costs above this is the HTTP client's and the prober's; this much is the
// kernel's and the runtime's price of a fresh connection per check.
func BenchmarkFreshConnClientCPU(b *testing.B) {
	srv := startBenchTarget(b)
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.url, "http://"), "/healthz")
	req := []byte("GET /healthz HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n\r\n")
	buf := make([]byte, 4096)
	d := net.Dialer{KeepAlive: -1} // as the prober's
	b.ReportAllocs()
	measureCPU(b, srv, func() {
		for b.Loop() {
			freshExchange(b, &d, addr, req, buf)
		}
	})
}

// freshExchange is one GET on a new connection, read to the server's close.
func freshExchange(b *testing.B, d *net.Dialer, addr string, req, buf []byte) {
	c, err := d.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(req); err != nil {
		b.Fatal(err)
	}
	n := 0
	for err == nil {
		var m int
		m, err = c.Read(buf[n:])
		n += m
	}
	if err != io.EOF || !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200") {
		b.Fatalf("read %q, %v; want a 200 and EOF", buf[:n], err)
	}
}

// benchTarget is the child process serving the benchmark's targets. A
// line on its stdin asks for its CPU time so far; closing stdin ends it.
type benchTarget struct {
	urls map[string]string // "http", and one https target per certificate ("ecdsa-one", "ecdsa", "rsa")
	url  string            // urls["http"]
	in   io.WriteCloser
	out  *bufio.Reader
}

// pkiEnv names the folder of the PEM files the child's https targets
// present, written by the parent from the test PKI.
const pkiEnv = "STATUSGEN_PROBE_BENCH_PKI"

// benchChains are the certificates the child serves https with, by target name.
func benchChains(p *testPKI) map[string]chain {
	return map[string]chain{"ecdsa-one": p.single, "ecdsa": p.ecdsa, "rsa": p.rsa}
}

func startBenchTarget(b *testing.B) *benchTarget {
	b.Helper()
	dir := b.TempDir()
	for name, c := range benchChains(thePKI(b)) {
		if _, err := c.writePEM(dir, name); err != nil {
			b.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), serverEnv+"=1", pkiEnv+"="+dir)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		in.Close()
		cmd.Wait()
	})
	t := &benchTarget{in: in, out: bufio.NewReader(out), urls: map[string]string{}}
	line, err := t.out.ReadString('\n')
	if err != nil {
		b.Fatalf("benchmark target did not start: %v", err)
	}
	for _, f := range strings.Fields(line) { // name=address
		name, addr, _ := strings.Cut(f, "=")
		scheme := "https://"
		if name == "http" {
			scheme = "http://"
		}
		t.urls[name] = scheme + addr + "/healthz"
	}
	t.url = t.urls["http"]
	return t
}

// cpu asks the child for its CPU time so far.
func (t *benchTarget) cpu(b *testing.B) time.Duration {
	b.Helper()
	if _, err := io.WriteString(t.in, "cpu\n"); err != nil {
		b.Fatal(err)
	}
	line, err := t.out.ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return time.Duration(ns)
}

// serveBenchTarget is the child's whole life: print the addresses, serve,
// answer CPU queries, exit when stdin closes. Its https targets are Go's
// TLS 1.3 server with session tickets and HTTP/2 on offer, as most are.
func serveBenchTarget() {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "benchmark target:", err)
		os.Exit(1)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"allReady": true}`)
	})
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fail(err)
		}
		return ln
	}
	ln := listen()
	go http.Serve(ln, h)
	addrs := []string{"http=" + ln.Addr().String()}
	for _, name := range []string{"ecdsa-one", "ecdsa", "rsa"} {
		path := filepath.Join(os.Getenv(pkiEnv), name+".pem")
		cert, err := tls.LoadX509KeyPair(path, path)
		if err != nil {
			fail(err)
		}
		ln := listen()
		srv := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
		go srv.ServeTLS(ln, "", "")
		addrs = append(addrs, name+"="+ln.Addr().String())
	}
	fmt.Println(strings.Join(addrs, " "))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			fail(err)
		}
		fmt.Println(cpuTime(ru).Nanoseconds())
	}
}

func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return cpuTime(ru)
}

func cpuTime(ru syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
