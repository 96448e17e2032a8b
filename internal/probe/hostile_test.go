package probe

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// hostileDeadline is the check deadline every hostile target must respect;
// hostileTimeout the per-request timeout inside it. Three attempts of the
// timeout fit the deadline, so the test also proves retries honour it.
const (
	hostileDeadline = 2 * time.Second
	hostileTimeout  = 400 * time.Millisecond
	// maxGrowth bounds the bytes one attempt may allocate, whatever the
	// target sends: the body cap is 4 MiB, the header cap 1 MiB. Reading a
	// 1 GiB body whole would allocate over sixty times more.
	maxGrowth = 16 << 20
)

// TestCheckHostileTargets runs targets built to hurt a prober — by time,
// by size or by protocol — and requires each check to end within the
// deadline, with the right kind, allocating less than maxGrowth. The
// failures already covered elsewhere (a silent server, a stalled or
// trickling body, an untrusted certificate, a redirect loop, a plain
// hang-up, an SSH banner) are not repeated here.
func TestCheckHostileTargets(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, p *Prober, svc *uptime.Service) string // returns the URL to check
		kind  uptime.ErrorKind
	}{
		{"slowloris: headers one byte per 50 ms", func(t *testing.T, p *Prober, svc *uptime.Service) string {
			return tcpServer(t, func(c net.Conn) {
				for _, b := range []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Pad: " + strings.Repeat("a", 1000)) {
					if _, err := c.Write([]byte{b}); err != nil {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			})
		}, uptime.ErrTimeout},
		{"header flood past the 1 MiB cap", func(t *testing.T, p *Prober, svc *uptime.Service) string {
			return tcpServer(t, func(c net.Conn) {
				io.WriteString(c, "HTTP/1.1 200 OK\r\n")
				line := []byte("X-Flood: " + strings.Repeat("a", 1000) + "\r\n")
				for {
					if _, err := c.Write(line); err != nil {
						return
					}
				}
			})
		}, uptime.ErrProtocol},
		{"1 GiB body, generated, never stored", func(t *testing.T, p *Prober, svc *uptime.Service) string {
			svc.ExpectBody = "never-there"
			return newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(1<<30))
				io.CopyN(w, zeros{}, 1<<30)
			}).URL
		}, uptime.ErrTooLarge},
		{"endless chunked body as JSON", func(t *testing.T, p *Prober, svc *uptime.Service) string {
			svc.ExpectJSON = map[string]any{"allReady": true}
			return newServer(t, func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"allReady": true, "pad": "`)
				for {
					if _, err := io.CopyN(w, zeros{}, 64<<10); err != nil {
						return
					}
				}
			}).URL
		}, uptime.ErrTooLarge},
		{"connection reset before an answer", func(t *testing.T, p *Prober, svc *uptime.Service) string {
			return tcpServer(t, func(c net.Conn) { reset(c) })
		}, uptime.ErrConnect},
		{"connection reset mid-body", func(t *testing.T, p *Prober, svc *uptime.Service) string {
			return tcpServer(t, func(c net.Conn) {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("a", 1000))
				time.Sleep(10 * time.Millisecond) // let the headers arrive before the reset
				reset(c)
			})
		}, uptime.ErrConnect},
		{"binary garbage instead of HTTP", func(t *testing.T, p *Prober, svc *uptime.Service) string {
			return tcpServer(t, func(c net.Conn) { c.Write([]byte("\x00\xff\xfe\x16\x03\x01garbage\r\n\r\n")) })
		}, uptime.ErrProtocol},
		{"TLS handshake that never finishes", func(t *testing.T, p *Prober, svc *uptime.Service) string {
			return strings.Replace(tcpServer(t, func(c net.Conn) { io.Copy(io.Discard, c) }), "http:", "https:", 1)
		}, uptime.ErrTimeout},
		{"DNS answers NXDOMAIN", func(t *testing.T, p *Prober, svc *uptime.Service) string {
			p.DialContext = (&net.Dialer{Resolver: fakeResolver(t, true)}).DialContext
			return "http://no-such-host.test/healthz"
		}, uptime.ErrDNS},
		{"DNS server never answers", func(t *testing.T, p *Prober, svc *uptime.Service) string {
			p.DialContext = (&net.Dialer{Resolver: fakeResolver(t, false)}).DialContext
			return "http://silent-dns.test/healthz"
		}, uptime.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Prober{UserAgent: testUA}
			svc := plainService("")
			svc.Timeout = hostileTimeout
			svc.Retries = 3
			svc.RetryDelay = 0
			svc.URL = tt.setup(t, p, &svc)

			ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
			defer cancel()
			var got uptime.Result
			grew := allocated(func() { got = p.Check(ctx, svc) })
			elapsed := time.Since(got.Time)

			checkResult(t, got, uptime.Down, tt.kind)
			if elapsed > hostileDeadline+250*time.Millisecond {
				t.Errorf("Check() took %v, want within the %v deadline", elapsed, hostileDeadline)
			}
			if grew > maxGrowth*uint64(max(got.Attempts, 1)) {
				t.Errorf("Check() allocated %d MiB in %d attempts, want under %d MiB each", grew>>20, got.Attempts, maxGrowth>>20)
			}
			if got.Detail != Sanitize(got.Detail) {
				t.Errorf("Check().Detail = %q, want it sanitized", got.Detail)
			}
			if testing.Verbose() {
				t.Logf("%d attempts in %v, %d KiB allocated: %s", got.Attempts, elapsed.Round(time.Millisecond), grew>>10, got.Detail)
			}
		})
	}
}

