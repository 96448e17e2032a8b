package site

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/templates"
)

// BenchmarkRender100x90Hebrew is BenchmarkRender100x90's cold render and
// in-memory render with the site in English and Hebrew: the budget (200 ms
// cold) is per language, so this should stay under twice the English one.
func BenchmarkRender100x90Hebrew(b *testing.B) {
	cfg, dir, st := bigData(b, 100, 90, 2)
	cfg.Site.Languages = []string{"en", "he"}
	b.Run("files", func(b *testing.B) {
		in, err := Load(cfg, dir, st, fixedNow)
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
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		var cpu time.Duration
		for b.Loop() {
			out := filepath.Join(b.TempDir(), "site")
			start := cpuTime(b)
			in, err := new(Loader).Load(cfg, dir, st, fixedNow)
			if err != nil {
				b.Fatal(err)
			}
			if err := Render(templates.FS, out, in); err != nil {
				b.Fatal(err)
			}
			cpu += cpuTime(b) - start
		}
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	})
}
