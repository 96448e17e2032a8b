package main

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// A runner's site loader holds past days' rollups (internal/site/load.go),
// so a load run from an empty data folder measures less memory and CPU
// than a runner with a year of history spends. seedHistory writes that
// history before the runners start: rollups/YYYY-MM-DD.json of the days
// before today, one ServiceDay per configured service, as a runner
// checking every 60 s would have left them.

// seedCadence is how often the seeded history was checked: the default
// interval, whatever the measured run's is.
const seedCadence = time.Minute

// seedStats says what seedHistory wrote into each data folder.
type seedStats struct {
	days, services, files int   // files per data folder
	bytes                 int64 // on disk, per data folder
	took                  time.Duration
}

func (s seedStats) String() string {
	return fmt.Sprintf("%d days × %d services: %d files, %.1f MB", s.days, s.services, s.files, float64(s.bytes)/1e6)
}

// seedHistory writes the rollups of the days days before today (UTC),
// today−days to today−1, for names into the rollups folder of each of
// dataDirs. Each day is computed and encoded once, written to the first
// folder and hard-linked into the others: a runner replaces a rollup by
// renaming a new file over it and prunes by unlinking, so a shared inode
// is never changed under another runner. Days are built in parallel; the
// values depend only on the service's name and how many days ago the day
// was, so every run measures the same history.
func seedHistory(dataDirs []string, names []string, days int, today time.Time) (seedStats, error) {
	st := seedStats{days: days, services: len(names)}
	if days <= 0 || len(dataDirs) == 0 {
		return st, nil
	}
	t0 := time.Now()
	today = today.UTC().Truncate(24 * time.Hour)
	for _, dir := range dataDirs {
		if err := os.MkdirAll(filepath.Join(dir, history.RollupsDir), 0o755); err != nil {
			return st, fmt.Errorf("seed history: %w", err)
		}
	}
	seeds := make([]uint64, len(names))
	for i, name := range names {
		seeds[i] = nameSeed(name)
	}
	var (
		mu       sync.Mutex
		firstErr error
		size     int64
		wg       sync.WaitGroup
	)
	next := make(chan int)
	for range min(days, runtime.GOMAXPROCS(0)+1) { // one more: another's write need not idle a core
		wg.Go(func() {
			for ago := range next {
				d := seedDay(today.AddDate(0, 0, -ago), ago, names, seeds)
				n, err := writeSeedDay(dataDirs, d)
				mu.Lock()
				size += n
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for ago := days; ago >= 1; ago-- {
		next <- ago
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return st, fmt.Errorf("seed history: %w", firstErr)
	}
	st.files, st.bytes, st.took = days, size, time.Since(t0)
	return st, nil
}

// writeSeedDay encodes d and writes it into every data folder; n is its size.
func writeSeedDay(dataDirs []string, d history.Day) (n int64, err error) {
	// history's own layout, one service per line: the loader decodes it
	// with a decoder written for it, anything else (json.Marshal's one
	// line) with encoding/json, at several times the CPU and garbage.
	data, err := d.MarshalJSON()
	if err != nil {
		return 0, err
	}
	first := filepath.Join(dataDirs[0], history.RollupsDir, d.Date+".json")
	if err := os.WriteFile(first, data, 0o644); err != nil {
		return 0, err
	}
	for _, dir := range dataDirs[1:] {
		path := filepath.Join(dir, history.RollupsDir, d.Date+".json")
		if err := os.Link(first, path); err != nil && !errors.Is(err, fs.ErrExist) {
			if err := os.WriteFile(path, data, 0o644); err != nil { // another file system
				return 0, err
			}
		}
	}
	return int64(len(data)), nil
}

// seedDay is the rollup of day, ago days before today, for names (seeds[i]
// is nameSeed(names[i])).
func seedDay(day time.Time, ago int, names []string, seeds []uint64) history.Day {
	d := history.Day{Date: day.Format(time.DateOnly), Version: history.RollupVersion, Services: make(map[string]*history.ServiceDay, len(names))}
	limit := history.SpanCap(seedCadence).Milliseconds()
	checks := make([]seedCheck, 0, checksPerDay)
	for i, name := range names {
		checks = seedChecks(checks[:0], ago, seeds[i])
		d.Services[name] = foldDay(day, checks, limit)
	}
	return d
}

// seedStatus is a check's status while seeding: comparing and storing
// uptime.Status strings 1.3 billion times cost more than making the checks.
type seedStatus uint8

const (
	seedUp seedStatus = iota
	seedDegraded
	seedDown
)

func (s seedStatus) status() uptime.Status {
	return [...]uptime.Status{seedUp: uptime.Up, seedDegraded: uptime.Degraded, seedDown: uptime.Down}[s]
}

// seedCheck is one check of the seeded history: at is milliseconds after
// its day's midnight, ms its latency.
type seedCheck struct {
	at, ms int64
	status seedStatus
}

const checksPerDay = int(24 * time.Hour / seedCadence)

// foldDay is the rollup of one service's checks on day, as a runner's
// rollup counts them (history.ServiceDay's add): each check stands until
// the next, at most limit ms; the last one's span belongs to the reader;
// the latencies of up and degraded checks go into the histogram and the
// max; the percentiles come from the histogram, never above the max.
// Checks come in time order. Times are kept in milliseconds after
// midnight until the end: time.Time arithmetic was most of the cost.
func foldDay(day time.Time, checks []seedCheck, limit int64) *history.ServiceDay {
	sd := &history.ServiceDay{}
	if len(checks) == 0 {
		return sd
	}
	var n, times [3]int64 // by seedStatus
	last := checks[0]
	for i, c := range checks {
		if i > 0 {
			times[last.status] += min(c.at-last.at, limit)
		}
		last = c
		n[c.status]++
		if c.status != seedDown {
			sd.Latency.Add(c.ms)
			sd.MaxMS = max(sd.MaxMS, c.ms)
		}
	}
	sd.Checks = len(checks)
	sd.Up, sd.Degraded, sd.Down = int(n[seedUp]), int(n[seedDegraded]), int(n[seedDown])
	sd.UpTimeMS, sd.DegradedTimeMS, sd.DownTimeMS = times[seedUp], times[seedDegraded], times[seedDown]
	sd.First = day.Add(time.Duration(checks[0].at) * time.Millisecond)
	sd.Last, sd.LastStatus = day.Add(time.Duration(last.at)*time.Millisecond), last.status.status()
	sd.P50MS = min(sd.Latency.Quantile(0.50), sd.MaxMS)
	sd.P95MS = min(sd.Latency.Quantile(0.95), sd.MaxMS)
	return sd
}

// seedChecks appends a service's checks on the day ago days before
// today to b, in time order: one every seedCadence from a few seconds
// after midnight, each up to 400 ms late, the last about a minute before
// the next midnight. Latency is around the service's own base (70–320
// ms), which drifts by ±15 % from day to day, with a tail to 900 ms. One
// service in 50 has an outage on about one day in four (2–30 checks
// down); one in 40 is slow (degraded, 700–900 ms) for a stretch on about
// one day in three. Everything derives from seed and ago: no clock, no
// global random source.
func seedChecks(b []seedCheck, ago int, seed uint64) []seedCheck {
	const perDay = uint64(checksPerDay)
	const cadence = uint64(seedCadence / time.Millisecond)
	r := rng(seed ^ uint64(ago)*0x9e3779b97f4a7c15)
	base := 70 + seed%251
	drift := 85 + r.next()%31 // percent
	var downAt, downEnd, slowAt, slowEnd uint64
	if seed%50 == 0 && r.next()%4 == 0 {
		downAt = r.next() % (perDay - 40)
		downEnd = downAt + 2 + r.next()%29
	}
	if seed%40 == 1 && r.next()%3 == 0 {
		slowAt = r.next() % (perDay - 60)
		slowEnd = slowAt + 5 + r.next()%56
	}
	start := 2000 + r.next()%7000
	for c := range perDay {
		u := r.next()
		at := start + c*cadence + (u>>16&0xffff)%400
		ms := base * drift * (80 + u%41) / 10000 // 80–120 % of the day's base
		switch tail := (u >> 32) % 100; {
		case tail == 0:
			ms = 400 + (u>>40)%501 // 400–900 ms
		case tail < 5:
			ms = ms * (150 + (u>>40)%151) / 100 // 1.5–3 ×
		}
		ms = min(max(ms, 50), 900)
		st := seedUp
		switch {
		case c >= downAt && c < downEnd:
			st, ms = seedDown, 5000 // a timeout: not in the latency figures
		case c >= slowAt && c < slowEnd:
			st, ms = seedDegraded, 700+(u>>40)%201
		}
		b = append(b, seedCheck{int64(at), int64(ms), st})
	}
	return b
}

// nameSeed is a service's seed: the same name, the same history.
func nameSeed(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// rng is splitmix64: cheap, and fixed by its seed.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
