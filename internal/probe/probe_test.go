package probe

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

func TestCheckRetries(t *testing.T) {
	const delay = 7 * time.Second
	tests := []struct {
		name     string
		svc      func(url string) uptime.Service
		h        func(n int32, w http.ResponseWriter, r *http.Request) // n counts requests from 1
		retries  int
		deadline time.Duration // 0: none
		status   uptime.Status
		kind     uptime.ErrorKind
		attempts int
		waits    []time.Duration
	}{
		{
			name: "three attempts, two waits", svc: plainService, retries: 3,
			h:      func(n int32, w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			status: uptime.Down, kind: uptime.ErrStatus, attempts: 3, waits: []time.Duration{delay, delay},
		},
		{
			name: "a retry hides a one-off", svc: plainService, retries: 3,
			h: func(n int32, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					hangUp(w)
				}
			},
			status: uptime.Up, attempts: 2, waits: []time.Duration{delay},
		},
		{
			name: "zero retries means one attempt", svc: plainService, retries: 0,
			h:      func(n int32, w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			status: uptime.Down, kind: uptime.ErrStatus, attempts: 1,
		},
		{
			name: "the deadline leaves no room for a retry", svc: plainService, retries: 3, deadline: 2 * time.Second,
			h:      func(n int32, w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			status: uptime.Down, kind: uptime.ErrStatus, attempts: 1,
		},
		{
			name: "async submit failure retried", retries: 3,
			svc:    func(url string) uptime.Service { return linkerService(url, 10) },
			h:      func(n int32, w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
			status: uptime.Down, kind: uptime.ErrStatus, attempts: 3, waits: []time.Duration{delay, delay},
		},
		{
			name: "async task failure retried", retries: 2,
			svc: func(url string) uptime.Service { return linkerService(url, 10) },
			h: func(n int32, w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					accepted(w)
					return
				}
				writeJSON(w, 500, `{"state":"FAILURE","ready":true}`)
			},
			status: uptime.Down, kind: uptime.ErrTaskFailed, attempts: 2, waits: []time.Duration{pollInterval, delay, pollInterval},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { tt.h(n.Add(1), w, r) })
			svc := tt.svc(srv.URL)
			svc.Retries, svc.RetryDelay = tt.retries, delay
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			p, fs := newProber()
			got := p.Check(ctx, svc)
			checkResult(t, got, tt.status, tt.kind)
			if got.Attempts != tt.attempts {
				t.Errorf("Check().Attempts = %d, want %d", got.Attempts, tt.attempts)
			}
			if w := fs.Waits(); !slices.Equal(w, tt.waits) {
				t.Errorf("waits = %v, want %v", w, tt.waits)
			}
		})
	}
}

// TestCheckCutShort: a deadline that ends during a wait reports the last
// attempt's failure rather than the deadline.
func TestCheckCutShort(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := &Prober{UserAgent: testUA, Sleep: func(context.Context, time.Duration) error {
		cancel() // the runner shuts down while the check waits to retry
		return context.Canceled
	}}
	svc := plainService(srv.URL)
	svc.Retries = 3
	got := p.Check(ctx, svc)
	checkResult(t, got, uptime.Down, uptime.ErrStatus)
	if got.Attempts != 1 || got.Code != 503 {
		t.Errorf("Check() = %d attempts, code %d; want 1, 503", got.Attempts, got.Code)
	}
}

func TestCheckResultFields(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	jerusalem := time.FixedZone("IST", 2*60*60)
	start := time.Date(2026, 3, 4, 10, 0, 0, 0, jerusalem)
	p, _ := newProber()
	p.Now = func() time.Time { return start }
	svc := plainService(srv.URL)
	svc.Name = "sefaria.org"
	got := p.Check(context.Background(), svc)
	want := uptime.Result{Time: start.UTC(), Service: "sefaria.org", Status: uptime.Up, Code: 200, Attempts: 1}
	if got != want || got.Time.Location() != time.UTC {
		t.Errorf("Check() = %+v, want %+v", got, want)
	}
}

func TestCheckUnknownType(t *testing.T) {
	p, _ := newProber()
	svc := plainService("http://127.0.0.1:1/")
	svc.CheckType = "ping"
	checkResult(t, p.Check(context.Background(), svc), uptime.Down, uptime.ErrInternal)
}

