package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// NoticesDir is where notices live inside the data folder.
const NoticesDir = "notices"

const (
	bucketCount = 48
	bucketWidth = 24 * time.Hour / bucketCount
)

// Load assembles a render's Input from the configuration, the data folder
// and the tracker state st, as of now. It reads the rollups of the retained
// days (incident_retention_days), incidents.jsonl, the notices, and raw
// checks of the last 24 hours only (one or two day files, summarised by
// half-hour as they are read), so its memory does not grow with the raw
// history kept. A notice that cannot be used is left out and listed in
// the Input's NoticeProblems, naming its file and line, for the caller to
// report: one bad file never stops the page.
func Load(cfg *config.Config, dataDir string, st *tracker.State, now time.Time) (Input, error) {
	return new(Loader).Load(cfg, dataDir, st, now)
}

// Loader is Load with a memory of what it read: a day whose rollup file
// has the same size and modification time as last time is not decoded
// again, and of today's raw checks only the lines appended since the last
// call are read, so a runner that renders after every cycle reads little
// more than the cycle wrote. It keeps those checks as counts and latency
// histograms per service and half-hour of the last 24 hours, a few
// kilobytes a service however many checks there are. Its methods are safe for concurrent use; the
// zero value is ready.
type Loader struct {
	mu     sync.Mutex
	dir    string
	cache  map[string]cachedDay // by date
	recent recentChecks
	// locations: what each [[location]] last saw, read as recent is
	locations locationMemo
}

type cachedDay struct {
	size int64
	mod  time.Time
	day  history.Day
}

// Load is the package's Load, reusing the rollups of unchanged days.
func (l *Loader) Load(cfg *config.Config, dataDir string, st *tracker.State, now time.Time) (Input, error) {
	now = now.UTC()
	if st == nil {
		st = tracker.New()
	}
	in := Input{
		Title:     cfg.Settings.Title,
		URL:       cfg.Settings.StatusPageURL,
		Refresh:   int(cfg.Settings.Refresh / time.Second),
		Interval:  cfg.Settings.Interval,
		Generated: now,
		HomeURL:   cfg.Site.HomeURL,
		Logo:      cfg.Site.Logo,
		Languages: cfg.Site.Languages,
	}
	store := history.New(dataDir)

	keep := cfg.Settings.IncidentRetentionDays
	if keep <= 0 {
		keep = 365
	}
	today := now.Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -(keep - 1))
	days, err := l.rollups(store, dataDir, from, today.Add(24*time.Hour))
	if err != nil {
		return Input{}, fmt.Errorf("site: %w", err)
	}
	in.Days = days

	// A service with public = false is left off the site altogether: its
	// page, badges, row, incidents and its name in notices.
	configured := make(map[string]bool, len(cfg.Services))
	private := map[string]bool{}
	for _, svc := range cfg.Services {
		if svc.Private {
			private[svc.Name] = true
			continue
		}
		configured[svc.Name] = true
	}
	incidents, _, err := store.Incidents()
	if err != nil {
		return Input{}, fmt.Errorf("site: %w", err)
	}
	lastEnd := map[string]time.Time{}
	for _, inc := range incidents {
		if !configured[inc.Service] || inc.Until.Before(from) {
			continue
		}
		in.Incidents = append(in.Incidents, inc)
		if inc.Until.After(lastEnd[inc.Service]) {
			lastEnd[inc.Service] = inc.Until
		}
	}

	names := make([]string, len(cfg.Services))
	for i, svc := range cfg.Services {
		names[i] = svc.Name
	}
	in.Notices, in.NoticeProblems = notice.LoadDir(filepath.Join(dataDir, NoticesDir), names)
	in.Notices = withoutPrivate(in.Notices, private)

	l.mu.Lock()
	recent, err := l.recent.load(store, dataDir, configured, now, history.SpanCap(cfg.Settings.Interval))
	l.mu.Unlock()
	if err != nil {
		return Input{}, fmt.Errorf("site: %w", err)
	}

	for _, svc := range cfg.Services {
		if svc.Private {
			continue
		}
		s := Service{Name: svc.Name, Group: svc.Group, Names: svc.Names, Recent: recent[svc.Name]}
		if ss := st.Services[svc.Name]; ss != nil {
			s.Status, s.Confirmed, s.Failures = ss.Status, ss.Announced, ss.Failures
			s.LastCheck, s.LastCode, s.LastMS, s.LastError = ss.LastCheck, ss.LastCode, ss.LastMS, ss.LastError
			s.LastSuccess = ss.LastSuccess
			switch {
			case ss.Status == uptime.Down && ss.Announced:
				s.Since = ss.Since
			case ss.Status.IsUp(), ss.Status == uptime.Down:
				// Up, or failing below the threshold, which the page does
				// not count: up since the last outage ended, if one is on
				// record.
				s.Since = lastEnd[svc.Name]
			}
			if ss.Announced {
				in.Incidents = append(in.Incidents, uptime.Incident{
					ID: ss.IncidentID, Service: svc.Name, Since: ss.Since, Error: ss.DownError,
				})
			}
		}
		in.Services = append(in.Services, s)
	}
	l.mu.Lock()
	err = l.locations.load(store, dataDir, cfg, in.Services, now)
	l.mu.Unlock()
	if err != nil {
		return Input{}, fmt.Errorf("site: %w", err)
	}
	return in, nil
}

