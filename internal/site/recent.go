package site

import (
	"os"
	"slices"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// recentChecks remembers the raw checks of the day files that overlap the
// last 24 hours, so that a Loader called every cycle reads only the lines
// appended since the last call instead of rescanning a day of checks. Its
// memory is one small record per check of those one or two days, never more.
type recentChecks struct {
	files map[string]*rawDay // by date
	// scratch for summaries, reused from call to call
	refs    []checkRef
	all     history.Histogram
	buckets [bucketCount]history.Histogram
}

// rawDay is what has been read of one day's check file.
type rawDay struct {
	info   os.FileInfo // the file read, to notice one replaced
	next   int64       // offset after the last complete line read
	after  int64       // checks at or before this (Unix ns) were dropped as too old
	names  []string    // service names, indexed by check.svc
	index  map[string]int32
	checks []check
}

// checkRef finds a check: files[f].checks[i] in one summarise call.
type checkRef struct{ f, i int32 }

// check is one raw line, as much of it as a summary needs.
type check struct {
	at     int64 // Unix ns
	ms     int64
	svc    int32
	status uint8
}

const (
	stUp uint8 = iota
	stDown
	stInconclusive
)

// Checks whose time UnixNano cannot hold are never within a window.
var (
	minTime = time.Unix(0, -1<<63+1).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

// load returns each configured service's checks with from < time <= now,
// summarised: the same as scanning the files, which is what a zero
// recentChecks does.
func (rc *recentChecks) load(store *history.Store, dataDir string, services map[string]bool, now time.Time) (map[string]Recent, error) {
	from := now.Add(-24 * time.Hour)
	if rc.files == nil {
		rc.files = map[string]*rawDay{}
	}
	// The day files Scan(from+1ns, now+1ns) would open.
	var dates []time.Time
	for day := from.Truncate(24 * time.Hour); day.Before(now.Add(time.Nanosecond)); day = day.Add(24 * time.Hour) {
		if day.Add(24 * time.Hour).After(from.Add(time.Nanosecond)) {
			dates = append(dates, day)
		}
	}
	keep := map[string]bool{}
	errs := make([]error, len(dates))
	var wg sync.WaitGroup
	for i, day := range dates {
		date := day.Format(time.DateOnly)
		keep[date] = true
		rd := rc.files[date]
		path := checkPath(dataDir, date)
		info, err := os.Stat(path)
		switch {
		case err != nil:
			delete(rc.files, date) // missing or unreadable: Scan would read nothing either
			continue
		case rd == nil || !os.SameFile(rd.info, info) || info.Size() < rd.next || from.UnixNano() < rd.after:
			rd = &rawDay{index: map[string]int32{}}
			rc.files[date] = rd
		case info.Size() == rd.next:
			rd.info = info
			continue
		}
		rd.info = info
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = rd.read(store, day)
		}()
	}
	wg.Wait()
	for date := range rc.files {
		if !keep[date] {
			delete(rc.files, date)
		}
	}
	for i, err := range errs {
		if err != nil {
			delete(rc.files, dates[i].Format(time.DateOnly))
			return nil, err
		}
	}
	return rc.summarise(services, from, now), nil
}

// read adds the lines appended since the last read.
func (rd *rawDay) read(store *history.Store, day time.Time) error {
	// Room for the new lines at once (a line is over 100 bytes), rather
	// than growing and copying a day of checks many times over.
	rd.checks = slices.Grow(rd.checks, int(rd.info.Size()-rd.next)/100)
	next, _, err := store.ScanDay(day, rd.next, func(r uptime.Result) error {
		if r.Time.Before(minTime) || r.Time.After(maxTime) {
			return nil
		}
		svc, ok := rd.index[r.Service]
		if !ok {
			svc = int32(len(rd.names))
			rd.names = append(rd.names, r.Service)
			rd.index[r.Service] = svc
		}
		c := check{at: r.Time.UnixNano(), ms: r.MS, svc: svc, status: stDown}
		switch {
		case r.Status.IsUp():
			c.status = stUp
		case r.Status == uptime.Inconclusive:
			c.status = stInconclusive
		}
		rd.checks = append(rd.checks, c)
		return nil
	})
	rd.next = next
	return err
}

// summarise gathers the checks of (from, now] by service, then each
// service's counts and latency histograms, with histograms reused from one
// service to the next. Checks too old for any later window are dropped.
func (rc *recentChecks) summarise(services map[string]bool, from, now time.Time) map[string]Recent {
	lo, hi := from.UnixNano(), now.UnixNano()
	var names []string
	ids := map[string]int32{}
	var perFile [][]int32 // file-local service index → summary index, -1 when not configured
	var files []*rawDay
	for _, rd := range rc.files {
		files = append(files, rd)
		m := make([]int32, len(rd.names))
		for i, name := range rd.names {
			m[i] = -1
			if !services[name] {
				continue
			}
			id, ok := ids[name]
			if !ok {
				id = int32(len(names))
				names = append(names, name)
				ids[name] = id
			}
			m[i] = id
		}
		perFile = append(perFile, m)
	}

	// A counting sort by service of the checks in the window.
	start := make([]int32, len(names)+1)
	for f, rd := range files {
		old := 0
		for _, c := range rd.checks {
			switch {
			case c.at <= lo:
				old++
			case c.at <= hi && perFile[f][c.svc] >= 0:
				start[perFile[f][c.svc]+1]++
			}
		}
		if old > len(rd.checks)/4 {
			rd.drop(lo)
		}
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	total := int(start[len(names)])
	if cap(rc.refs) < total {
		rc.refs = make([]checkRef, total)
	}
	refs := rc.refs[:total]
	fill := append([]int32(nil), start[:len(names)]...)
	for f, rd := range files {
		for i, c := range rd.checks {
			if c.at <= lo || c.at > hi {
				continue
			}
			if id := perFile[f][c.svc]; id >= 0 {
				refs[fill[id]] = checkRef{int32(f), int32(i)}
				fill[id]++
			}
		}
	}

	out := make(map[string]Recent, len(names))
	for id, name := range names {
		rc.all.Reset()
		for i := range rc.buckets {
			rc.buckets[i].Reset()
		}
		var r Recent
		for _, x := range refs[start[id]:start[id+1]] {
			c := files[x.f].checks[x.i]
			r.Checks++
			switch c.status {
			case stUp:
				r.Up++
				rc.all.Add(c.ms)
				rc.buckets[min(int((c.at-lo)/int64(bucketWidth)), bucketCount-1)].Add(c.ms)
			case stInconclusive:
				r.Inconclusive++
			}
		}
		r.P50MS, r.P95MS = rc.all.Quantile(0.50), rc.all.Quantile(0.95)
		r.Buckets = make([]int64, bucketCount)
		for i := range rc.buckets {
			r.Buckets[i] = -1
			if rc.buckets[i].Count() > 0 {
				r.Buckets[i] = rc.buckets[i].Quantile(0.50)
			}
		}
		if r.Checks > 0 {
			out[name] = r
		}
	}
	return out
}

// drop forgets the checks at or before lo (Unix ns), which no later window
// holds; a Loader asked about an earlier time reads the file again.
func (rd *rawDay) drop(lo int64) {
	kept := rd.checks[:0]
	for _, c := range rd.checks {
		if c.at > lo {
			kept = append(kept, c)
		}
	}
	clear(rd.checks[len(kept):])
	rd.checks = kept
	rd.after = max(rd.after, lo)
}
