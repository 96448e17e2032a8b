package history

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// benchResults is one cycle of n services, a tenth of them down.
func benchResults(n int, when time.Time) []uptime.Result {
	rs := make([]uptime.Result, n)
	for i := range rs {
		rs[i] = uptime.Result{Time: when, Service: fmt.Sprintf("service-%05d", i), Status: uptime.Up,
			Code: 200, MS: int64(50 + i%900), Attempts: 1}
		if i%10 == 0 {
			rs[i].Status, rs[i].Code, rs[i].Error, rs[i].Detail, rs[i].Attempts = uptime.Down, 503, uptime.ErrStatus, "HTTP 503 Service Unavailable", 3
		}
	}
	return rs
}

func BenchmarkAppend10000(b *testing.B) {
	s := New(b.TempDir())
	rs := benchResults(10000, time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	for b.Loop() {
		if err := s.Append(rs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRebuildRollups(b *testing.B) {
	const services, lines = 500, 200_000
	dir := b.TempDir()
	s := New(dir)
	start := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	// 400 cycles of 500 services, 15 minutes apart: about four days of files.
	for c := range lines / services {
		if err := s.Append(benchResults(services, start.Add(time.Duration(c)*15*time.Minute))); err != nil {
			b.Fatal(err)
		}
	}
	var total int
	b.ResetTimer()
	t0 := time.Now()
	for b.Loop() {
		st, err := s.RebuildRollups(time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if st.Lines != lines || st.Skipped != 0 {
			b.Fatalf("RebuildRollups() stats = %+v, want %d lines, none skipped", st, lines)
		}
		total += st.Lines
	}
	b.ReportMetric(float64(total)/time.Since(t0).Seconds(), "lines/s")
	if fi, err := os.Stat(s.checkFile(start)); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(lines/4), "bytes/line")
	}
}
