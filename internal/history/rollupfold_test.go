package history

import (
	"os"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestFoldThenFlush: folded batches reach the disk only on FlushRollups,
// and then hold the same counts as adding each batch at once; a late
// result for a day no longer in memory is added to what the disk holds.
func TestFoldThenFlush(t *testing.T) {
	batches := [][]uptime.Result{
		{result(t, "2026-11-23T23:59:00Z", "a", uptime.Up, 10), result(t, "2026-11-23T23:59:00Z", "b", uptime.Down, 0)},
		{result(t, "2026-11-24T00:00:00Z", "a", uptime.Up, 20)},
		{result(t, "2026-11-24T00:01:00Z", "a", uptime.Down, 0), result(t, "2026-11-24T00:01:00Z", "b", uptime.Up, 30)},
	}
	folded, added := New(t.TempDir()), New(t.TempDir())
	for _, b := range batches {
		if err := folded.FoldIntoRollups(b, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := added.AddToRollups(b, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(folded.rollupFile("2026-11-24")); !os.IsNotExist(err) {
		t.Errorf("rollup written before FlushRollups: stat = %v", err)
	}
	if err := folded.FlushRollups(); err != nil {
		t.Fatal(err)
	}
	late := []uptime.Result{result(t, "2026-11-23T23:59:30Z", "a", uptime.Up, 40)}
	for _, s := range []*Store{folded, added} {
		if err := s.FoldIntoRollups(late, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := s.FlushRollups(); err != nil {
			t.Fatal(err)
		}
	}
	for _, date := range []string{"2026-11-23", "2026-11-24"} {
		got, err := os.ReadFile(folded.rollupFile(date))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(added.rollupFile(date))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s folded then flushed:\n%s\nwant, as added cycle by cycle:\n%s", date, got, want)
		}
	}
	d, err := folded.loadRollup("2026-11-23")
	if err != nil || d.Services["a"].Up != 2 {
		t.Errorf("2026-11-23 after the late result: %+v, %v, want 2 up checks of a", d, err)
	}
}
