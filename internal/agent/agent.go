// Package agent is one location of several vantage points, run as a
// server: it checks one configured service when a decider asks and
// answers with the check's result, and it answers blackbox_exporter's
// /probe for Prometheus. It keeps no state between requests.
package agent

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// Paths the agent answers on.
const (
	CheckPath   = "/check"   // ?service=NAME: one service's check, as a history line
	ProbePath   = "/probe"   // ?target=URL&module=NAME: blackbox_exporter's protocol
	HealthzPath = "/healthz" // unauthenticated liveness, for load balancers
)

// TimeoutHeader carries the caller's budget for one check, in seconds, as
// Prometheus sends it to blackbox_exporter; the decider's client sends it
// too, so a check ends before its caller stops waiting.
const TimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// Checker runs one service's check under ctx's deadline; *probe.Prober is one.
type Checker interface {
	Check(ctx context.Context, svc uptime.Service) uptime.Result
}

// Server answers a decider's and Prometheus' requests for checks. Fill the
// fields, then serve Handler(); the fields must not change afterwards.
type Server struct {
	Location    string           // this location's name, set on every result
	Token       string           // the bearer token every request but /healthz must carry
	Services    []uptime.Service // the configured services, checks resolved
	Checker     Checker
	Deadline    time.Duration // a check's deadline, as `run` gives each check
	MaxParallel int           // checks in flight at once; more wait their turn
	Logger      *slog.Logger

	init      sync.Once
	byName    map[string]int   // service name → index
	byURL     map[string][]int // service URL → indexes, in file order
	sem       chan struct{}
	tokenHash [sha256.Size]byte
}

// Handler is the agent's HTTP handler.
func (s *Server) Handler() http.Handler {
	s.init.Do(s.setup)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthzPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.Handle("GET "+CheckPath, s.authorized(http.HandlerFunc(s.serveCheck)))
	mux.Handle("GET "+ProbePath, s.authorized(http.HandlerFunc(s.serveProbe)))
	return mux
}

func (s *Server) setup() {
	s.byName = make(map[string]int, len(s.Services))
	s.byURL = make(map[string][]int, len(s.Services))
	for i, svc := range s.Services {
		s.byName[svc.Name] = i
		s.byURL[svc.URL] = append(s.byURL[svc.URL], i)
	}
	s.sem = make(chan struct{}, max(s.MaxParallel, 1))
	s.tokenHash = sha256.Sum256([]byte(s.Token))
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
}

// authorized lets through requests that carry the token. Both sides are
// hashed first, so the comparison takes the same time whatever the
// length or the first wrong byte; a refusal says nothing but that.
func (s *Server) authorized(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearer(r.Header.Get("Authorization"))
		sum := sha256.Sum256([]byte(got))
		if !ok || s.Token == "" || subtle.ConstantTimeCompare(sum[:], s.tokenHash[:]) != 1 {
			// The path only: a /probe query holds a service's URL.
			s.Logger.Warn("request refused: missing or wrong bearer token", "remote", r.RemoteAddr, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="statusgen agent"`)
			writeError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearer takes the token out of an Authorization header.
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// serveCheck runs ?service=NAME's check and answers its result as the
// check files hold it, with this location's name.
func (s *Server) serveCheck(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("service")
	i, ok := s.byName[name]
	switch {
	case name == "":
		writeError(w, http.StatusBadRequest, "the service parameter is missing: ask /check?service=NAME")
		return
	case !ok:
		writeError(w, http.StatusNotFound, "no service named "+strconv.Quote(name)+" in this agent's configuration")
		return
	}
	res, ok := s.check(r, s.Services[i])
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "busy: the check could not start before its deadline")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(history.AppendLine(nil, res))
}

// check runs svc's check under the deadline, after waiting for a free
// slot; ok is false when no slot freed up in time, so that a busy agent
// does not vote: a check started with no time left would report a
// timeout that says nothing about the service.
func (s *Server) check(r *http.Request, svc uptime.Service) (res uptime.Result, ok bool) {
	ctx, cancel := context.WithTimeout(r.Context(), s.budget(r))
	defer cancel()
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		s.Logger.Warn("check not started: every slot busy until its deadline", "service", svc.Name, "max_parallel", cap(s.sem))
		return uptime.Result{}, false
	}
	defer func() { <-s.sem }()
	res = s.Checker.Check(ctx, svc)
	res.Location = s.Location
	s.Logger.Debug("check answered", "service", svc.Name, "status", string(res.Status), "error", string(res.Error), "ms", res.MS)
	return res, true
}

// budget is a check's deadline: the configured one, shortened to the
// caller's timeout less a margin for the answer's way back.
func (s *Server) budget(r *http.Request) time.Duration {
	d := s.Deadline
	if d <= 0 {
		d = 30 * time.Second
	}
	secs, err := strconv.ParseFloat(r.Header.Get(TimeoutHeader), 64)
	if err != nil || secs <= 0 || secs > 1e6 {
		return d
	}
	caller := time.Duration(secs * float64(time.Second))
	caller -= min(500*time.Millisecond, caller/10)
	return min(d, caller)
}

// writeError answers a JSON error; msg never holds a token or a URL.
func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{msg})
}
