package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/Sefaria/statusgen/internal/atomicfile"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// RollupVersion is the form of the rollups this code writes. Version 2
// measures time: each check stands for the span until its service's next
// check (see SpanCap). Files without a version counted checks only and
// estimated downtime as down checks × the interval; they are still read,
// their times estimated from the counts (see upgrade), and RebuildRollups
// replaces those whose raw file is still there.
const RollupVersion = 2

// Day is the rollup of one UTC day: rollups/YYYY-MM-DD.json.
type Day struct {
	Date     string                 `json:"date"`              // YYYY-MM-DD
	Version  int                    `json:"version,omitempty"` // RollupVersion; 0 in files written before versions
	Services map[string]*ServiceDay `json:"services"`          // by service name
}

// ServiceDay sums one service's checks over one day.
type ServiceDay struct {
	Checks       int `json:"checks"`
	Up           int `json:"up"`
	Degraded     int `json:"degraded"`
	Down         int `json:"down"`
	Inconclusive int `json:"inconclusive"`
	// UpTimeMS to InconclusiveTimeMS are how long, in milliseconds, the
	// service stood in each status between its checks of this day: a check
	// stands for the span until the next one, at most SpanCap; a longer
	// wait is no data, counted nowhere. The span of the day's last check
	// (from Last until the next day's First, or now) is not in them: it
	// crosses into a day this file does not know, and Times adds it.
	UpTimeMS           int64 `json:"up_time_ms"`
	DegradedTimeMS     int64 `json:"degraded_time_ms"`
	DownTimeMS         int64 `json:"down_time_ms"`
	InconclusiveTimeMS int64 `json:"inconclusive_time_ms"`
	// P50MS, P95MS and MaxMS describe the latency of up and degraded checks
	// only: a down check's latency is mostly its timeout. The percentiles come
	// from Latency (within 1%); the max is exact.
	P50MS int64 `json:"p50_ms"`
	P95MS int64 `json:"p95_ms"`
	MaxMS int64 `json:"max_ms"`
	// First and Last are the times of the day's first and last checks,
	// LastStatus the last one's status: what a reader needs to carry the
	// last check's span into the next day.
	First      time.Time     `json:"first,omitzero"`
	Last       time.Time     `json:"last,omitzero"`
	LastStatus uptime.Status `json:"last_status,omitempty"`
	Latency    Histogram     `json:"latency"`

	legacyDowntimeSec int64 // downtime_s of a file without a version
}

// Start is the UTC midnight that begins the day. Readers ask it for every
// day of every service, so the canonical form is read without time.Parse.
func (d Day) Start() time.Time {
	if s := d.Date; len(s) == len(dateLayout) && s[4] == '-' && s[7] == '-' && isDigits(s[0:4]+s[5:7]+s[8:10]) {
		y, m, day := num([]byte(s[0:4])), num([]byte(s[5:7])), num([]byte(s[8:10]))
		if y >= 1 && m >= 1 && m <= 12 && day >= 1 && day <= daysIn(m, y) {
			return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC)
		}
	}
	t, _ := time.Parse(dateLayout, d.Date)
	return t
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Timed reports whether the day's times were measured (RollupVersion 2),
// not estimated from counts: only then is the time they leave out no data.
func (d Day) Timed() bool { return d.Version >= 2 }

// Uptime is up (and degraded) time over up, degraded and down time:
// inconclusive time and time without data say nothing about the service.
// ok is false when there is no such time, a day to show as "no data"
// rather than as 0% or 100%. It covers the day's own spans; Times adds the
// span carried over midnight.
func (d *ServiceDay) Uptime() (ratio float64, ok bool) { return d.Times().Uptime() }

// Times is how long the service stood in each status by this day's spans.
func (d *ServiceDay) Times() Times {
	return Times{
		Up:           time.Duration(d.UpTimeMS) * time.Millisecond,
		Degraded:     time.Duration(d.DegradedTimeMS) * time.Millisecond,
		Down:         time.Duration(d.DownTimeMS) * time.Millisecond,
		Inconclusive: time.Duration(d.InconclusiveTimeMS) * time.Millisecond,
	}
}

