package site

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

// bigData writes rollups for n services over days days (a check every
// minute, so the histograms are as full as in production) and raw checks for
// the last rawDays days.
func bigData(tb testing.TB, n, days, rawDays int) (*config.Config, string, *tracker.State) {
	return benchData(tb, n, days, rawDays, time.Minute)
}

// benchData is bigData with a check every step.
func benchData(tb testing.TB, n, days, rawDays int, step time.Duration) (*config.Config, string, *tracker.State) {
	tb.Helper()
	dir := tb.TempDir()
	var toml strings.Builder
	toml.WriteString("[settings]\ntitle = \"Bench\"\n")
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("service %05d", i)
		fmt.Fprintf(&toml, "[[service]]\nname = %q\nurl = \"https://example.org/%d\"\n", names[i], i)
	}
	cfg, err := config.Parse("bench.toml", []byte(toml.String()), func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	store := history.New(dir)
	today := fixedNow.Truncate(24 * time.Hour)
	st := tracker.New()
	for d := days - 1; d >= 0; d-- {
		day := today.AddDate(0, 0, -d)
		var results []uptime.Result
		for m := 0; m < int(24*time.Hour/step); m++ {
			at := day.Add(time.Duration(m) * step)
			if at.After(fixedNow) {
				break
			}
			for i, name := range names {
				r := uptime.Result{Time: at, Service: name, Status: uptime.Up, Code: 200, MS: int64(80 + (m*7+i*13)%400), Attempts: 1}
				if (m+i*31+d*17)%997 == 0 {
					r.Status, r.Error, r.Code = uptime.Down, uptime.ErrStatus, 503
				}
				results = append(results, r)
			}
		}
		if d < rawDays {
			if err := store.Append(results); err != nil {
				tb.Fatal(err)
			}
		}
		if err := store.AddToRollups(results, step); err != nil {
			tb.Fatal(err)
		}
	}
	for _, name := range names {
		st.Services[name] = &tracker.ServiceState{Status: uptime.Up, LastCheck: fixedNow, LastCode: 200, LastMS: 100}
	}
	return cfg, dir, st
}

// BenchmarkRender100x90 is what every cycle pays for the site, 100
// services with 90 days of rollups and 24 hours of raw checks: Load through
// the runner's Loader (unchanged past days are not decoded again) and Render
// (every page, badge and feed written and swapped in), a minute later each
// time so the pages change as they do in production. "files" is the
// rendering alone, in memory; "cold" is a first render, as `statusgen
// render` does.
func BenchmarkRender100x90(b *testing.B) { benchRender100x90(b, nil) }

// BenchmarkRender100x90Hebrew is the same with the site in English and
// Hebrew ([site] languages): the budget is per language, so it should
// stay under twice the English figures.
func BenchmarkRender100x90Hebrew(b *testing.B) { benchRender100x90(b, []string{"en", "he"}) }

func benchRender100x90(b *testing.B, languages []string) {
	cfg, dir, st := bigData(b, 100, 90, 2)
	cfg.Site.Languages = languages
	out := filepath.Join(b.TempDir(), "site")
	var loader Loader
	render := func(b *testing.B, l *Loader, now time.Time) {
		in, err := l.Load(cfg, dir, st, now)
		if err != nil {
			b.Fatal(err)
		}
		if err := Render(templates.FS, out, in); err != nil {
			b.Fatal(err)
		}
	}
	render(b, &loader, fixedNow)
	b.Run("files", func(b *testing.B) {
		in, err := loader.Load(cfg, dir, st, fixedNow)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Files(templates.FS, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cycle", func(b *testing.B) {
		b.ReportAllocs()
		now := fixedNow
		for b.Loop() {
			now = now.Add(time.Minute)
			render(b, &loader, now)
		}
	})
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		var cpu time.Duration
		for b.Loop() {
			start := cpuTime(b)
			render(b, new(Loader), fixedNow)
			cpu += cpuTime(b) - start
		}
		// CPU time, every goroutine's: on a shared machine it moves
		// less than the wall time.
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	})
}

// BenchmarkRender1000 is a cold render (`statusgen render`: a fresh Loader
// and Renderer, into an empty folder) of 1,000 services with 90 days of
// rollups, whose budget is 2 s; "cycle" is what `statusgen run` pays after
// each cycle. As in BenchmarkRender10000, the rollups hold a check every
// 10 minutes to keep the setup short: a render reads their summaries, so
// the page work is the same as with a check a minute.
func BenchmarkRender1000(b *testing.B) {
	cfg, dir, st := benchData(b, 1000, 90, 1, 10*time.Minute)
	benchRender(b, cfg, dir, st)
}

func TestLoaderSeesChangedRollups(t *testing.T) {
	cfg, dir, st := fixture(t, []string{"sefaria.org"}, false)
	var l Loader
	first, err := l.Load(cfg, dir, st, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	yesterday := fixedNow.Truncate(24*time.Hour).AddDate(0, 0, -1)
	before := first.Days[len(first.Days)-2].Services["sefaria.org"].Down
	// A rebuild or a late cycle rewrites a past day's rollup.
	down := uptime.Result{Time: yesterday.Add(time.Hour), Service: "sefaria.org", Status: uptime.Down, Error: uptime.ErrTimeout, Attempts: 1}
	if err := history.New(dir).AddToRollups([]uptime.Result{down}, time.Minute); err != nil {
		t.Fatal(err)
	}
	second, err := l.Load(cfg, dir, st, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if got := second.Days[len(second.Days)-2].Services["sefaria.org"].Down; got != before+1 {
		t.Errorf("after a rewrite of %s, Loader.Load read %d down checks, want %d", yesterday.Format(time.DateOnly), got, before+1)
	}
	if len(second.Days) != len(first.Days) {
		t.Errorf("Loader.Load read %d days, then %d", len(first.Days), len(second.Days))
	}
}

// TestLoadMemoryIgnoresOldRawHistory: raw files older than a day are never
// read, so Load allocates the same with 2 or 20 days of raw history.
func TestLoadMemoryIgnoresOldRawHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20 days of raw checks")
	}
	measure := func(rawDays int) uint64 {
		cfg, dir, st := bigData(t, 10, 20, rawDays)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := Load(cfg, dir, st, fixedNow); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := measure(2), measure(20)
	t.Logf("Load allocated %d B with 2 days of raw history, %d B with 20", small, large)
	if float64(large) > 1.2*float64(small) {
		t.Errorf("Load allocated %d B with 20 days of raw history, %d B with 2: want no growth", large, small)
	}
}
