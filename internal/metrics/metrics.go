// Package metrics tells the people who run `statusgen run` how it is
// doing: Prometheus metrics at /metrics and a health check at /healthz for
// any outside checker. It only counts what the runner reports; it never
// probes or reads files itself.
//
// Labels hold service names and fixed words only, never a URL, a query
// string or a header value: a scrape is as public as the page.
package metrics

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// statuses are the values of statusgen_service_status's status label: the
// conclusive statuses the page shows (an inconclusive check changes none).
var statuses = [...]uptime.Status{uptime.Up, uptime.Degraded, uptime.Down}

// latencyBuckets span a fast health endpoint to a check near its timeout.
var latencyBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// cycleBuckets span a few services checked at once to 10,000 spread over
// a long interval.
var cycleBuckets = []float64{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// Metrics holds the runner's metrics and serves them. Its methods are
// safe for concurrent use and cheap: one observation per check result
// touches a handful of atomics and allocates nothing.
type Metrics struct {
	reg      *prometheus.Registry
	now      func() time.Time
	interval time.Duration
	started  time.Time
	services map[string]*service // fixed by New: read without a lock

	outbox          prometheus.Gauge
	cycleDuration   prometheus.Histogram
	overruns        prometheus.Counter
	renderFailures  prometheus.Counter
	publishFailures prometheus.Counter
	lastCycle       prometheus.Gauge
	lastCycleAt     atomic.Int64 // unix nanoseconds of the last completed cycle's end; 0: none yet
}

// service is one service's series, resolved once so that an observation
// never looks up labels.
type service struct {
	status    [len(statuses)]prometheus.Gauge
	lastCheck prometheus.Gauge
	failures  prometheus.Gauge
	latency   prometheus.Observer
}

// New makes the metrics of a runner that checks the named services every
// interval. now is the clock /healthz reads (nil: time.Now); New reads it
// once, as the start that /healthz measures from until a cycle completes.
func New(names []string, interval time.Duration, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	reg := prometheus.NewRegistry()
	f := factory{reg}
	m := &Metrics{
		reg:      reg,
		now:      now,
		interval: interval,
		started:  now(),
		services: make(map[string]*service, len(names)),

		outbox: f.gauge("statusgen_outbox_alerts",
			"Alerts waiting in the outbox for Slack to accept them."),
		cycleDuration: f.histogram("statusgen_cycle_duration_seconds",
			"Time from a cycle's interval boundary until its last result was recorded.", cycleBuckets),
		overruns: f.counter("statusgen_cycle_overruns_total",
			"Times the checks fell more than an interval behind and the runner skipped to the current cycle."),
		renderFailures: f.counter("statusgen_render_failures_total",
			"Site renders that failed (the last good site stays in place)."),
		publishFailures: f.counter("statusgen_publish_failures_total",
			"Publishes of the site or data that failed (tried again next cycle)."),
		lastCycle: f.gauge("statusgen_last_cycle_completed_timestamp_seconds",
			"When the last cycle completed, in seconds since the Unix epoch; 0 until one has."),
	}
	f.gauge("statusgen_interval_seconds", "The configured interval between checks of a service.").
		Set(interval.Seconds())

	status := f.gaugeVec("statusgen_service_status",
		"1 for the service's current status (up, degraded or down, as the page shows it), 0 for the others; "+
			"all 0 until its first conclusive check.", "service", "status")
	lastCheck := f.gaugeVec("statusgen_service_last_check_timestamp_seconds",
		"When the service's last check started, in seconds since the Unix epoch; 0 until one has.", "service")
	failures := f.gaugeVec("statusgen_service_consecutive_failures",
		"Consecutive cycles the service was down; a DOWN alert fires when it reaches the service's failure_threshold.", "service")
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "statusgen_service_latency_seconds",
		Help:    "Response time of the service's up and degraded checks (their last attempt).",
		Buckets: latencyBuckets,
	}, []string{"service"})
	reg.MustRegister(latency)

	for _, name := range names {
		s := &service{
			lastCheck: lastCheck.WithLabelValues(name),
			failures:  failures.WithLabelValues(name),
			latency:   latency.WithLabelValues(name),
		}
		for i, st := range statuses {
			s.status[i] = status.WithLabelValues(name, string(st))
		}
		m.services[name] = s
	}

	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Checked records one check result after the tracker took it: shown is the
// service's status as the page shows it now, failures its streak of down
// cycles.
func (m *Metrics) Checked(res uptime.Result, shown uptime.Status, failures int) {
	s := m.services[res.Service]
	if s == nil {
		return
	}
	s.set(shown, res.Time, failures)
	if res.Status.IsUp() {
		s.latency.Observe(float64(res.MS) / 1000)
	}
}

// Restore sets a service's status, last check and failures from the saved
// state, so that a restarted runner reports them before its first check.
func (m *Metrics) Restore(name string, shown uptime.Status, lastCheck time.Time, failures int) {
	if s := m.services[name]; s != nil {
		s.set(shown, lastCheck, failures)
	}
}

func (s *service) set(shown uptime.Status, lastCheck time.Time, failures int) {
	for i, st := range statuses {
		v := 0.0
		if st == shown {
			v = 1
		}
		s.status[i].Set(v)
	}
	if !lastCheck.IsZero() {
		s.lastCheck.Set(float64(lastCheck.UnixNano()) / 1e9)
	}
	s.failures.Set(float64(failures))
}

// CycleDone records a completed cycle: start is its interval boundary, end
// when its last result was recorded.
func (m *Metrics) CycleDone(start, end time.Time) {
	m.cycleDuration.Observe(end.Sub(start).Seconds())
	m.lastCycle.Set(float64(end.UnixNano()) / 1e9)
	m.lastCycleAt.Store(end.UnixNano())
}

// Overrun records that the checks fell more than an interval behind.
func (m *Metrics) Overrun() { m.overruns.Inc() }

// Outbox records how many alerts wait for delivery.
func (m *Metrics) Outbox(alerts int) { m.outbox.Set(float64(alerts)) }

// RenderFailed records a failed render of the site.
func (m *Metrics) RenderFailed() { m.renderFailures.Inc() }

// PublishFailed records a failed publish.
func (m *Metrics) PublishFailed() { m.publishFailures.Inc() }

// Handler serves /metrics (Prometheus text format) and /healthz.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", m.healthz)
	return mux
}

// healthz answers 200 while cycles complete on time and 503 when the last
// one completed more than two intervals ago, or none has within two
// intervals of the start: a monitor that stopped checking must look down
// to whatever watches it.
func (m *Metrics) healthz(w http.ResponseWriter, _ *http.Request) {
	ok, msg := m.health()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, msg)
}

// health says whether cycles complete on time, and why in one line.
func (m *Metrics) health() (ok bool, msg string) {
	now := m.now()
	limit := 2 * m.interval
	last := m.lastCycleAt.Load()
	if last == 0 {
		age := now.Sub(m.started)
		if age > limit {
			return false, fmt.Sprintf("stale: no cycle completed since the start %s ago (interval %s)", round(age), m.interval)
		}
		return true, fmt.Sprintf("starting: no cycle completed yet, started %s ago (interval %s)", round(age), m.interval)
	}
	age := now.Sub(time.Unix(0, last))
	if age > limit {
		return false, fmt.Sprintf("stale: the last cycle completed %s ago (interval %s)", round(age), m.interval)
	}
	return true, fmt.Sprintf("ok: the last cycle completed %s ago (interval %s)", round(age), m.interval)
}

func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// factory registers each metric it makes on one registry.
type factory struct{ reg *prometheus.Registry }

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}
