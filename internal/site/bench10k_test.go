package site

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/templates"
)

// BenchmarkRender10000 renders 10,000 services with 90 days of rollups
// and today's raw checks, a full load and render each time (a cold
// Loader, as `statusgen render` does). To keep the setup under a minute the
// rollups hold one check per service per hour and the raw file one check
// per service per hour of today: the render reads rollup summaries and
// the last day only, so page work is the same as with a check a minute.
func BenchmarkRender10000(b *testing.B) {
	cfg, dir, st := benchData(b, 10000, 90, 1, time.Hour)
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
