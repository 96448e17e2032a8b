package history

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Incidents reads incidents.jsonl: every ended outage, sorted by Since
// (ties in file order). A crash between writing an incident and saving the
// state can write one twice, so lines are deduplicated by ID, keeping the
// first. Torn and invalid lines are skipped and counted; a missing file
// means no incidents yet.
func (s *Store) Incidents() ([]uptime.Incident, ScanStats, error) {
	var (
		st   ScanStats
		out  []uptime.Incident
		seen = map[string]bool{}
	)
	path := filepath.Join(s.dir, IncidentsFile)
	err := readLines(path, &st, func(line []byte) (bool, error) {
		var in uptime.Incident
		if json.Unmarshal(line, &in) != nil || in.ID == "" || in.Service == "" || in.Since.IsZero() {
			return false, nil
		}
		if !seen[in.ID] {
			seen[in.ID] = true
			in.Since, in.Until = in.Since.UTC(), in.Until.UTC()
			out = append(out, in)
		}
		return true, nil
	})
	if err != nil {
		return nil, st, fmt.Errorf("read incidents: %w", err)
	}
	slices.SortStableFunc(out, func(a, b uptime.Incident) int { return a.Since.Compare(b.Since) })
	return out, st, nil
}
