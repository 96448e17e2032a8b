package site

import (
	"fmt"
	"os"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// scanRecent is the plain way to summarise the recent window, a scan of
// the raw files with history.Histogram, which the Loader's memory of them
// must match: the checks of the bucketCount UTC half-hours ending with the
// one holding now, each read from its own day's file, and the time each
// check stood for within those half-hours: until the next check of its
// file (a check older than the last adds none), the last of a file until
// the first of the next file with one or now, the newest until now, each
// at most limit.
func scanRecent(t *testing.T, dir, name string, now time.Time, limit time.Duration) Recent {
	t.Helper()
	first := now.Truncate(bucketWidth).Add(-(bucketCount - 1) * bucketWidth)
	end := now.Truncate(bucketWidth).Add(bucketWidth)
	var r Recent
	var all history.Histogram
	var buckets [bucketCount]history.Histogram
	give := func(from, to time.Time, st uptime.Status) {
		if from.Before(first) {
			from = first
		}
		if to.After(end) {
			to = end
		}
		if !from.Before(to) {
			return
		}
		switch {
		case st.IsUp():
			r.UpTime += to.Sub(from)
		case st == uptime.Down:
			r.DownTime += to.Sub(from)
		}
	}
	until := func(last, next time.Time, carried bool) time.Time {
		e := last.Add(limit)
		if !next.IsZero() && next.Before(e) {
			e = next
		}
		if carried && now.Before(e) {
			e = now
		}
		return e
	}
	var last *uptime.Result // the last check of the files read so far
	store := history.New(dir)
	for day := first.Truncate(24 * time.Hour); !day.After(now); day = day.Add(24 * time.Hour) {
		var dayLast *uptime.Result
		_, _, err := store.ScanDay(day, 0, func(c uptime.Result) error {
			if c.Service != name || !c.Time.Truncate(24*time.Hour).Equal(day) {
				return nil
			}
			switch {
			case dayLast == nil:
				if last != nil {
					give(last.Time, until(last.Time, c.Time, true), last.Status)
				}
				dayLast = &c
			case !c.Time.Before(dayLast.Time):
				give(dayLast.Time, until(dayLast.Time, c.Time, false), dayLast.Status)
				dayLast = &c
			}
			i := int(c.Time.Sub(first).Truncate(bucketWidth) / bucketWidth)
			if c.Time.Before(first) || i >= bucketCount {
				return nil
			}
			r.Checks++
			switch {
			case c.Status.IsUp():
				r.Up++
				all.Add(c.MS)
				buckets[i].Add(c.MS)
			case c.Status == uptime.Inconclusive:
				r.Inconclusive++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if dayLast != nil {
			last = dayLast
		}
	}
	if last != nil {
		give(last.Time, until(last.Time, time.Time{}, true), last.Status)
	}
	if r.Checks == 0 && r.UpTime == 0 && r.DownTime == 0 {
		return Recent{}
	}
	r.P50MS, r.P95MS = all.Quantile(0.50), all.Quantile(0.95)
	r.Buckets, r.Buckets95 = make([]int64, bucketCount), make([]int64, bucketCount)
	for i := range buckets {
		r.Buckets[i], r.Buckets95[i] = -1, -1
		if buckets[i].Count() > 0 {
			r.Buckets[i], r.Buckets95[i] = buckets[i].Quantile(0.50), buckets[i].Quantile(0.95)
		}
	}
	return r
}

// TestLoaderRecentMatchesScan runs a Loader through a day and a half of
// cycles, across midnight, with a torn line, a clock that goes back and a
// day file replaced, and compares every service's last 24 hours with a
// fresh scan of the files after each step.
func TestLoaderRecentMatchesScan(t *testing.T) {
	cfg, dir, st := bigData(t, 3, 3, 2)
	store := history.New(dir)
	names := []string{cfg.Services[0].Name, cfg.Services[1].Name, cfg.Services[2].Name, "not configured"}
	statuses := []uptime.Status{uptime.Up, uptime.Degraded, uptime.Down, uptime.Inconclusive, uptime.Up}
	var l Loader
	now, written := fixedNow, fixedNow
	for step := range 45 {
		switch step {
		case 7: // a crash tears the last line; the next Append cuts it off
			f, err := os.OpenFile(checkPath(dir, now.Format(time.DateOnly)), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(f, `{"time":"%s","service":"%s","status":"up","code":200,"ms":1`, now.Format(time.RFC3339), names[0])
			f.Close()
		case 12: // the clock goes back three hours
			now = now.Add(-3 * time.Hour)
		case 30: // today's file is replaced by a longer one with other checks
			day := now.Truncate(24 * time.Hour)
			path := checkPath(dir, day.Format(time.DateOnly))
			old := path + ".old"
			if err := os.Rename(path, old); err != nil {
				t.Fatal(err)
			}
			var other []uptime.Result
			for at := day; !at.After(now); at = at.Add(time.Minute) {
				for range 2 * len(names) {
					other = append(other, uptime.Result{Time: at, Service: names[1], Status: uptime.Up, MS: 4242, Attempts: 1})
				}
			}
			if err := history.New(dir).Append(other); err != nil {
				t.Fatal(err)
			}
			if a, b := fileSize(t, old), fileSize(t, path); a >= b {
				t.Fatalf("the new file has %d bytes, the old %d: the test needs it longer", b, a)
			}
			os.Remove(old)
		}
		now = now.Add(37 * time.Minute)
		var results []uptime.Result
		for at := written.Add(time.Minute).Truncate(time.Minute); !at.After(now); at = at.Add(time.Minute) {
			for i, name := range names {
				n := int(at.Unix()/60) + i
				results = append(results, uptime.Result{Time: at.Add(time.Duration(i) * time.Second), Service: name,
					Status: statuses[n%len(statuses)], MS: int64(50 + n%700), Attempts: 1})
			}
		}
		if err := store.Append(results); err != nil {
			t.Fatal(err)
		}
		written = later(written, now)
		in, err := l.Load(cfg, dir, st, now)
		if err != nil {
			t.Fatalf("step %d: Load: %v", step, err)
		}
		for _, s := range in.Services {
			if want := scanRecent(t, dir, s.Name, now, history.SpanCap(cfg.Settings.Interval)); !reflect.DeepEqual(s.Recent, want) {
				t.Fatalf("step %d, %s: Loader.Load Recent = %+v, want %+v", step, now.Format(time.RFC3339), s.Recent, want)
			}
		}
	}
	if n := len(l.recent.files); n > 2 {
		t.Errorf("Loader remembers %d day files, want at most 2", n)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// TestLoaderRecentMemoryIsBounded runs a Loader (and a cold one) through two
// days of checks, one a minute per service, and measures what each keeps
// of the recent checks after a Load: at the end of the first day, in the
// middle of the second (the window across midnight) and at the end of the
// second, it must be the same, whatever the number of checks read.
func TestLoaderRecentMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes two days of checks")
	}
	const n = 100
	cfg, dir, st := bigData(t, n, 1, 0)
	store := history.New(dir)
	day0 := fixedNow.Truncate(24*time.Hour).AddDate(0, 0, 1)
	var warm Loader
	var sizes []int
	written := day0
	for _, at := range []time.Duration{23*time.Hour + 59*time.Minute, 35*time.Hour + 59*time.Minute, 47*time.Hour + 59*time.Minute} {
		now := day0.Add(at)
		for ; !written.After(now); written = written.Add(time.Hour) {
			var results []uptime.Result
			for m := range 60 {
				for i, s := range cfg.Services {
					results = append(results, uptime.Result{Time: written.Add(time.Duration(m) * time.Minute), Service: s.Name,
						Status: uptime.Up, MS: int64(80 + (m*7+i*13)%400), Attempts: 1})
				}
			}
			if err := store.Append(results); err != nil {
				t.Fatal(err)
			}
			if _, err := warm.Load(cfg, dir, st, written); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := warm.Load(cfg, dir, st, now); err != nil {
			t.Fatal(err)
		}
		var cold Loader
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := cold.Load(cfg, dir, st, now); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		w, c := warm.recent.size(), cold.recent.size()
		t.Logf("after %v of checks: a Loader run every hour keeps %d B of recent checks (%d B a service), a fresh one %d B (its heap: %d B in all)",
			at, w, w/n, c, int64(after.HeapAlloc)-int64(before.HeapAlloc))
		runtime.KeepAlive(&cold)
		sizes = append(sizes, w, c)
	}
	lo, hi := slices.Min(sizes), slices.Max(sizes)
	if float64(hi) > 1.35*float64(lo) { // growth slack, and a second day file across midnight
		t.Errorf("Loader memory of recent checks ranged from %d B to %d B over two days of checks (%v), want it flat", lo, hi, sizes)
	}
	if per := hi / n; per > 8<<10 {
		t.Errorf("Loader memory of recent checks is %d B a service, want under 8 KB", per)
	}
}

// size is about how many bytes rc holds: its slices' capacity and a
// generous 64 bytes for each map entry.
func (rc *recentChecks) size() int {
	const entry = 64
	n := len(rc.configured)*entry + cap(rc.merged.counts)*8
	for _, rd := range rc.files {
		n += entry
		for _, s := range rd.services {
			n += entry + int(unsafe.Sizeof(*s)) + cap(s.hs)*int(unsafe.Sizeof(halfHour{})) + cap(s.lat)*2
		}
	}
	return n
}
