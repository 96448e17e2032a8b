package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/Sefaria/statusgen/internal/atomicfile"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// Day is the rollup of one UTC day: rollups/YYYY-MM-DD.json.
type Day struct {
	Date     string                 `json:"date"`     // YYYY-MM-DD
	Services map[string]*ServiceDay `json:"services"` // by service name
}

// ServiceDay sums one service's checks over one day.
type ServiceDay struct {
	Checks       int `json:"checks"`
	Up           int `json:"up"`
	Degraded     int `json:"degraded"`
	Down         int `json:"down"`
	Inconclusive int `json:"inconclusive"`
	// DowntimeSec estimates downtime as down checks × the check interval
	// (the interval in force when the checks were rolled up).
	DowntimeSec int64 `json:"downtime_s"`
	// P50MS, P95MS and MaxMS describe the latency of up and degraded checks
	// only: a down check's latency is mostly its timeout. The percentiles come
	// from Latency (within 1%); the max is exact.
	P50MS   int64     `json:"p50_ms"`
	P95MS   int64     `json:"p95_ms"`
	MaxMS   int64     `json:"max_ms"`
	Latency Histogram `json:"latency"`
}

// Start is the UTC midnight that begins the day.
func (d Day) Start() time.Time {
	t, _ := time.Parse(dateLayout, d.Date)
	return t
}

// Uptime is (Up+Degraded) / (Checks−Inconclusive): inconclusive checks say
// nothing about the service. ok is false when no check was conclusive, a
// day to show as "no data" rather than as 0% or 100%.
func (d *ServiceDay) Uptime() (ratio float64, ok bool) {
	n := d.Checks - d.Inconclusive
	if n <= 0 {
		return 0, false
	}
	return float64(d.Up+d.Degraded) / float64(n), true
}

// Merge adds o to d, for totals over several days.
func (d *ServiceDay) Merge(o *ServiceDay) {
	d.Checks += o.Checks
	d.Up += o.Up
	d.Degraded += o.Degraded
	d.Down += o.Down
	d.Inconclusive += o.Inconclusive
	d.DowntimeSec += o.DowntimeSec
	d.MaxMS = max(d.MaxMS, o.MaxMS)
	d.Latency.Merge(o.Latency)
	d.finish()
}

func (d *ServiceDay) add(st uptime.Status, ms int64, downtimeSec int64) {
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
		d.DowntimeSec += downtimeSec
	case uptime.Inconclusive:
		d.Inconclusive++
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
// RebuildRollups recomputes exact counts from the raw files.
func (s *Store) AddToRollups(results []uptime.Result, interval time.Duration) error {
	if len(results) == 0 {
		return nil
	}
	if err := s.FoldIntoRollups(results, interval); err != nil {
		return err
	}
	return s.FlushRollups()
}

func downtimeSec(interval time.Duration) int64 {
	return int64(interval.Round(time.Second) / time.Second)
}

// RebuildRollups recomputes the rollup of every day that has a raw file.
// A day whose raw file was pruned keeps its rollup; unchanged rollups are
// not rewritten. Lines dated on another day than their file's are skipped.
func (s *Store) RebuildRollups(interval time.Duration) (ScanStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st ScanStats
	days, err := s.Days()
	if err != nil {
		return st, fmt.Errorf("rebuild rollups: %w", err)
	}
	s.days = map[string]*Day{}
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
	d = &Day{Date: date, Services: map[string]*ServiceDay{}}
	down := downtimeSec(interval)
	var raw rawResult
	files := st.Files
	err = readLines(s.checkFile(day), st, func(line []byte) (bool, error) {
		if parseFast(line, &raw) {
			status := statusOf(raw.status)
			if status == "" || len(raw.service) == 0 || string(raw.ts[:10]) != date {
				return false, nil
			}
			sd := d.Services[string(raw.service)]
			if sd == nil {
				sd = d.service(string(raw.service))
			}
			sd.add(status, raw.ms, down)
			return true, nil
		}
		r, ok := decodeSlow(line)
		if !ok || r.Time.Format(dateLayout) != date {
			return false, nil
		}
		d.service(r.Service).add(r.Status, r.MS, down)
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
		return &Day{Date: date, Services: map[string]*ServiceDay{}}, nil
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
// that a day's git diff shows which services changed.
func encodeDay(d *Day) ([]byte, error) {
	names := make([]string, 0, len(d.Services))
	for name := range d.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	b := []byte(`{"date":`)
	b = appendString(b, d.Date)
	b = append(b, `,"services":{`...)
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n  "...)
		b = appendString(b, name)
		b = append(b, ':')
		sd, err := json.Marshal(d.Services[name])
		if err != nil {
			return nil, fmt.Errorf("encode rollup %s: %w", d.Date, err)
		}
		b = append(b, sd...)
	}
	if len(names) > 0 {
		b = append(b, '\n')
	}
	return append(b, "}}\n"...), nil
}