// TestCheckRedirectDropsCredentials follows a redirect to another host
// with every kind of credential a check can carry and looks at what the
// second host received: none of them, even when the chain comes back.
func TestCheckRedirectDropsCredentials(t *testing.T) {
	var mu sync.Mutex
	var atOther []http.Header
	other := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		atOther = append(atOther, r.Header.Clone())
		mu.Unlock()
		if back := r.URL.Query().Get("back"); back != "" {
			http.Redirect(w, r, back, http.StatusFound)
			return
		}
		io.WriteString(w, "ok")
	})
	otherAddr := other.Listener.Addr().String()
	_, otherPort, _ := net.SplitHostPort(otherAddr)
	otherHost := "other.test:" + otherPort
	origin := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, "http://"+otherHost+"/landing", http.StatusFound)
		case "/away-and-back":
			http.Redirect(w, r, "http://"+otherHost+"/landing?back=http://"+r.Host+"/home", http.StatusFound)
		default:
			io.WriteString(w, "ok")
		}
	})
	p, _ := newProber()
	p.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == otherHost {
			addr = otherAddr
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	const sentinel = "sentinel-c0ffee"
	credentials := []uptime.Header{
		{Name: "Authorization", Value: "Bearer " + sentinel, Secret: true},
		{Name: "Cookie", Value: "session=" + sentinel},
		{Name: "X-Api-Key", Value: sentinel, Secret: true},
	}
	tests := []struct {
		name    string
		path    string
		headers []uptime.Header
	}{
		{"Authorization from ${VAR}", "/away", credentials[:1]},
		{"Authorization written in services.toml", "/away", []uptime.Header{{Name: "Authorization", Value: "Basic " + sentinel}}},
		{"a cookie", "/away", credentials[1:2]},
		{"an API key from ${VAR}", "/away", credentials[2:]},
		{"all of them, away and back", "/away-and-back", credentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			atOther = nil
			mu.Unlock()
			svc := plainService(origin.URL + tt.path)
			svc.FollowRedirects = true
			svc.Headers = tt.headers
			checkResult(t, p.Check(context.Background(), svc), uptime.Up, "")
			mu.Lock()
			defer mu.Unlock()
			if len(atOther) != 1 {
				t.Fatalf("the other host got %d requests, want 1", len(atOther))
			}
			for name, values := range atOther[0] {
				if strings.Contains(strings.Join(values, " "), sentinel) {
					t.Errorf("the other host got %s: %q, want no credential", name, values)
				}
			}
		})
	}
}

// allocated runs f and returns how many heap bytes were allocated while
// it ran: an upper bound on how much the heap could have grown.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// zeros is an endless reader of zero bytes that allocates nothing.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// tcpServer accepts connections on 127.0.0.1 and hands each, after the
// request's first bytes were read, to serve, then closes it.
func tcpServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				// Whatever the handler does, it gives up with the test.
				c.SetDeadline(time.Now().Add(3 * hostileDeadline))
				c.Read(make([]byte, 4096))
				serve(c)
			})
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// reset closes c with an RST instead of a FIN: the peer sees ECONNRESET.
func reset(c net.Conn) {
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
}

// fakeResolver is a Go resolver whose only DNS server is a local UDP one
// that answers every query with NXDOMAIN, or never answers when nxdomain
// is false.
func fakeResolver(t *testing.T, nxdomain bool) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if !nxdomain || n < 12 {
				continue
			}
			// Echo the query with QR, RD, RA set and RCODE 3 (NXDOMAIN),
			// no answers: the question section stays as it came.
			reply := append([]byte(nil), buf[:n]...)
			binary.BigEndian.PutUint16(reply[2:], 0x8183)
			pc.WriteTo(reply, addr)
		}
	}()
	server := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", server)
	}}
}