// Merge adds o to d, for totals over several days.
func (d *ServiceDay) Merge(o *ServiceDay) {
	d.Checks += o.Checks
	d.Up += o.Up
	d.Degraded += o.Degraded
	d.Down += o.Down
	d.Inconclusive += o.Inconclusive
	d.UpTimeMS += o.UpTimeMS
	d.DegradedTimeMS += o.DegradedTimeMS
	d.DownTimeMS += o.DownTimeMS
	d.InconclusiveTimeMS += o.InconclusiveTimeMS
	if !o.First.IsZero() && (d.First.IsZero() || o.First.Before(d.First)) {
		d.First = o.First
	}
	if !o.Last.IsZero() && !o.Last.Before(d.Last) {
		d.Last, d.LastStatus = o.Last, o.LastStatus
	}
	d.MaxMS = max(d.MaxMS, o.MaxMS)
	d.Latency.Merge(o.Latency)
	d.finish()
}

// add counts one check at t and gives the previous check of the day its
// span: until t, at most limit. t is cut to the millisecond, as the raw
// files keep it, so a rollup rebuilt from them is the one added to. A
// check older than the day's last (a late result) is counted but adds no
// time: the span it falls in was already given to the check before it.
func (d *ServiceDay) add(t time.Time, st uptime.Status, ms int64, limit time.Duration) {
	t = t.UTC().Truncate(time.Millisecond)
	switch {
	case d.Last.IsZero():
		d.First, d.Last, d.LastStatus = t, t, st
	case !t.Before(d.Last):
		d.addTime(d.LastStatus, min(t.Sub(d.Last), limit))
		d.Last, d.LastStatus = t, st
	case t.Before(d.First):
		d.First = t
	}
	d.Checks++
	switch st {
	case uptime.Up, uptime.Degraded:
		if st == uptime.Up {
			d.Up++
		} else {
			d.Degraded++
		}
		d.Latency.Add(ms)
		d.MaxMS = max(d.MaxMS, ms)
	case uptime.Down:
		d.Down++
	case uptime.Inconclusive:
		d.Inconclusive++
	}
}

// addTime gives span to status st.
func (d *ServiceDay) addTime(st uptime.Status, span time.Duration) {
	ms := int64(span / time.Millisecond)
	switch st {
	case uptime.Up:
		d.UpTimeMS += ms
	case uptime.Degraded:
		d.DegradedTimeMS += ms
	case uptime.Down:
		d.DownTimeMS += ms
	case uptime.Inconclusive:
		d.InconclusiveTimeMS += ms
	}
}

// upgrade estimates the times of a rollup written without a version, as
// that version did: each check stood for one interval, the one its
// downtime_s was counted with (a minute if it has no down check; the
// uptime, a ratio of counts, is the same whatever the interval). The day
// keeps its version, so readers know the times are estimates.
func (d *Day) upgrade() {
	if d.Timed() {
		return
	}
	for _, sd := range d.Services {
		per := int64(60_000)
		if sd.Down > 0 && sd.legacyDowntimeSec > 0 {
			per = sd.legacyDowntimeSec * 1000 / int64(sd.Down)
		}
		sd.UpTimeMS, sd.DegradedTimeMS = int64(sd.Up)*per, int64(sd.Degraded)*per
		sd.InconclusiveTimeMS = int64(sd.Inconclusive) * per
		sd.DownTimeMS = sd.legacyDowntimeSec * 1000
		sd.legacyDowntimeSec = 0
	}
}

// finish derives the percentiles from the histogram, never above the exact max.
func (d *ServiceDay) finish() {
	d.P50MS = min(d.Latency.Quantile(0.50), d.MaxMS)
	d.P95MS = min(d.Latency.Quantile(0.95), d.MaxMS)
}

func (d *Day) service(name string) *ServiceDay {
	sd := d.Services[name]
	if sd == nil {
		sd = &ServiceDay{}
		d.Services[name] = sd
	}
	return sd
}

// AddToRollups adds one cycle's results to the rollups of their days and
// writes those days at once (FoldIntoRollups, then FlushRollups). It is not
// idempotent: after an error, do not add the same results again;
// RebuildRollups recomputes exact counts from the raw files. interval is
// the expected cadence (see SpanCap).
func (s *Store) AddToRollups(results []uptime.Result, interval time.Duration) error {
	if len(results) == 0 {
		return nil
	}
	if err := s.FoldIntoRollups(results, interval); err != nil {
		return err
	}
	return s.FlushRollups()
}

