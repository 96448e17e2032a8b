package site

import (
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// scanRecent is the plain way to summarise the last 24 hours, a scan of the
// raw files, which the Loader's memory of them must match.
func scanRecent(t *testing.T, dir, name string, now time.Time) Recent {
	t.Helper()
	from := now.Add(-24 * time.Hour)
	var r Recent
	var all history.Histogram
	var buckets [bucketCount]history.Histogram
	_, err := history.New(dir).Scan(from.Add(time.Nanosecond), now.Add(time.Nanosecond), func(c uptime.Result) error {
		if c.Service != name {
			return nil
		}
		r.Checks++
		switch {
		case c.Status.IsUp():
			r.Up++
			all.Add(c.MS)
			buckets[min(int(c.Time.Sub(from)/bucketWidth), bucketCount-1)].Add(c.MS)
		case c.Status == uptime.Inconclusive:
			r.Inconclusive++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Checks == 0 {
		return Recent{}
	}
	r.P50MS, r.P95MS = all.Quantile(0.50), all.Quantile(0.95)
	r.Buckets = make([]int64, bucketCount)
	for i := range buckets {
		r.Buckets[i] = -1
		if buckets[i].Count() > 0 {
			r.Buckets[i] = buckets[i].Quantile(0.50)
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
			if want := scanRecent(t, dir, s.Name, now); !reflect.DeepEqual(s.Recent, want) {
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
