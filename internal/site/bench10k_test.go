package site

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

// BenchmarkRender10000 renders 10,000 services with 90 days of rollups
// and today's raw checks. To keep the setup under a minute the rollups hold
// one check per service per hour and the raw file one check per service
// per hour of today: the render reads rollup summaries and the last day
// only, so page work is the same as with a check a minute.
//
// "cold" is `statusgen render`: a fresh Loader and Renderer, into an empty
// folder. Its sites are deleted when the test binary exits, not between
// renders: on a file system without a journal (this project's CI VM),
// ext4 passes over inodes freed in the last minute or more when it
// allocates one (recently_deleted in find_inode_bit), so a render right
// after deleting 30,000 files spent most of 15 s in the kernel; `statusgen
// render` itself deletes an old site only after writing the new one. "cycle" is what `statusgen run` pays after each cycle: a Loader
// and Renderer that rendered the minute before, one more check per service
// appended and the state updated. Both report the process's CPU time
// (user and system, every goroutine) as cpu-ms/op.
func BenchmarkRender10000(b *testing.B) {
	cfg, dir, st := benchData(b, 10000, 90, 1, time.Hour)
	benchRender(b, cfg, dir, st)
}

func benchRender(b *testing.B, cfg *config.Config, dir string, st *tracker.State) {
	b.Run("cold", func(b *testing.B) {
		var cpu time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			out := filepath.Join(keptDir(b), "site")
			b.StartTimer()
			start := cpuTime(b)
			in, err := new(Loader).Load(cfg, dir, st, fixedNow)
			if err != nil {
				b.Fatal(err)
			}
			if err := new(Renderer).Render(templates.FS, out, in); err != nil {
				b.Fatal(err)
			}
			cpu += cpuTime(b) - start
		}
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	})
	b.Run("cycle", func(b *testing.B) {
		var loader Loader
		var renderer Renderer
		out := filepath.Join(keptDir(b), "site")
		now := fixedNow
		step := func() {
			in, err := loader.Load(cfg, dir, st, now)
			if err != nil {
				b.Fatal(err)
			}
			if err := renderer.Render(templates.FS, out, in); err != nil {
				b.Fatal(err)
			}
		}
		step()
		store := history.New(dir)
		var cpu time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			now = now.Add(time.Minute)
			results := make([]uptime.Result, 0, len(cfg.Services))
			for k, svc := range cfg.Services {
				r := uptime.Result{Time: now, Service: svc.Name, Status: uptime.Up, Code: 200, MS: int64(80 + (i*7+k*13)%400), Attempts: 1}
				results = append(results, r)
				ss := st.Services[svc.Name]
				ss.LastCheck, ss.LastMS = r.Time, r.MS
			}
			if err := store.Append(results); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := cpuTime(b)
			// Labelled, so that a -cpuprofile can be read for the cycles
			// alone: go tool pprof -tagfocus render=cycle.
			pprof.Do(context.Background(), pprof.Labels("render", "cycle"), func(context.Context) { step() })
			cpu += cpuTime(b) - start
		}
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	})
}

// kept holds folders that outlive their benchmark, removed by TestMain.
var kept struct {
	sync.Mutex
	dir string
}

// keptDir is a new folder that is removed when the test binary exits.
func keptDir(b *testing.B) string {
	kept.Lock()
	defer kept.Unlock()
	var err error
	if kept.dir == "" {
		if kept.dir, err = os.MkdirTemp("", "statusgen-bench-"); err != nil {
			b.Fatal(err)
		}
	}
	dir, err := os.MkdirTemp(kept.dir, "")
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

// TestMain removes the kept folders, unless STATUSGEN_BENCH_KEEP is set:
// statusgen-load runs one benchmark after another in a TMPDIR of its own
// that it deletes at its end, so that no benchmark pays for the deletions
// of the one before.
func TestMain(m *testing.M) {
	code := m.Run()
	if kept.dir != "" && os.Getenv("STATUSGEN_BENCH_KEEP") == "" {
		os.RemoveAll(kept.dir)
	}
	os.Exit(code)
}

// cpuTime is the CPU the process has used so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoadHeap10000 is the live heap a runner's Loader keeps after
// loading 10,000 services with 90 days of rollups (live-MB), and the
// bytes of the packed days in it (packed-MB): what the history costs a
// runner between renders, on top of its checks.
func BenchmarkLoadHeap10000(b *testing.B) {
	cfg, dir, st := benchData(b, 10000, 90, 1, time.Hour)
	var live, packed float64
	for b.Loop() {
		before := liveHeap()
		var l Loader
		in, err := l.Load(cfg, dir, st, fixedNow)
		if err != nil {
			b.Fatal(err)
		}
		live += float64(liveHeap()-before) / (1 << 20)
		packed += float64(in.HistoryBytes()) / (1 << 20)
		runtime.KeepAlive(in)
		runtime.KeepAlive(&l)
	}
	b.ReportMetric(live/float64(b.N), "live-MB")
	b.ReportMetric(packed/float64(b.N), "packed-MB") // the past days' rows
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
