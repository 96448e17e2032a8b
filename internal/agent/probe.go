package agent

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// serveProbe answers blackbox_exporter's /probe?target=URL&module=NAME by
// running the check of the configured service whose URL is target. module
// picks among services that share that URL by name; otherwise it is
// ignored, so a scrape config written for blackbox_exporter
// (module=http_2xx) works unchanged. Any other target is refused: the
// agent is no open proxy.
//
// Like blackbox_exporter, it answers 200 whether the probe succeeded or
// not; probe_success says which. probe_duration_seconds is the latency
// statusgen records (the last attempt's), not the time retries took.
func (s *Server) serveProbe(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	target := q.Get("target")
	if target == "" {
		writeError(w, http.StatusBadRequest, "the target parameter is missing")
		return
	}
	svc, ok := s.serviceAt(target, q.Get("module"))
	if !ok {
		// The target is not repeated: it may hold a token in its query.
		writeError(w, http.StatusBadRequest, "target is not the URL of a service in this agent's configuration")
		return
	}
	res, ok := s.check(r, svc)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "busy: the check could not start before its deadline")
		return
	}
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		g.Set(v)
		reg.MustRegister(g)
	}
	success := 0.0
	if res.Status.IsUp() {
		success = 1
	}
	gauge("probe_success", "Displays whether or not the probe was a success", success)
	gauge("probe_duration_seconds", "Returns how long the probe took to complete in seconds", float64(res.MS)/1000)
	gauge("probe_http_status_code", "Response HTTP status code", float64(res.Code))
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// serviceAt is the service whose URL is target: the one named module when
// several share it, else the first in the file.
func (s *Server) serviceAt(target, module string) (uptime.Service, bool) {
	idx := s.byURL[target]
	if len(idx) == 0 {
		return uptime.Service{}, false
	}
	for _, i := range idx {
		if s.Services[i].Name == module {
			return s.Services[i], true
		}
	}
	return s.Services[idx[0]], true
}
