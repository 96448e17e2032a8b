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
// is unchanged is not decoded again, and of today's raw checks only the
// lines appended since the last call are read, so a runner that renders
// after every cycle reads little more than the cycle wrote. It keeps the
// days packed in history.Ledgers, about 25 bytes a service a day, where
// decoded they took ten times that: 10,000 services with a year of
// history fit in under 100 MB. Today and yesterday, which a runner still
// rewrites, have a ledger each, the older days one together. It keeps today's checks as
// counts and latency histograms per service and half-hour of the last 24
// hours, a few kilobytes a service however many checks there are. Its
// methods are safe for concurrent use; the zero value is ready.
type Loader struct {
	mu   sync.Mutex
	dir  string
	past *history.Ledger
	// pastFiles are the files of the days packed in past, those that
	// could not be read too, so that one bad file is not read again.
	pastFiles map[string]fileStamp // by date
	open      map[string]cachedDay // the newest days, by date
	recent    recentChecks
	// locations: what each [[location]] last saw, read as recent is
	locations locationMemo
}

type cachedDay struct {
	stamp  fileStamp
	ledger *history.Ledger // the day's alone
}

// openDays is how many of the newest days a Loader keeps apart: today,
// and yesterday, whose rollup a cycle across midnight still writes.
const openDays = 2

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
	var err error
	in.Past, err = l.rollups(store, dataDir, from, today.Add(24*time.Hour))
	if err != nil {
		return Input{}, fmt.Errorf("site: %w", err)
	}

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

// rollups returns the days in [from, to) as store.Rollups does, packed:
// the older ones in one Ledger, then each of the last openDays in its own,
// without their latency histograms (the site shows each day's stored
// percentiles and never merges days). It decodes only the files that
// changed since the last call, several at once. The older days' Ledger is
// built again only when one of their files changed; as days pass, it
// keeps what it holds, drops the days that left [from, to) and takes in
// the days that left the open ones. An unreadable file is left out, as
// Rollups does.
func (l *Loader) rollups(store *history.Store, dataDir string, from, to time.Time) ([]*history.Ledger, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dir != dataDir {
		l.dir, l.past, l.pastFiles, l.open, l.recent = dataDir, nil, nil, nil, recentChecks{}
	}
	entries, err := os.ReadDir(filepath.Join(dataDir, history.RollupsDir))
	if errors.Is(err, fs.ErrNotExist) {
		l.past, l.pastFiles, l.open = nil, nil, nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read rollups: %w", err)
	}
	openFrom := to.AddDate(0, 0, -openDays)
	var pastDates, openDates []string // ascending, as ReadDir sorts by name
	files := map[string]fileStamp{}
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
		files[date] = stampOfRollup(info)
		if start.Before(openFrom) {
			pastDates = append(pastDates, date)
		} else {
			openDates = append(openDates, date)
		}
	}

	if !l.pastCurrent(pastDates, files) {
		l.pack(store, pastDates, files)
	}

	open := make(map[string]cachedDay, len(openDates))
	var todo []string
	for _, date := range openDates {
		if c, ok := l.open[date]; ok && c.stamp == files[date] {
			open[date] = c
			continue
		}
		todo = append(todo, date)
	}
	decodeDays(store, todo, func(date string, d history.Day, ok bool) {
		if ok {
			var b history.LedgerBuilder
			b.Add(d)
			open[date] = cachedDay{stamp: files[date], ledger: b.Ledger()}
		}
	})
	l.open = open
	ledgers := []*history.Ledger{l.past}
	for _, date := range openDates {
		if c, ok := open[date]; ok {
			ledgers = append(ledgers, c.ledger)
		}
	}
	return ledgers, nil
}

// stampOfRollup is how a rollup file is known to be unchanged: its
// identity where the system gives one, its size and time everywhere.
func stampOfRollup(info os.FileInfo) fileStamp {
	if st := stampOf(info); st.ok {
		return st
	}
	return fileStamp{size: info.Size(), mtime: info.ModTime().UnixNano(), ok: true}
}

// pastCurrent reports whether the packed days are dates, unchanged.
func (l *Loader) pastCurrent(dates []string, files map[string]fileStamp) bool {
	if len(dates) != len(l.pastFiles) {
		return false
	}
	for _, date := range dates {
		if st, ok := l.pastFiles[date]; !ok || st != files[date] {
			return false
		}
	}
	return true
}

// pack makes l.past hold dates (ascending). When the days already packed
// are unchanged, those before dates are dropped and only the new days
// after them are read; otherwise every day is read again, a few at a
// time, so that no more than those are ever decoded at once.
func (l *Loader) pack(store *history.Store, dates []string, files map[string]fileStamp) {
	var b history.LedgerBuilder
	read := dates
	if l.pastFiles != nil && len(dates) > 0 {
		if kept, ok := l.keepable(dates, files); ok {
			start, _ := time.Parse(time.DateOnly, dates[0])
			b.Keep(l.past, start)
			read = dates[kept:]
		}
	}
	var todo []string
	for _, date := range read {
		if c, ok := l.open[date]; ok && c.stamp == files[date] {
			decodeDays(store, todo, func(_ string, d history.Day, ok bool) {
				if ok {
					b.Add(d)
				}
			})
			todo = todo[:0]
			b.Keep(c.ledger, time.Time{}) // yesterday's, read while it was open
			continue
		}
		todo = append(todo, date)
	}
	decodeDays(store, todo, func(_ string, d history.Day, ok bool) {
		if ok {
			b.Add(d)
		}
	})
	l.past = b.Ledger()
	l.pastFiles = make(map[string]fileStamp, len(dates))
	for _, date := range dates {
		l.pastFiles[date] = files[date]
	}
}

// keepable reports how many of dates (ascending) l.past already holds
// unchanged, when it holds nothing else but days before them: days only
// passed, nothing packed was rewritten, pruned in the middle or added
// before the newest packed one.
func (l *Loader) keepable(dates []string, files map[string]fileStamp) (int, bool) {
	kept := 0
	for _, date := range dates {
		st, ok := l.pastFiles[date]
		if !ok {
			break
		}
		if st != files[date] {
			return 0, false
		}
		kept++
	}
	for date := range l.pastFiles {
		if date >= dates[0] && !slices.Contains(dates[:kept], date) {
			return 0, false // gone from the middle or the end, or a hole filled
		}
	}
	for _, date := range dates[kept:] {
		if _, ok := l.pastFiles[date]; ok {
			return 0, false
		}
	}
	return kept, true
}

// decodeDays reads the summaries of dates' rollups on every core, a few
// at a time, and gives them to fn in dates' order; ok is false for a file
// that could not be read (or was just pruned), which is left out.
func decodeDays(store *history.Store, dates []string, fn func(date string, d history.Day, ok bool)) {
	type result struct {
		day history.Day
		ok  bool
	}
	step := runtime.GOMAXPROCS(0)
	for len(dates) > 0 {
		batch := dates[:min(step, len(dates))]
		dates = dates[len(batch):]
		results := make([]result, len(batch))
		var wg sync.WaitGroup
		for i, date := range batch {
			wg.Go(func() {
				start, _ := time.Parse(time.DateOnly, date)
				d, err := store.RollupSummary(start)
				results[i] = result{d, err == nil}
			})
		}
		wg.Wait()
		for i, date := range batch {
			fn(date, results[i].day, results[i].ok)
		}
	}
}
