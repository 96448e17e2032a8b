package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/Sefaria/statusgen/internal/atomicfile"
)

// Retention is how many whole UTC days before today each kind of history
// is kept.
type Retention struct {
	Checks    int // raw check files: retention_days
	Incidents int // rollups and incidents.jsonl lines: incident_retention_days
}

// PrunedFile is one file a prune removed, or would remove in a dry run.
type PrunedFile struct {
	Path  string // relative to the data folder, slash-separated, e.g. "checks/2026-01-02.jsonl"
	Bytes int64
}

// PruneReport says what a prune removed, or would remove in a dry run.
type PruneReport struct {
	Files         []PrunedFile // check files, then rollups, oldest first
	IncidentLines int          // lines dropped from incidents.jsonl
	IncidentBytes int64        // their size, newlines included
	// Left names the entries of checks/ and rollups/ that are not a dated
	// file ("checks/notes.txt"); a prune never removes them.
	Left []string
}

// Bytes is the total size of what went.
func (r PruneReport) Bytes() int64 {
	n := r.IncidentBytes
	for _, f := range r.Files {
		n += f.Bytes
	}
	return n
}

// PruneAll applies keep as of now: raw check files of days that ended more
// than keep.Checks days before today go (their rollup built first if
// missing or in an older form), and so do rollups and incidents.jsonl lines (by the end of the
// outage) older than keep.Incidents days. Today's files never go, whatever
// keep says, and neither does anything whose name is not a date. With
// dryRun nothing changes and the report says what would have gone.
func (s *Store) PruneAll(now time.Time, keep Retention, interval time.Duration, dryRun bool) (PruneReport, error) {
	var rep PruneReport
	today := dayOf(now)
	checksCutoff := today.AddDate(0, 0, -max(keep.Checks, 0))
	longCutoff := today.AddDate(0, 0, -max(keep.Incidents, 0))
	if err := s.pruneChecks(checksCutoff, longCutoff, interval, dryRun, &rep); err != nil {
		return rep, fmt.Errorf("prune: %w", err)
	}
	if err := s.pruneRollups(longCutoff, dryRun, &rep); err != nil {
		return rep, fmt.Errorf("prune: %w", err)
	}
	if err := s.pruneIncidents(longCutoff, dryRun, &rep); err != nil {
		return rep, fmt.Errorf("prune: %w", err)
	}
	return rep, nil
}

// pruneChecks removes the check files of days that ended at or before
// cutoff. A missing rollup, or one in an older form, is built first unless
// its day is itself older than rollupCutoff, which would prune it at once.
func (s *Store) pruneChecks(cutoff, rollupCutoff time.Time, interval time.Duration, dryRun bool, rep *PruneReport) error {
	old, err := s.oldFiles(ChecksDir, ".jsonl", cutoff, rep)
	if err != nil || len(old) == 0 {
		return err
	}
	if dryRun {
		for _, f := range old {
			rep.Files = append(rep.Files, f.PrunedFile)
		}
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range old {
		date := f.day.Format(dateLayout)
		if f.day.Add(24 * time.Hour).After(rollupCutoff) {
			if !s.rollupCurrent(date) { // missing, or estimated by an older version: last chance to measure it
				var st ScanStats
				d, found, err := s.rollupFromRaw(f.day, interval, &st)
				if err == nil && found {
					err = s.writeRollup(d)
				}
				if err != nil {
					return fmt.Errorf("rollup of %s: %w", date, err)
				}
			}
		}
		if err := os.Remove(s.checkFile(f.day)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		delete(s.checked, s.checkFile(f.day))
		rep.Files = append(rep.Files, f.PrunedFile)
	}
	return atomicfile.SyncDir(filepath.Join(s.dir, ChecksDir))
}

// pruneRollups removes the rollups of days that ended at or before cutoff.
func (s *Store) pruneRollups(cutoff time.Time, dryRun bool, rep *PruneReport) error {
	old, err := s.oldFiles(RollupsDir, ".json", cutoff, rep)
	if err != nil || len(old) == 0 {
		return err
	}
	if dryRun {
		for _, f := range old {
			rep.Files = append(rep.Files, f.PrunedFile)
		}
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range old {
		date := f.day.Format(dateLayout)
		if err := os.Remove(s.rollupFile(date)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		delete(s.days, date)
		delete(s.dirty, date)
		rep.Files = append(rep.Files, f.PrunedFile)
	}
	return atomicfile.SyncDir(filepath.Join(s.dir, RollupsDir))
}

type datedFile struct {
	PrunedFile
	day time.Time
}

// oldFiles lists the files of sub named YYYY-MM-DD<ext> whose day ended at
// or before cutoff, oldest first, and adds every other name to rep.Left.
func (s *Store) oldFiles(sub, ext string, cutoff time.Time, rep *PruneReport) ([]datedFile, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, sub))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var old []datedFile
	for _, e := range entries { // ReadDir sorts by name, so by date
		day, ok := parseDayName(e.Name(), ext)
		if !ok || !e.Type().IsRegular() {
			rep.Left = append(rep.Left, sub+"/"+e.Name())
			continue
		}
		if day.Add(24 * time.Hour).After(cutoff) {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		old = append(old, datedFile{PrunedFile{sub + "/" + e.Name(), info.Size()}, day})
	}
	return old, nil
}

// pruneIncidents drops the incidents.jsonl lines of outages that ended
// before cutoff, rewriting the file atomically. Lines it cannot read are
// kept as they are: a prune only removes what it understands.
func (s *Store) pruneIncidents(cutoff time.Time, dryRun bool, rep *PruneReport) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := filepath.Join(s.dir, IncidentsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	kept := make([]byte, 0, len(data))
	lines, dropped := 0, int64(0)
	for rest := data; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		var in struct {
			Until time.Time `json:"until"`
		}
		if line[len(line)-1] == '\n' && json.Unmarshal(line, &in) == nil && !in.Until.IsZero() && in.Until.Before(cutoff) {
			lines++
			dropped += int64(len(line))
			continue
		}
		kept = append(kept, line...)
	}
	rep.IncidentLines, rep.IncidentBytes = lines, dropped
	if dryRun || lines == 0 {
		return nil
	}
	if err := atomicfile.Write(path, kept, 0o644); err != nil {
		return err
	}
	delete(s.checked, path) // a kept torn tail is cut by the next append
	return nil
}
