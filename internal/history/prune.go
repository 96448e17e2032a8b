package history

import (
	"fmt"
	"time"
)

// Prune removes the raw check files of the days that ended at or before
// cutoff (a retention of 60 days is cutoff = now − 60 days) and returns
// those days. A day without a rollup gets one from its raw file first, so
// pruning never loses a day from the 90-day page. With dryRun it only
// reports. Rollups and incidents are left alone: PruneAll applies their
// own, longer retention.
func (s *Store) Prune(cutoff time.Time, interval time.Duration, dryRun bool) ([]time.Time, error) {
	var rep PruneReport
	days, err := s.pruneChecks(cutoff, time.Time{}, interval, dryRun, &rep)
	if err != nil {
		return days, fmt.Errorf("prune: %w", err)
	}
	return days, nil
}