// withoutPrivate drops the private services' names from notices, and the
// notices that named only private services.
func withoutPrivate(notices []notice.Notice, private map[string]bool) []notice.Notice {
	if len(private) == 0 {
		return notices
	}
	out := notices[:0:0]
	for _, n := range notices {
		if len(n.Services) > 0 {
			kept := slices.DeleteFunc(slices.Clone(n.Services), func(name string) bool { return private[name] })
			if len(kept) == 0 {
				continue
			}
			n.Services = kept
		}
		out = append(out, n)
	}
	return out
}

// checkPath is where history keeps date's raw checks.
func checkPath(dataDir, date string) string {
	return filepath.Join(dataDir, history.ChecksDir, date+".jsonl")
}

// rollups returns the days in [from, to) as store.Rollups does, without
// their latency histograms (the site shows each day's stored percentiles
// and never merges days), decoding only the files that changed since the
// last call, several at once. An unreadable file is left out, as Rollups
// does.
func (l *Loader) rollups(store *history.Store, dataDir string, from, to time.Time) ([]history.Day, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dir != dataDir || l.cache == nil {
		l.dir, l.cache, l.recent = dataDir, map[string]cachedDay{}, recentChecks{}
	}
	entries, err := os.ReadDir(filepath.Join(dataDir, history.RollupsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read rollups: %w", err)
	}
	type stale struct {
		start time.Time
		c     cachedDay
		ok    bool
	}
	var dates []string
	var todo []*stale
	seen := map[string]bool{}
	for _, e := range entries {
		date, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		start, err := time.Parse(time.DateOnly, date)
		if err != nil || start.Format(time.DateOnly) != date || start.Before(from) || !start.Before(to) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // pruned meanwhile
		}
		seen[date] = true
		dates = append(dates, date)
		if c, ok := l.cache[date]; ok && c.size == info.Size() && c.mod.Equal(info.ModTime()) {
			continue
		}
		delete(l.cache, date)
		todo = append(todo, &stale{start: start, c: cachedDay{size: info.Size(), mod: info.ModTime()}})
	}
	var wg sync.WaitGroup
	next := make(chan *stale)
	for range min(len(todo), runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for s := range next {
				var err error
				s.c.day, err = store.RollupSummary(s.start)
				s.ok = err == nil // unreadable or just pruned: left out
			}
		})
	}
	for _, s := range todo {
		next <- s
	}
	close(next)
	wg.Wait()
	for _, s := range todo {
		if s.ok {
			l.cache[s.c.day.Date] = s.c
		}
	}
	for date := range l.cache {
		if !seen[date] {
			delete(l.cache, date)
		}
	}
	slices.Sort(dates)
	days := make([]history.Day, 0, len(dates))
	for _, date := range dates {
		if c, ok := l.cache[date]; ok {
			days = append(days, c.day)
		}
	}
	return days, nil
}
