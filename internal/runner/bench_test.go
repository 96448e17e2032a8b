package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/probe"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// BenchmarkCycle1000 runs whole cycles (probe, record, rollups, track,
// save) of 1,000 services against one local server, with the default
// max_parallel. It reports wall time per cycle, allocations per check and
// the process's peak RSS.
func BenchmarkCycle1000(b *testing.B) {
	const services = 1000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"allReady": true}`)
	}))
	defer srv.Close()
	cfg := testConfig()
	cfg.Settings.MaxParallel = 64
	for i := range services {
		cfg.Services = append(cfg.Services, uptime.Service{
			Name: fmt.Sprintf("svc-%04d", i), URL: fmt.Sprintf("%s/healthz/%d", srv.URL, i), Method: "GET",
			ExpectedStatus: []int{200}, FailureThreshold: 2, Retries: 1, Timeout: 10 * time.Second,
			ExpectJSON: map[string]any{"allReady": true},
		})
	}
	r := &Runner{Config: cfg, DataDir: b.TempDir(), Checker: &probe.Prober{UserAgent: "bench"},
		Deliverer: &recorder{accept: -1}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	if _, err := r.Cycle(ctx); err != nil { // warm up: state and rollup files exist
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		rep, err := r.Cycle(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, res := range rep.Results {
			if res.Status != uptime.Up {
				b.Fatalf("%s: %s %s %s", res.Service, res.Status, res.Error, res.Detail)
			}
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	checks := float64(b.N * services)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/checks, "allocs/check")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/cycle")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
}
