package cli

import "testing"

func TestMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		services int
		want     int64
	}{
		{0, 64 << 20},
		{4, 64 << 20},    // Sefaria's four services: the floor
		{5000, 64 << 20}, // 53.7 MiB would be under the floor
		{10000, 10000 * 11 << 10},
	} {
		if got := memoryLimit(c.services, 0); got != c.want {
			t.Errorf("memoryLimit(%d) = %d, want %d", c.services, got, c.want)
		}
	}
	// 10,000 services with 90 days of history (19 MB packed) stay under
	// issue 14's 150 MB of RSS with room for what is not heap (stacks, the
	// runtime, buffers not yet returned): about 12 MB in the load runs.
	if got := memoryLimit(10000, 19<<20); got > 135<<20 {
		t.Errorf("memoryLimit(10000, 19 MiB) = %d MiB, want at most 135 MiB", got>>20)
	}
	// The history the loader keeps is live on top of that.
	if got, want := memoryLimit(10000, 20<<20), int64(10000*11<<10+20<<20); got != want {
		t.Errorf("memoryLimit(10000, 20 MiB) = %d, want %d", got, want)
	}
	if got, want := memoryLimit(4, 1<<20), int64(65<<20); got != want {
		t.Errorf("memoryLimit(4, 1 MiB) = %d, want the floor and the history, %d", got, want)
	}
}
