package site

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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

// TestLoaderSeesChangedRollups: a Loader that loaded before gives the
// site a fresh one gives, whatever happened to the rollups since: a late
// cycle rewrote yesterday's, a rebuild rewrote a packed day's, a day was
// pruned from the middle, one became unreadable, days passed.
func TestLoaderSeesChangedRollups(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, dir string) time.Time // returns the new now
	}{
		{"nothing", func(t *testing.T, dir string) time.Time { return fixedNow }},
		{"yesterday rewritten", func(t *testing.T, dir string) time.Time {
			addDown(t, dir, fixedNow.AddDate(0, 0, -1))
			return fixedNow
		}},
		{"a packed day rewritten", func(t *testing.T, dir string) time.Time {
			addDown(t, dir, fixedNow.AddDate(0, 0, -10))
			return fixedNow
		}},
		{"a day pruned from the middle", func(t *testing.T, dir string) time.Time {
			removeRollup(t, dir, fixedNow.AddDate(0, 0, -20))
			return fixedNow
		}},
		{"a packed day unreadable", func(t *testing.T, dir string) time.Time {
			writeRollup(t, dir, fixedNow.AddDate(0, 0, -30), "{not json")
			return fixedNow
		}},
		{"a day passed", func(t *testing.T, dir string) time.Time {
			now := fixedNow.Add(24 * time.Hour)
			addUp(t, dir, now)
			return now
		}},
		{"a day passed and the oldest pruned", func(t *testing.T, dir string) time.Time {
			now := fixedNow.Add(24 * time.Hour)
			addUp(t, dir, now)
			removeRollup(t, dir, fixedNow.AddDate(0, 0, -89))
			return now
		}},
		{"three days passed", func(t *testing.T, dir string) time.Time {
			now := fixedNow.Add(72 * time.Hour)
			addUp(t, dir, now.AddDate(0, 0, -1))
			addUp(t, dir, now)
			return now
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, dir, st := fixture(t, []string{"sefaria.org", "Linker"}, false)
			var l Loader
			if _, err := l.Load(cfg, dir, st, fixedNow); err != nil {
				t.Fatal(err)
			}
			now := tt.change(t, dir)
			again, err := l.Load(cfg, dir, st, now)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := new(Loader).Load(cfg, dir, st, now)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := serviceDays(again, "sefaria.org"), serviceDays(fresh, "sefaria.org"); !slices.Equal(got, want) {
				t.Errorf("the Loader that loaded before read\n%v\na fresh one\n%v", got, want)
			}
			a, err := Files(templates.FS, again)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Files(templates.FS, fresh)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range b {
				if got := a[name]; !bytes.Equal(got, want) {
					t.Errorf("%s differs from a fresh Loader's", name)
				}
			}
		})
	}
}

// serviceDays are a service's days in in, each as "date checks down".
func serviceDays(in Input, name string) []string {
	var out []string
	for _, d := range in.serviceDays(nil, name) {
		out = append(out, fmt.Sprintf("%s %d %v", d.Start.Format(time.DateOnly), d.Checks, d.Times.Down))
	}
	return out
}

// addDown adds a down check of sefaria.org at an hour past day's midnight.
func addDown(t *testing.T, dir string, day time.Time) {
	t.Helper()
	down := uptime.Result{Time: day.Truncate(24 * time.Hour).Add(time.Hour), Service: "sefaria.org", Status: uptime.Down, Error: uptime.ErrTimeout, Attempts: 1}
	if err := history.New(dir).AddToRollups([]uptime.Result{down}, time.Minute); err != nil {
		t.Fatal(err)
	}
}

// addUp adds an up check of both services at the start of now's day.
func addUp(t *testing.T, dir string, now time.Time) {
	t.Helper()
	var results []uptime.Result
	for _, name := range []string{"sefaria.org", "Linker"} {
		results = append(results, uptime.Result{Time: now.Truncate(24 * time.Hour).Add(time.Minute), Service: name, Status: uptime.Up, Code: 200, MS: 90, Attempts: 1})
	}
	if err := history.New(dir).AddToRollups(results, 30*time.Minute); err != nil {
		t.Fatal(err)
	}
}

func rollupPath(dir string, day time.Time) string {
	return filepath.Join(dir, history.RollupsDir, day.Format(time.DateOnly)+".json")
}

func removeRollup(t *testing.T, dir string, day time.Time) {
	t.Helper()
	if err := os.Remove(rollupPath(dir, day)); err != nil {
		t.Fatal(err)
	}
}

func writeRollup(t *testing.T, dir string, day time.Time, content string) {
	t.Helper()
	if err := os.WriteFile(rollupPath(dir, day), []byte(content), 0o644); err != nil {
		t.Fatal(err)
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
