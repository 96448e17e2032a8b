package history

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// FoldIntoRollups adds results to the in-memory rollups of their days;
// FlushRollups writes them. A runner that records a batch every fraction
// of a second folds each batch and writes the day files once per cycle:
// encoding and replacing a 10,000-service day four times a second would
// cost more than the checks. Not idempotent: fold each appended result once.
// Fold each service's results in time order, as they were appended: a
// check's span runs until the next one folded (see ServiceDay.add), at
// most SpanCap(interval).
func (s *Store) FoldIntoRollups(results []uptime.Result, interval time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	limit := SpanCap(interval)
	for i := range results {
		r := &results[i]
		if validResult(r) != nil {
			continue // Append refused it too; it is not history
		}
		date := r.Time.UTC().Format(dateLayout)
		day := s.days[date]
		if day == nil {
			var err error
			if day, err = s.loadRollup(date); err != nil {
				return fmt.Errorf("add to rollups: %w", err)
			}
			// An older file's estimated times are written with the measured
			// ones from now on (RebuildStaleRollups would have measured them
			// all, had its raw file been there).
			day.Version = RollupVersion
			s.days[date] = day
		}
		day.service(r.Service).add(r.Time, r.Status, r.MS, limit)
		s.dirty[date] = true
	}
	return nil
}

// FlushRollups writes the days folded since the last flush, oldest first,
// and then keeps only the newest day in memory (an older day is read
// again if a late result arrives for it). After a failed write the memory
// is dropped, so the next fold starts again from what the disk holds.
func (s *Store) FlushRollups() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dates := slices.Sorted(maps.Keys(s.dirty))
	for _, date := range dates {
		if err := s.writeRollup(s.days[date]); err != nil {
			s.days, s.dirty = map[string]*Day{}, map[string]bool{}
			return fmt.Errorf("add to rollups: %w", err)
		}
	}
	clear(s.dirty)
	if len(s.days) > 1 {
		newest := slices.Max(slices.Collect(maps.Keys(s.days)))
		for date := range s.days {
			if date != newest {
				delete(s.days, date)
			}
		}
	}
	return nil
}
