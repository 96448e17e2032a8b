// Package history keeps statusgen's record as plain files under the data
// folder: one JSON line per check in checks/YYYY-MM-DD.jsonl (UTC days),
// ended outages in incidents.jsonl, and one rollup per day in rollups/ that
// the site reads instead of rescanning raw history.
package history

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Names of the files and folders inside the data folder.
const (
	ChecksDir     = "checks"
	RollupsDir    = "rollups"
	IncidentsFile = "incidents.jsonl"
)

const dateLayout = "2006-01-02"

// Store reads and writes the history files under a data folder. Its methods
// are safe for concurrent use, but only one process should write a data
// folder at a time (the runner's lock sees to that).
type Store struct {
	dir string

	mu      sync.Mutex
	log     *slog.Logger
	checked map[string]bool // files whose tail was verified before this Store appended to them
	days    map[string]*Day // rollups in memory: the newest day written, and days folded since
	dirty   map[string]bool // days folded into but not yet written

	spare     [][]byte        // write buffers for the next append (see takeBuffer)
	deferSync bool            // Append leaves syncing to Sync (see DeferSync)
	unsynced  map[string]bool // files and folders to sync at the next Sync
}

// New returns a Store for dataDir. Nothing is read or created until used.
func New(dataDir string) *Store {
	return &Store{
		dir:     dataDir,
		log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		checked: map[string]bool{},
		days:    map[string]*Day{},
		dirty:   map[string]bool{},

		unsynced: map[string]bool{},
	}
}

// DeferSync makes Append and AppendIncidents leave the files they wrote
// unsynced until the next Sync. A runner appends a few times a second but
// saves its state once a cycle (and with each alert); what must be on disk
// before the state is only the history that state counts, and an fsync
// per append was 2% of a 10,000-service runner's CPU. A crash of the
// process loses nothing either way; a crash of the machine may lose the
// lines appended since the last Sync, never lines the saved state counts.
func (s *Store) DeferSync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deferSync = true
}

// Sync makes every append since the last Sync durable: the files written
// and the folders of new ones. A file pruned meanwhile needs nothing.
func (s *Store) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, path := range slices.Sorted(maps.Keys(s.unsynced)) {
		if err := syncPathFunc(path); err != nil {
			return fmt.Errorf("sync history: %w", err)
		}
		delete(s.unsynced, path)
	}
	return nil
}

// syncPathFunc is syncPath, replaced in tests to see what is synced.
var syncPathFunc = syncPath

// syncPath syncs a file or a folder by name.
func syncPath(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// SetLogger sets where repairs of torn lines are reported (discarded by default).
func (s *Store) SetLogger(l *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l != nil {
		s.log = l
	}
}

// Days lists the dates (UTC midnight) that have a raw check file, ascending.
func (s *Store) Days() ([]time.Time, error) {
	return listDays(filepath.Join(s.dir, ChecksDir), ".jsonl")
}

// listDays returns the days named YYYY-MM-DD<ext> in dir, ascending. A
// missing dir has no days; other names are ignored.
func listDays(dir, ext string) ([]time.Time, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var days []time.Time
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if d, ok := parseDayName(e.Name(), ext); ok {
			days = append(days, d)
		}
	}
	slices.SortFunc(days, time.Time.Compare)
	return days, nil
}

// parseDayName reads "2026-11-24.jsonl" as 2026-11-24T00:00:00Z. The name
// must be exactly the canonical form, so "2026-1-2.jsonl" or
// "2026-11-24.jsonl.bak" are not history.
func parseDayName(name, ext string) (time.Time, bool) {
	date, ok := strings.CutSuffix(name, ext)
	if !ok || len(date) != len(dateLayout) {
		return time.Time{}, false
	}
	d, err := time.Parse(dateLayout, date)
	if err != nil || d.Format(dateLayout) != date {
		return time.Time{}, false
	}
	return d, true
}

// dayOf is the UTC midnight starting t's day.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (s *Store) checkFile(day time.Time) string {
	return filepath.Join(s.dir, ChecksDir, day.Format(dateLayout)+".jsonl")
}

func (s *Store) rollupFile(date string) string {
	return filepath.Join(s.dir, RollupsDir, date+".json")
}
