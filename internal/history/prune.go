package history

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/Sefaria/statusgen/internal/atomicfile"
)

// Prune removes the raw check files of the days that ended at or before
// cutoff (a retention of 60 days is cutoff = now − 60 days) and returns
// those days. A day without a rollup gets one from its raw file first, so
// pruning never loses a day from the 90-day page. With dryRun it only
// reports. Rollups and incidents are never pruned.
func (s *Store) Prune(cutoff time.Time, interval time.Duration, dryRun bool) ([]time.Time, error) {
	days, err := s.Days()
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	var old []time.Time
	for _, day := range days {
		if !day.Add(24 * time.Hour).After(cutoff) {
			old = append(old, day)
		}
	}
	if dryRun || len(old) == 0 {
		return old, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, day := range old {
		date := day.Format(dateLayout)
		if _, err := os.Stat(s.rollupFile(date)); os.IsNotExist(err) {
			var st ScanStats
			d, found, err := s.rollupFromRaw(day, interval, &st)
			if err == nil && found {
				err = s.writeRollup(d)
			}
			if err != nil {
				return old[:i], fmt.Errorf("prune: rollup of %s: %w", date, err)
			}
		}
		if err := os.Remove(s.checkFile(day)); err != nil && !os.IsNotExist(err) {
			return old[:i], fmt.Errorf("prune: %w", err)
		}
	}
	if err := atomicfile.SyncDir(filepath.Join(s.dir, ChecksDir)); err != nil {
		return old, fmt.Errorf("prune: %w", err)
	}
	return old, nil
}