// RebuildRollups recomputes the rollup of every day that has a raw file.
// A day whose raw file was pruned keeps its rollup; unchanged rollups are
// not rewritten. Lines dated on another day than their file's are skipped.
// Each day is computed from its own file alone (the span carried over
// midnight is the reader's, see Times), so a rebuilt day is the day that
// was added to, whatever happened to its neighbours.
func (s *Store) RebuildRollups(interval time.Duration) (ScanStats, error) {
	days, err := s.Days()
	if err != nil {
		return ScanStats{}, fmt.Errorf("rebuild rollups: %w", err)
	}
	return s.rebuild(days, interval)
}

// RebuildStaleRollups rebuilds the rollups of the days that have a raw
// file but no rollup, or one in an older form than RollupVersion: after an
// upgrade, the days still in raw history get measured times instead of
// estimates. It reads only the first bytes of each rollup, so a runner
// can call it on every start. It returns the days rebuilt.
func (s *Store) RebuildStaleRollups(interval time.Duration) ([]time.Time, error) {
	days, err := s.Days()
	if err != nil {
		return nil, fmt.Errorf("rebuild rollups: %w", err)
	}
	var stale []time.Time
	for _, day := range days {
		if !s.rollupCurrent(day.Format(dateLayout)) {
			stale = append(stale, day)
		}
	}
	if len(stale) == 0 {
		return nil, nil
	}
	_, err = s.rebuild(stale, interval)
	return stale, err
}

// rollupCurrent reports whether date's rollup exists in RollupVersion's
// form, from its first bytes: encodeDay writes the version right after the
// date. Anything else (missing, older, hand-edited) is rebuilt, which is
// exact and harmless.
func (s *Store) rollupCurrent(date string) bool {
	f, err := os.Open(s.rollupFile(date))
	if err != nil {
		return false
	}
	defer f.Close()
	want := `{"date":"` + date + `","version":` + strconv.Itoa(RollupVersion) + `,`
	head := make([]byte, len(want))
	_, err = io.ReadFull(f, head)
	return err == nil && string(head) == want
}

// rebuild recomputes the rollups of days from their raw files.
func (s *Store) rebuild(days []time.Time, interval time.Duration) (ScanStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st ScanStats
	s.days, s.dirty = map[string]*Day{}, map[string]bool{}
	for _, day := range days {
		d, found, err := s.rollupFromRaw(day, interval, &st)
		if err != nil {
			return st, fmt.Errorf("rebuild rollups: %w", err)
		}
		if !found {
			continue // pruned meanwhile: keep the rollup there is
		}
		if err := s.writeRollup(d); err != nil {
			return st, fmt.Errorf("rebuild rollups: %w", err)
		}
	}
	return st, nil
}

// rollupFromRaw computes a day's rollup from its raw file; found is false
// when the file is gone. Lines in the form Append writes are decoded in
// place without allocating; only a new service name allocates.
func (s *Store) rollupFromRaw(day time.Time, interval time.Duration, st *ScanStats) (d *Day, found bool, err error) {
	date := day.Format(dateLayout)
	d = &Day{Date: date, Version: RollupVersion, Services: map[string]*ServiceDay{}}
	limit := SpanCap(interval)
	var raw rawResult
	files := st.Files
	err = readLines(s.checkFile(day), st, func(line []byte) (bool, error) {
		if parseFast(line, &raw) {
			status := statusOf(raw.status)
			if status == "" || len(raw.service) == 0 || string(raw.ts[:10]) != date {
				return false, nil
			}
			if len(raw.location) > 0 { // one location's check: the verdict beside it counts
				st.Located++
				return true, nil
			}
			sd := d.Services[string(raw.service)]
			if sd == nil {
				sd = d.service(string(raw.service))
			}
			sd.add(tsTime(raw.ts), status, raw.ms, limit)
			return true, nil
		}
		r, ok := decodeSlow(line)
		if !ok || r.Time.Format(dateLayout) != date {
			return false, nil
		}
		if r.Location != "" {
			st.Located++
			return true, nil
		}
		d.service(r.Service).add(r.Time, r.Status, r.MS, limit)
		return true, nil
	})
	return d, st.Files > files, err
}

// Rollups returns the rollups of the days that overlap [from, to),
// ascending. A rollup file that cannot be read is logged and left out, so
// one bad file does not take the status page down.
func (s *Store) Rollups(from, to time.Time) ([]Day, error) {
	days, err := listDays(filepath.Join(s.dir, RollupsDir), ".json")
	if err != nil {
		return nil, fmt.Errorf("read rollups: %w", err)
	}
	var out []Day
	for _, day := range days {
		if !day.Before(to) || !day.Add(24*time.Hour).After(from) {
			continue
		}
		d, err := s.loadRollup(day.Format(dateLayout))
		if err != nil {
			s.mu.Lock()
			s.log.Warn("history: skipping unreadable rollup", "err", err)
			s.mu.Unlock()
			continue
		}
		out = append(out, *d)
	}
	return out, nil
}