// TestCheckFreshConnection: every request dials anew, so a keep-alive
// connection from an earlier attempt or phase can never answer for a dead service.
func TestCheckFreshConnection(t *testing.T) {
	tests := []struct {
		name  string
		h     http.HandlerFunc
		svc   func(url string) uptime.Service
		conns int32
	}{
		{"two checks of three attempts", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			func(url string) uptime.Service { s := plainService(url); s.Retries = 3; return s }, 6},
		{"two async checks of a submit and two polls", (&linker{submit: accepted, poll: func(w http.ResponseWriter, r *http.Request, n int) {
			if n%2 == 1 { // each check polls twice: PENDING, then SUCCESS
				writeJSON(w, 202, pending)
				return
			}
			success(goodResult)(w)
		}}).ServeHTTP,
			func(url string) uptime.Service { return linkerService(url, 3) }, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conns, closed atomic.Int32
			srv := httptest.NewUnstartedServer(tt.h)
			srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
				switch s {
				case http.StateNew:
					conns.Add(1)
				case http.StateClosed:
					closed.Add(1)
				}
			}
			srv.Start()
			t.Cleanup(srv.Close)
			p, _ := newProber()
			svc := tt.svc(srv.URL)
			p.Check(context.Background(), svc)
			p.Check(context.Background(), svc)
			if n := conns.Load(); n != tt.conns {
				t.Errorf("Check() twice opened %d connections, want %d", n, tt.conns)
			}
			waitFor(t, func() bool { return closed.Load() == tt.conns }, "every connection closed")
		})
	}
}

// TestCheckParallelFreshConnections: checks running at once share the
// Prober, never a connection, and a later wave finds none to reuse.
func TestCheckParallelFreshConnections(t *testing.T) {
	const checks, waves = 20, 2
	var conns atomic.Int32
	var arrived sync.WaitGroup
	var release chan struct{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		<-release // hold every answer until the whole wave is in flight
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	p, _ := newProber()
	for range waves {
		arrived.Add(checks)
		release = make(chan struct{})
		go func() { arrived.Wait(); close(release) }()
		var wg sync.WaitGroup
		for range checks {
			wg.Go(func() { checkResult(t, p.Check(context.Background(), plainService(srv.URL)), uptime.Up, "") })
		}
		wg.Wait()
	}
	if n := conns.Load(); n != checks*waves {
		t.Errorf("%d waves of %d parallel Check() opened %d connections, want %d", waves, checks, n, checks*waves)
	}
}

// TestCheckAbandonedDialEnds: a dial that outlives its request (the check
// timed out while connecting) is cancelled with it, not left to the
// operating system's connect timeout.
func TestCheckAbandonedDialEnds(t *testing.T) {
	dialEnded := make(chan struct{})
	p, _ := newProber()
	p.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		<-ctx.Done() // a black-holed address: only the context ends the wait
		close(dialEnded)
		return nil, ctx.Err()
	}
	svc := plainService("http://192.0.2.1/healthz")
	svc.Timeout = 20 * time.Millisecond
	checkResult(t, p.Check(context.Background(), svc), uptime.Down, uptime.ErrTimeout)
	select {
	case <-dialEnded:
	case <-time.After(5 * time.Second):
		t.Error("Check() returned but its dial was still waiting 5s later, want it cancelled")
	}
}

func TestCheckParallelNoLeak(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	before := runtime.NumGoroutine()
	p, _ := newProber()
	var wg sync.WaitGroup
	var up atomic.Int32
	for range 200 {
		wg.Go(func() {
			if p.Check(context.Background(), plainService(srv.URL)).Status == uptime.Up {
				up.Add(1)
			}
		})
	}
	wg.Wait()
	if n := up.Load(); n != 200 {
		t.Errorf("%d of 200 parallel checks up, want 200", n)
	}
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before+5 }, "goroutines back to the count before the checks")
}

// waitFor polls cond for up to 5s: connection teardown is asynchronous.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Errorf("timed out waiting for %s", what)
}

func BenchmarkCheck(b *testing.B) {
	srv := newServerB(b, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"allReady": true}`) })
	p, _ := newProber()
	svc := plainService(srv)
	svc.ExpectJSON = map[string]any{"allReady": true}
	b.ReportAllocs()
	for b.Loop() {
		if r := p.Check(context.Background(), svc); r.Status != uptime.Up {
			b.Fatalf("Check() = %+v, want up", r)
		}
	}
}
