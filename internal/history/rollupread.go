package history

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// RollupSummary reads day's rollup without its latency histograms: every
// ServiceDay keeps its counts, downtime and stored percentiles but has an
// empty Latency, so it must not be merged with another. The histograms are
// most of a rollup's bytes; a reader that shows only daily figures (the
// status site) skips them. A file RollupSummary accepts is one Rollups
// accepts, and the other way round. A missing file is an error that
// errors.Is(err, fs.ErrNotExist) recognises; an unreadable one names the
// file and says how to recompute it.
func (s *Store) RollupSummary(day time.Time) (Day, error) {
	date := dayOf(day).Format(dateLayout)
	path := s.rollupFile(date)
	data, err := os.ReadFile(path)
	if err != nil {
		return Day{}, fmt.Errorf("read %s: %w", path, err)
	}
	d, err := decodeDay(data, date, false)
	if err != nil {
		return Day{}, fmt.Errorf("read %s: %w (RebuildRollups recomputes it from raw history)", path, err)
	}
	return *d, nil
}

// decodeDay reads a rollup file's bytes as the day date (the file name is
// authoritative, not the date inside). Files in the form encodeDay writes
// are read by a decoder written for that form; anything else goes to
// encoding/json, which decides what is valid. Without latency the
// histograms are checked but not kept.
func decodeDay(data []byte, date string, latency bool) (*Day, error) {
	d := &Day{Date: date, Services: map[string]*ServiceDay{}}
	if decodeDayFast(data, d, latency) {
		d.upgrade()
		return d, nil
	}
	d = &Day{Services: map[string]*ServiceDay{}}
	if err := json.Unmarshal(data, d); err != nil {
		return nil, err
	}
	d.Date = date
	if d.Services == nil {
		d.Services = map[string]*ServiceDay{}
	}
	for name, sd := range d.Services {
		if sd == nil {
			delete(d.Services, name)
			continue
		}
		if !latency {
			sd.Latency = Histogram{}
		}
	}
	d.upgrade()
	return d, nil
}

// decodeDayFast reads exactly what encodeDay writes: one service per line,
// the keys of ServiceDay in their order, strings without escapes,
// non-negative integers, and histogram pairs whose bounds are in range.
// For such files it gives what encoding/json would; for anything else
// (an escaped name, a hand-edited file, a repeated service) it returns
// false, so it only decides how fast a file is read, never whether it is
// valid. d.Services may hold partial results when it returns false.
func decodeDayFast(b []byte, d *Day, latency bool) bool {
	p := fastParser{b: b}
	if !p.lit(`{"date":"`) {
		return false
	}
	if _, ok := p.str(); !ok {
		return false
	}
	if p.lit(`,"version":`) {
		v, ok := p.uint()
		if !ok || int64(int(v)) != v {
			return false
		}
		d.Version = int(v)
	}
	if !p.lit(`,"services":{`) {
		return false
	}
	if p.lit(`}}`) {
		return p.end()
	}
	for {
		if !p.lit("\n  \"") {
			return false
		}
		name, ok := p.str()
		if !ok || !p.lit(":") {
			return false
		}
		if _, dup := d.Services[string(name)]; dup {
			return false
		}
		sd := &ServiceDay{}
		if !p.serviceDay(sd, latency) {
			return false
		}
		d.Services[string(name)] = sd
		if p.lit(",") {
			continue
		}
		return p.lit("\n}}") && p.end()
	}
}

// end accepts the end of a file: nothing, or the newline encodeDay writes.
func (p *fastParser) end() bool {
	p.lit("\n")
	return p.i == len(p.b)
}

func (p *fastParser) serviceDay(sd *ServiceDay, latency bool) bool {
	ints := [...]struct {
		key string
		to  *int
	}{
		{`{"checks":`, &sd.Checks},
		{`,"up":`, &sd.Up},
		{`,"degraded":`, &sd.Degraded},
		{`,"down":`, &sd.Down},
		{`,"inconclusive":`, &sd.Inconclusive},
	}
	for _, f := range ints {
		if !p.lit(f.key) {
			return false
		}
		v, ok := p.uint()
		if !ok || int64(int(v)) != v { // an int that overflows is left to encoding/json
			return false
		}
		*f.to = int(v)
	}
	// Times (RollupVersion 2), or the downtime of a file without a version.
	times := [...]struct {
		key string
		to  *int64
	}{
		{`,"up_time_ms":`, &sd.UpTimeMS},
		{`,"degraded_time_ms":`, &sd.DegradedTimeMS},
		{`,"down_time_ms":`, &sd.DownTimeMS},
		{`,"inconclusive_time_ms":`, &sd.InconclusiveTimeMS},
	}
	if p.lit(`,"downtime_s":`) {
		v, ok := p.uint()
		if !ok {
			return false
		}
		sd.legacyDowntimeSec = v
	} else if !p.int64s(times[:]) {
		return false
	}
	int64s := [...]struct {
		key string
		to  *int64
	}{
		{`,"p50_ms":`, &sd.P50MS},
		{`,"p95_ms":`, &sd.P95MS},
		{`,"max_ms":`, &sd.MaxMS},
	}
	if !p.int64s(int64s[:]) {
		return false
	}
	for _, f := range [...]struct {
		key string
		to  *time.Time
	}{{`,"first":"`, &sd.First}, {`,"last":"`, &sd.Last}} {
		if p.lit(f.key) {
			ts, ok := p.str()
			if !ok || !validTS(ts) {
				return false
			}
			*f.to = tsTime(ts)
		}
	}
	if p.lit(`,"last_status":"`) {
		st, ok := p.str()
		if !ok {
			return false
		}
		sd.LastStatus = statusOf(st)
		if sd.LastStatus == "" { // not one of ours: as encoding/json reads it
			sd.LastStatus = uptime.Status(st)
		}
	}
	if !p.lit(`,"latency":`) {
		return false
	}
	var h *Histogram
	if latency {
		h = &sd.Latency
	}
	return p.histogram(h) && p.lit("}")
}

// int64s reads each key and its non-negative integer, in order.
func (p *fastParser) int64s(fields []struct {
	key string
	to  *int64
}) bool {
	for _, f := range fields {
		if !p.lit(f.key) {
			return false
		}
		v, ok := p.uint()
		if !ok {
			return false
		}
		*f.to = v
	}
	return true
}

// histogram reads the sparse [[bound,count],...] form into h, or only
// checks it when h is nil. Out-of-range bounds are left to UnmarshalJSON,
// which reports them.
func (p *fastParser) histogram(h *Histogram) bool {
	if !p.lit("[") {
		return false
	}
	if p.lit("]") {
		return true
	}
	for {
		if !p.lit("[") {
			return false
		}
		low, ok := p.uint()
		if !ok || low > maxValue || !p.lit(",") {
			return false
		}
		n, ok := p.uint()
		if !ok || !p.lit("]") {
			return false
		}
		if h != nil {
			h.addN(bucketOf(low), n)
		}
		if p.lit("]") {
			return true
		}
		if !p.lit(",") {
			return false
		}
	}
}