// loadRollup reads a day's rollup; a missing file is an empty day.
func (s *Store) loadRollup(date string) (*Day, error) {
	path := s.rollupFile(date)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return &Day{Date: date, Version: RollupVersion, Services: map[string]*ServiceDay{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	d, err := decodeDay(data, date, true)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w (RebuildRollups recomputes it from raw history)", path, err)
	}
	return d, nil
}

// writeRollup replaces a day's rollup file unless it already holds the same bytes.
func (s *Store) writeRollup(d *Day) error {
	for _, sd := range d.Services {
		sd.finish()
	}
	data, err := encodeDay(d)
	if err != nil {
		return err
	}
	path := s.rollupFile(d.Date)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := ensureDir(filepath.Dir(path)); err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}

// encodeDay writes a rollup with one service per line, in name order, so
// that a day's git diff shows which services changed. The version comes
// right after the date, where rollupCurrent looks for it.
func encodeDay(d *Day) ([]byte, error) {
	names := make([]string, 0, len(d.Services))
	for name := range d.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	b := []byte(`{"date":`)
	b = appendString(b, d.Date)
	if d.Version != 0 {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(d.Version), 10)
	}
	b = append(b, `,"services":{`...)
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n  "...)
		b = appendString(b, name)
		b = append(b, ':')
		b = appendServiceDay(b, d.Services[name])
	}
	if len(names) > 0 {
		b = append(b, '\n')
	}
	return append(b, "}}\n"...), nil
}

// appendServiceDay writes sd's keys in the order of its fields, which is
// the order decodeDayFast reads; first, last and last_status are left
// out when unset, as their json tags say.
func appendServiceDay(b []byte, sd *ServiceDay) []byte {
	for _, f := range [...]struct {
		key string
		v   int64
	}{
		{`{"checks":`, int64(sd.Checks)}, {`,"up":`, int64(sd.Up)}, {`,"degraded":`, int64(sd.Degraded)},
		{`,"down":`, int64(sd.Down)}, {`,"inconclusive":`, int64(sd.Inconclusive)},
		{`,"up_time_ms":`, sd.UpTimeMS}, {`,"degraded_time_ms":`, sd.DegradedTimeMS},
		{`,"down_time_ms":`, sd.DownTimeMS}, {`,"inconclusive_time_ms":`, sd.InconclusiveTimeMS},
		{`,"p50_ms":`, sd.P50MS}, {`,"p95_ms":`, sd.P95MS}, {`,"max_ms":`, sd.MaxMS},
	} {
		b = append(b, f.key...)
		b = strconv.AppendInt(b, f.v, 10)
	}
	if !sd.First.IsZero() {
		b = append(b, `,"first":"`...)
		b = append(appendTime(b, sd.First), '"')
	}
	if !sd.Last.IsZero() {
		b = append(b, `,"last":"`...)
		b = append(appendTime(b, sd.Last), '"')
	}
	if sd.LastStatus != "" {
		b = append(b, `,"last_status":`...)
		b = appendString(b, string(sd.LastStatus))
	}
	b = append(b, `,"latency":`...)
	h, _ := sd.Latency.MarshalJSON()
	b = append(b, h...)
	return append(b, '}')
}

// MarshalJSON writes d as its rollup file holds it, one service per line
// (encodeDay): the layout the rollup reader decodes fastest. Call it
// directly for a file; json.Marshal compacts it onto one line.
func (d Day) MarshalJSON() ([]byte, error) { return encodeDay(&d) }

// MarshalJSON writes sd as a rollup file holds it.
func (sd ServiceDay) MarshalJSON() ([]byte, error) { return appendServiceDay(nil, &sd), nil }

// UnmarshalJSON reads sd in any JSON form, and the downtime_s of a rollup
// written before versions, which upgrade turns into times.
func (sd *ServiceDay) UnmarshalJSON(b []byte) error {
	type fields ServiceDay // without these methods
	v := struct {
		*fields
		DowntimeSec int64 `json:"downtime_s"`
	}{fields: (*fields)(sd)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	sd.legacyDowntimeSec = v.DowntimeSec
	return nil
}
