package metrics

import (
	"fmt"
	"io"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// largest is the largest configuration the runner is measured at.
const largest = 10000

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("service-%05d", i)
	}
	return out
}

// BenchmarkChecked is the runner's cost per result (one per service per
// interval) with 10,000 services configured.
func BenchmarkChecked(b *testing.B) {
	ns := names(largest)
	m := New(ns, time.Minute, nil)
	res := make([]uptime.Result, len(ns))
	for i, n := range ns {
		res[i] = uptime.Result{Time: t0, Service: n, Status: uptime.Up, MS: int64(i % 3000)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Checked(res[i%len(res)], uptime.Up, 0)
	}
}

// BenchmarkScrape is one scrape of /metrics with 10,000 services, each
// with a status, a last check, its failures and a latency histogram; it
// reports the bytes a scrape sends and the heap the series hold.
func BenchmarkScrape(b *testing.B) {
	ns := names(largest)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := New(ns, time.Minute, nil)
	for i, n := range ns {
		m.Checked(uptime.Result{Time: t0, Service: n, Status: uptime.Up, MS: int64(i % 3000)}, uptime.Up, 0)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	h := m.Handler()
	heap := float64(after.HeapAlloc - before.HeapAlloc)
	// Prometheus asks for gzip; curl and promtool do not.
	for _, enc := range []string{"plain", "gzip"} {
		b.Run(enc, func(b *testing.B) {
			size := 0
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", "/metrics", nil)
				if enc == "gzip" {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				size = rec.Body.Len()
				io.Copy(io.Discard, rec.Body)
			}
			b.ReportMetric(float64(size), "bytes/scrape")
			b.ReportMetric(heap, "series-heap-bytes")
		})
	}
	runtime.KeepAlive(m)
}
