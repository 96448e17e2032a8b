package site

import (
	"maps"
	"math"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// recentChecks remembers, for each configured service, the raw checks of
// the recent window (the bucketCount UTC half-hours that end with the one
// in progress) as counts and a compact latency histogram per half-hour, so
// that a Loader called every cycle reads only the lines appended since the
// last call. Half-hours that leave the window are forgotten, so its memory
// is bounded by the number of services and the spread of their latencies,
// never by the number of checks read.
type recentChecks struct {
	files      map[string]*rawDay // by date
	configured map[string]bool    // the services kept; another set starts over
	floor      int64              // the earliest half-hour kept: a window starting earlier reads the files again
	limit      int64              // how long a check stands for at most, ms (history.SpanCap); another starts over
	merged     latencyCounts      // scratch for summaries, reused from call to call
}

// rawDay is what has been read of one day's check file: its checks, by
// service and half-hour of that day. A line whose time is not in the
// file's day is ignored.
type rawDay struct {
	info     os.FileInfo // the file read, to notice one replaced
	next     int64       // offset after the last complete line read
	services map[string]*recentService
}

// recentService is one service's half-hours of one day, ascending, each
// with its latencies encoded one after the other in lat, and the day's
// first and last checks so far: each check stands for the span until the
// next (history.Carry), which is given to the half-hours it falls in, and
// the span of the day's last check is added when summarising, since it
// runs into the next day's file or until now.
type recentService struct {
	hs          []halfHour
	lat         []uint16
	first, last int64 // Unix milliseconds; 0 before the first check
	lastStatus  uptime.Status
}

// halfHour counts one service's checks in one UTC half-hour. Its
// latencies are n entries of lat: histogram bins (history.Histogram's
// layout) ascending, each followed by any number of count entries
// (countFlag set) that add to its count of one.
type halfHour struct {
	h                   int32 // half-hours since the Unix epoch (file dates are within years 0–9999)
	n                   uint32
	checks, up, inconcl uint32
	upMS, downMS        uint32 // time up (degraded included) and down, of the spans between the day's checks
}

const (
	countFlag = 1 << 15
	countMax  = countFlag - 1
)

// halfHourOf is the half-hour holding t.
func halfHourOf(t time.Time) int64 {
	s := t.Unix()
	h := s / int64(bucketWidth/time.Second)
	if s < 0 && s%int64(bucketWidth/time.Second) != 0 {
		h--
	}
	return h
}

// load returns each configured service's checks in the window ending at
// now, summarised: the same as scanning the files, which is what a zero
// recentChecks does. A check stands for its service at most limit.
func (rc *recentChecks) load(store *history.Store, dataDir string, services map[string]bool, now time.Time, limit time.Duration) (map[string]Recent, error) {
	cur := halfHourOf(now)
	lo := cur - (bucketCount - 1)
	limitMS := int64(limit / time.Millisecond)
	if rc.files == nil || lo < rc.floor || !sameSet(rc.configured, services) || rc.limit != limitMS {
		*rc = recentChecks{files: map[string]*rawDay{}, configured: services, floor: lo, limit: limitMS, merged: rc.merged}
	}
	if lo > rc.floor {
		for _, rd := range rc.files {
			rd.forget(lo)
		}
		rc.floor = lo
	}
	// The day files the window overlaps: one or two.
	perDay := int64(24 * time.Hour / bucketWidth)
	var dates []time.Time
	for d := floorDiv(lo, perDay); d <= floorDiv(cur, perDay); d++ {
		dates = append(dates, time.Unix(d*86400, 0).UTC())
	}
	keep := map[string]bool{}
	errs := make([]error, len(dates))
	var wg sync.WaitGroup
	for i, day := range dates {
		date := day.Format(time.DateOnly)
		keep[date] = true
		rd := rc.files[date]
		info, err := os.Stat(checkPath(dataDir, date))
		switch {
		case err != nil:
			delete(rc.files, date) // missing or unreadable: a scan would read nothing either
			continue
		case rd == nil || !os.SameFile(rd.info, info) || info.Size() < rd.next:
			rd = &rawDay{services: map[string]*recentService{}}
			rc.files[date] = rd
		case info.Size() == rd.next:
			rd.info = info
			continue
		}
		rd.info = info
		wg.Go(func() { errs[i] = rd.read(store, day, services, rc.floor, rc.limit) })
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
	return rc.summarise(lo, cur, now), nil
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range b {
		if !a[k] {
			return false
		}
	}
	return true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// read adds the lines appended since the last read, of the configured
// services: their counts and latencies in half-hours from floor on, and
// the span of each check until the next, at most limit ms, in the
// half-hours from floor on that it falls in. Lines before floor still
// start a span that may reach into it.
func (rd *rawDay) read(store *history.Store, day time.Time, services map[string]bool, floor, limit int64) error {
	first := halfHourOf(day)
	last := first + int64(24*time.Hour/bucketWidth) - 1
	next, _, err := store.ScanDay(day, rd.next, func(r uptime.Result) error {
		h := halfHourOf(r.Time)
		if h < first || h > last || !services[r.Service] {
			return nil
		}
		s := rd.services[r.Service]
		if s == nil {
			s = &recentService{}
			rd.services[r.Service] = s
		}
		s.chain(r.Time.UnixMilli(), r.Status, floor, limit)
		if h >= floor {
			s.add(h, r.Status, r.MS)
		}
		return nil
	})
	rd.next = next
	return err
}

// chain records a check at t (Unix ms): the previous one's span ends
// there, at most limit after it. A check older than the last (a late
// line) adds no time: the span it falls in is already counted.
func (s *recentService) chain(t int64, st uptime.Status, floor, limit int64) {
	switch {
	case s.first == 0 && s.last == 0:
		s.first, s.last, s.lastStatus = t, t, st
	case t >= s.last:
		s.span(s.last, min(t, s.last+limit), s.lastStatus, floor)
		s.last, s.lastStatus = t, st
	case t < s.first:
		s.first = t
	}
}

// span gives [from, to) (Unix ms) to the half-hours from floor on.
func (s *recentService) span(from, to int64, st uptime.Status, floor int64) {
	const width = int64(bucketWidth / time.Millisecond)
	for from < to {
		h := floorDiv(from, width)
		end := min(to, (h+1)*width)
		if h >= floor {
			i, _ := s.find(h)
			switch hh := &s.hs[i]; {
			case st.IsUp():
				hh.upMS += uint32(end - from)
			case st == uptime.Down:
				hh.downMS += uint32(end - from)
			}
		}
		from = end
	}
}

// forget drops the half-hours before lo, which no later window holds; a
// Loader asked about an earlier time reads the files again. The first
// and last checks stay: the last one's span may still reach into the
// window.
func (rd *rawDay) forget(lo int64) {
	for _, s := range rd.services {
		i, skip := 0, 0
		for i < len(s.hs) && int64(s.hs[i].h) < lo {
			skip += int(s.hs[i].n)
			i++
		}
		if i == len(s.hs) {
			s.hs, s.lat = nil, nil
			continue
		}
		if i > 0 {
			s.hs = shrink(slices.Delete(s.hs, 0, i))
			s.lat = shrink(slices.Delete(s.lat, 0, skip))
		}
	}
}

// insert is slices.Insert growing s by a quarter rather than doubling it:
// these slices live long and grow a little at a time.
func insert[T any](s []T, i int, v T) []T {
	if len(s) == cap(s) {
		s = slices.Grow(s, len(s)/4+8)
	}
	return slices.Insert(s, i, v)
}

// shrink gives back the memory of a slice mostly emptied.
func shrink[T any](s []T) []T {
	if cap(s) > 2*len(s)+8 {
		return slices.Clone(s)
	}
	return s
}

// find returns the index of half-hour h in s.hs, inserted if missing,
// and the end of its latencies in s.lat.
func (s *recentService) find(h int64) (i, end int) {
	// From the end: checks arrive mostly in order.
	i, end = len(s.hs), len(s.lat)
	for i > 0 && int64(s.hs[i-1].h) > h {
		i--
		end -= int(s.hs[i].n)
	}
	if i == 0 || int64(s.hs[i-1].h) != h {
		s.hs = insert(s.hs, i, halfHour{h: int32(h)})
		return i, end
	}
	return i - 1, end
}

// add counts one check in half-hour h.
func (s *recentService) add(h int64, status uptime.Status, ms int64) {
	i, end := s.find(h)
	hh := &s.hs[i]
	hh.checks++
	switch {
	case status.IsUp():
		hh.up++
	case status == uptime.Inconclusive:
		hh.inconcl++
		return
	default:
		return
	}
	// Add the latency's bin to the half-hour's entries, lat[start:end].
	start := end - int(hh.n)
	bin := uint16(history.Bucket(ms)) // Histogram's buckets, so percentiles read as a Histogram's would
	j := start
	for j < end && (s.lat[j]&countFlag != 0 || s.lat[j] < bin) {
		j++
	}
	if j < end && s.lat[j] == bin {
		// Its count entries follow; the last one takes it unless full.
		k := j + 1
		for k < end && s.lat[k]&countFlag != 0 {
			k++
		}
		if k > j+1 && s.lat[k-1]&countMax < countMax {
			s.lat[k-1]++
			return
		}
		s.lat = insert(s.lat, k, countFlag|1)
	} else {
		s.lat = insert(s.lat, j, bin)
	}
	hh.n++
}

// summarise gives each service with checks in half-hours [lo, cur] its
// counts, its time up and down in them (the spans of the days' last checks
// added, the newest until now), the percentiles of their latencies
// together and the median of each half-hour.
func (rc *recentChecks) summarise(lo, cur int64, now time.Time) map[string]Recent {
	out := make(map[string]Recent, len(rc.configured))
	dates := slices.Sorted(maps.Keys(rc.files))
	days := make([]*rawDay, len(dates))
	for i, date := range dates {
		days[i] = rc.files[date]
	}
	const width = int64(bucketWidth / time.Millisecond)
	from, to := lo*width, (cur+1)*width // the window, in Unix ms
	for name := range rc.configured {
		var r Recent
		m := &rc.merged
		m.reset()
		var prev *recentService // the service's last day so far
		for _, rd := range days {
			s := rd.services[name]
			if s == nil {
				continue
			}
			if prev != nil {
				r.carry(prev, time.UnixMilli(s.first), now, rc.limit, from, to)
			}
			if s.first != 0 || s.last != 0 {
				prev = s
			}
			at := 0
			for _, hh := range s.hs {
				lat := s.lat[at : at+int(hh.n)]
				at += int(hh.n)
				if h := int64(hh.h); h < lo || h > cur {
					continue
				}
				r.Checks += int(hh.checks)
				r.Up += int(hh.up)
				r.Inconclusive += int(hh.inconcl)
				r.UpTime += time.Duration(hh.upMS) * time.Millisecond
				r.DownTime += time.Duration(hh.downMS) * time.Millisecond
				if hh.up == 0 {
					continue
				}
				if r.Buckets == nil {
					r.Buckets, r.Buckets95 = noBuckets(), noBuckets()
				}
				r.Buckets[int64(hh.h)-lo] = quantileOf(lat, int64(hh.up), 0.50)
				r.Buckets95[int64(hh.h)-lo] = quantileOf(lat, int64(hh.up), 0.95)
				m.add(lat)
			}
		}
		if prev != nil {
			r.carry(prev, time.Time{}, now, rc.limit, from, to)
		}
		if r.Checks == 0 && r.UpTime == 0 && r.DownTime == 0 {
			continue
		}
		if r.Buckets == nil {
			r.Buckets, r.Buckets95 = noBuckets(), noBuckets()
		}
		r.P50MS, r.P95MS = m.quantile(0.50), m.quantile(0.95)
		out[name] = r
	}
	return out
}

// noBuckets is a window of half-hours without a latency.
func noBuckets() []int64 {
	b := make([]int64, bucketCount)
	for i := range b {
		b[i] = -1
	}
	return b
}

// carry adds the part within [from, to) (Unix ms) of the span of s's
// last check, which ends at next (zero: none yet), at most limit ms.
func (r *Recent) carry(s *recentService, next, now time.Time, limit, from, to int64) {
	last := time.UnixMilli(s.last)
	end := history.CarryEnd(last, next, now, time.Duration(limit)*time.Millisecond)
	span := time.Duration(min(end.UnixMilli(), to)-max(s.last, from)) * time.Millisecond
	switch {
	case span <= 0:
	case s.lastStatus.IsUp():
		r.UpTime += span
	case s.lastStatus == uptime.Down:
		r.DownTime += span
	}
}

// quantileOf is history.Histogram's Quantile of n latencies encoded in lat.
func quantileOf(lat []uint16, n int64, q float64) int64 {
	rank := min(max(int64(math.Ceil(q*float64(n))), 1), n)
	var cum int64
	for i := 0; i < len(lat); {
		bin := int(lat[i])
		c := int64(1)
		for i++; i < len(lat) && lat[i]&countFlag != 0; i++ {
			c += int64(lat[i] & countMax)
		}
		if cum += c; cum >= rank {
			return history.BucketValue(int(bin))
		}
	}
	return 0 // unreachable when n counts lat
}

// latencyCounts is a dense histogram that merges half-hours, cleared
// between services only where it was used.
type latencyCounts struct {
	counts []int64
	lo, hi int // the bins used: [lo, hi)
	n      int64
}

func (m *latencyCounts) reset() {
	if m.hi > m.lo {
		clear(m.counts[m.lo:m.hi])
	}
	m.lo, m.hi, m.n = 0, 0, 0
}

func (m *latencyCounts) add(lat []uint16) {
	for i := 0; i < len(lat); {
		bin := int(lat[i])
		c := int64(1)
		for i++; i < len(lat) && lat[i]&countFlag != 0; i++ {
			c += int64(lat[i] & countMax)
		}
		if bin >= len(m.counts) {
			m.counts = append(m.counts, make([]int64, bin+1-len(m.counts))...)
		}
		if m.n == 0 {
			m.lo, m.hi = bin, bin+1
		}
		m.lo, m.hi = min(m.lo, bin), max(m.hi, bin+1)
		m.counts[bin] += c
		m.n += c
	}
}

func (m *latencyCounts) quantile(q float64) int64 {
	if m.n == 0 {
		return 0
	}
	rank := min(max(int64(math.Ceil(q*float64(m.n))), 1), m.n)
	var cum int64
	for bin := m.lo; bin < m.hi; bin++ {
		if cum += m.counts[bin]; cum >= rank {
			return history.BucketValue(int(bin))
		}
	}
	return 0
}
