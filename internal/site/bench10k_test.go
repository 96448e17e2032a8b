package site

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

// BenchmarkRender10000 renders 10,000 services with 90 days of rollups
// and today's raw checks, a full load and render each time (a cold
// Loader, as `statusgen render` does). To keep the setup under a minute the
// rollups hold one check per service per hour and the raw file one check
// per service per hour of today: the render reads rollup summaries and
// the last day only, so page work is the same as with a check a minute.
func BenchmarkRender10000(b *testing.B) {
	const n, days = 10000, 90
	dir := b.TempDir()
	var toml strings.Builder
	toml.WriteString("[settings]\ntitle = \"Bench\"\n")
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("service %05d", i)
		fmt.Fprintf(&toml, "[[service]]\nname = %q\nurl = \"https://example.org/%d\"\n", names[i], i)
	}
	cfg, err := config.Parse("bench.toml", []byte(toml.String()), func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	store := history.New(dir)
	today := fixedNow.Truncate(24 * time.Hour)
	st := tracker.New()
	for d := days - 1; d >= 0; d-- {
		day := today.AddDate(0, 0, -d)
		var results []uptime.Result
		for h := 0; h < 24; h++ {
			at := day.Add(time.Duration(h) * time.Hour)
			if at.After(fixedNow) {
				break
			}
			for i, name := range names {
				r := uptime.Result{Time: at, Service: name, Status: uptime.Up, Code: 200, MS: int64(80 + (h*7+i*13)%400), Attempts: 1}
				if (h+i*31+d*17)%97 == 0 {
					r.Status, r.Error, r.Code = uptime.Down, uptime.ErrStatus, 503
				}
				results = append(results, r)
			}
		}
		if d == 0 {
			if err := store.Append(results); err != nil {
				b.Fatal(err)
			}
		}
		if err := store.AddToRollups(results, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	for _, name := range names {
		st.Services[name] = &tracker.ServiceState{Status: uptime.Up, LastCheck: fixedNow, LastCode: 200, LastMS: 100}
	}
	out := filepath.Join(b.TempDir(), "site")
	b.ResetTimer()
	for b.Loop() {
		in, err := new(Loader).Load(cfg, dir, st, fixedNow)
		if err != nil {
			b.Fatal(err)
		}
		if err := Render(templates.FS, out, in); err != nil {
			b.Fatal(err)
		}
	}
}
