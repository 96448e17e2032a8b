package probe

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

func TestCheckHTTP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "all good") })
	mux.HandleFunc("/unavailable", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/hops", func(w http.ResponseWriter, r *http.Request) {
		// /hops?left=N redirects N times in all, the last time to /ok.
		var n int
		fmt.Sscan(r.URL.Query().Get("left"), &n)
		if n > 1 {
			http.Redirect(w, r, fmt.Sprintf("/hops?left=%d", n-1), http.StatusFound)
			return
		}
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ready") == "false" {
			writeJSON(w, 503, `{"allReady": false, "db": true}`)
			return
		}
		writeJSON(w, 200, `{"allReady": true, "count": 1.0, "version": "1.2", "big": 9007199254740993, "tags": ["a", 2], "meta": {"n": 2.0}}`)
	})
	mux.HandleFunc("/lying", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"allReady": false}`) })
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>ok</html>") })
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		if r.UserAgent() != testUA || r.Header.Get("X-Api-Key") != "k-123" || r.Method != http.MethodPost {
			w.WriteHeader(400)
			return
		}
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})
	srv := newServer(t, mux.ServeHTTP)

	tests := []struct {
		name   string
		edit   func(*uptime.Service)
		path   string
		status uptime.Status
		kind   uptime.ErrorKind
		code   int
		detail string // expected exactly when not empty
	}{
		{name: "200 expected", path: "/ok", status: uptime.Up, code: 200},
		{name: "503 not expected", path: "/unavailable", status: uptime.Down, kind: uptime.ErrStatus, code: 503,
			detail: "HTTP 503 from GET " + srv.URL + "/unavailable, want 200"},
		{name: "503 in the list", path: "/unavailable", edit: func(s *uptime.Service) { s.ExpectedStatus = []int{200, 503} },
			status: uptime.Up, code: 503},
		{name: "list without it", path: "/unavailable", edit: func(s *uptime.Service) { s.ExpectedStatus = []int{200, 204} },
			status: uptime.Down, kind: uptime.ErrStatus, code: 503, detail: "HTTP 503 from GET " + srv.URL + "/unavailable, want one of 200,204"},
		{name: "no expected status means 2xx", path: "/ok", edit: func(s *uptime.Service) { s.ExpectedStatus = nil },
			status: uptime.Up, code: 200},
		{name: "query string never in detail", path: "/unavailable?token=s3cret", status: uptime.Down, kind: uptime.ErrStatus, code: 503,
			detail: "HTTP 503 from GET " + srv.URL + "/unavailable, want 200"},
		{name: "redirect not followed", path: "/moved", status: uptime.Down, kind: uptime.ErrRedirect, code: 302},
		{name: "redirect not followed but expected", path: "/moved", edit: func(s *uptime.Service) { s.ExpectedStatus = []int{302} },
			status: uptime.Up, code: 302},
		{name: "redirect followed", path: "/moved", edit: func(s *uptime.Service) { s.FollowRedirects = true }, status: uptime.Up, code: 200},
		{name: "ten redirects followed", path: "/hops?left=10", edit: func(s *uptime.Service) { s.FollowRedirects = true }, status: uptime.Up, code: 200},
		{name: "eleven redirects are too many", path: "/hops?left=11", edit: func(s *uptime.Service) { s.FollowRedirects = true },
			status: uptime.Down, kind: uptime.ErrRedirect, detail: "GET " + srv.URL + "/hops: stopped after 10 redirects"},
		{name: "redirect loop", path: "/loop", edit: func(s *uptime.Service) { s.FollowRedirects = true },
			status: uptime.Down, kind: uptime.ErrRedirect, detail: "GET " + srv.URL + "/loop: stopped after 10 redirects"},
		{name: "expect_json holds", path: "/healthz", edit: func(s *uptime.Service) { s.ExpectJSON = map[string]any{"allReady": true} },
			status: uptime.Up, code: 200},
		{name: "expect_json numbers by value", path: "/healthz",
			edit: func(s *uptime.Service) {
				s.ExpectJSON = map[string]any{"count": int64(1), "version": "1.2", "big": int64(9007199254740993)}
			},
			status: uptime.Up, code: 200},
		{name: "expect_json nested values", path: "/healthz",
			edit: func(s *uptime.Service) {
				s.ExpectJSON = map[string]any{"tags": []any{"a", int64(2)}, "meta": map[string]any{"n": int64(2)}}
			},
			status: uptime.Up, code: 200},
		{name: "expect_json nested mismatch", path: "/healthz",
			edit:   func(s *uptime.Service) { s.ExpectJSON = map[string]any{"tags": []any{"a"}} },
			status: uptime.Down, kind: uptime.ErrBody, code: 200, detail: `JSON tags = ["a",2], want ["a"]`},
		{name: "expect_json big int exact", path: "/healthz", edit: func(s *uptime.Service) { s.ExpectJSON = map[string]any{"big": int64(9007199254740992)} },
			status: uptime.Down, kind: uptime.ErrBody, code: 200},
		{name: "expect_json false on 200", path: "/lying", edit: func(s *uptime.Service) { s.ExpectJSON = map[string]any{"allReady": true} },
			status: uptime.Down, kind: uptime.ErrBody, code: 200, detail: "JSON allReady = false, want true"},
		{name: "expect_json on 503 is a status failure", path: "/healthz?ready=false",
			edit:   func(s *uptime.Service) { s.ExpectJSON = map[string]any{"allReady": true} },
			status: uptime.Down, kind: uptime.ErrStatus, code: 503},
		{name: "expect_json field missing", path: "/healthz", edit: func(s *uptime.Service) { s.ExpectJSON = map[string]any{"ready": true} },
			status: uptime.Down, kind: uptime.ErrBody, code: 200, detail: `JSON field "ready" missing`},
		{name: "expect_json on HTML", path: "/html", edit: func(s *uptime.Service) { s.ExpectJSON = map[string]any{"allReady": true} },
			status: uptime.Down, kind: uptime.ErrNotJSON, code: 200},
		{name: "expect_body found", path: "/ok", edit: func(s *uptime.Service) { s.ExpectBody = "good" }, status: uptime.Up, code: 200},
		{name: "expect_body missing", path: "/ok", edit: func(s *uptime.Service) { s.ExpectBody = "bad" },
			status: uptime.Down, kind: uptime.ErrBody, code: 200, detail: `body does not contain "bad"`},
		{name: "method, body, headers and User-Agent sent", path: "/headers", edit: func(s *uptime.Service) {
			s.Method = http.MethodPost
			s.Body = "ping"
			s.Headers = []uptime.Header{{Name: "X-Api-Key", Value: "k-123", Secret: true}}
			s.ExpectBody = "ping"
		}, status: uptime.Up, code: 200},
		{name: "header value HTTP cannot carry", path: "/ok", edit: func(s *uptime.Service) {
			s.Headers = []uptime.Header{{Name: "X-Token", Value: "s3cret\r\nX-Evil: 1", Secret: true}}
		}, status: uptime.Down, kind: uptime.ErrInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := plainService(srv.URL + tt.path)
			if tt.edit != nil {
				tt.edit(&svc)
			}
			p, _ := newProber()
			got := p.Check(context.Background(), svc)
			checkResult(t, got, tt.status, tt.kind)
			if got.Code != tt.code {
				t.Errorf("Check().Code = %d, want %d", got.Code, tt.code)
			}
			if tt.detail != "" && got.Detail != tt.detail {
				t.Errorf("Check().Detail = %q, want %q", got.Detail, tt.detail)
			}
			if strings.Contains(got.Detail, "s3cret") || strings.Contains(got.Detail, "k-123") {
				t.Errorf("Check().Detail = %q, leaks a secret", got.Detail)
			}
		})
	}
}

// headerLog records the X-Secret and X-Plain headers each path received.
type headerLog struct {
	mu   sync.Mutex
	seen map[string][2]string
}

func (h *headerLog) record(r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil {
		h.seen = map[string][2]string{}
	}
	h.seen[r.Host+r.URL.Path] = [2]string{r.Header.Get("X-Secret"), r.Header.Get("X-Plain")}
}

func (h *headerLog) get(key string) [2]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen[key]
}

func TestCheckRedirectSecretHeaders(t *testing.T) {
	var log headerLog
	other := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		log.record(r)
		io.WriteString(w, "ok")
	})
	_, otherPort, _ := net.SplitHostPort(other.Listener.Addr().String())
	otherHost := "other.test:" + otherPort // resolved by the test's DialContext only
	origin := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		log.record(r)
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/landing", http.StatusFound)
		case "/away":
			http.Redirect(w, r, "http://"+otherHost+"/landing", http.StatusFound)
		default:
			io.WriteString(w, "ok")
		}
	})
	originHost := origin.Listener.Addr().String()

	p, _ := newProber()
	p.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == otherHost {
			addr = other.Listener.Addr().String()
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	tests := []struct {
		name, path, landed string
		secret             string
	}{
		{"same host keeps the secret", "/same", originHost + "/landing", "s3cret"},
		{"other host does not get it", "/away", otherHost + "/landing", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := plainService(origin.URL + tt.path)
			svc.FollowRedirects = true
			svc.Headers = []uptime.Header{{Name: "X-Secret", Value: "s3cret", Secret: true}, {Name: "X-Plain", Value: "plain"}}
			checkResult(t, p.Check(context.Background(), svc), uptime.Up, "")
			got := log.get(tt.landed)
			if got != [2]string{tt.secret, "plain"} {
				t.Errorf("headers at %s = %q, want [%q %q]", tt.landed, got, tt.secret, "plain")
			}
		})
	}
}

func TestCheckDegraded(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	tests := []struct {
		name          string
		step          time.Duration // how far the fake clock moves per reading
		degradedAfter time.Duration
		want          uptime.Status
	}{
		{"fast", 100 * time.Millisecond, time.Second, uptime.Up},
		{"slow", 3 * time.Second, time.Second, uptime.Degraded},
		{"no degraded_after", 30 * time.Second, 0, uptime.Up},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			p, _ := newProber()
			p.Now = func() time.Time { now = now.Add(tt.step); return now }
			svc := plainService(srv.URL)
			svc.DegradedAfter = tt.degradedAfter
			got := p.Check(context.Background(), svc)
			checkResult(t, got, tt.want, "")
			if got.MS != tt.step.Milliseconds() {
				t.Errorf("Check().MS = %d, want %d", got.MS, tt.step.Milliseconds())
			}
		})
	}
}

func TestCheckBodyCap(t *testing.T) {
	endless := func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"allReady": true, "pad": "`))
		chunk := []byte(strings.Repeat("a", 4096))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	trickle := func(w http.ResponseWriter, r *http.Request) {
		for {
			if _, err := w.Write([]byte("a")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	tests := []struct {
		name    string
		h       http.HandlerFunc
		timeout time.Duration
		edit    func(*uptime.Service)
		status  uptime.Status
		kind    uptime.ErrorKind
	}{
		{"endless body cut at the cap", endless, 5 * time.Second, func(s *uptime.Service) { s.ExpectBody = `"allReady": true` }, uptime.Up, ""},
		{"JSON cut by the cap", endless, 5 * time.Second, func(s *uptime.Service) { s.ExpectJSON = map[string]any{"allReady": true} }, uptime.Down, uptime.ErrTooLarge},
		{"trickling body ends by the timeout", trickle, 100 * time.Millisecond, nil, uptime.Down, uptime.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.h)
			p, _ := newProber()
			p.MaxBody = 64 << 10
			svc := plainService(srv.URL)
			svc.Timeout = tt.timeout
			if tt.edit != nil {
				tt.edit(&svc)
			}
			start := time.Now()
			got := p.Check(context.Background(), svc)
			checkResult(t, got, tt.status, tt.kind)
			if d := time.Since(start); d > tt.timeout+2*time.Second {
				t.Errorf("Check() took %v, want at most about %v", d, tt.timeout)
			}
		})
	}
}
