package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
// checks of the last 24 hours only (one or two day files), so its memory
// does not grow with the raw history kept. A notice that does not parse is
// an error naming its file and line.
func Load(cfg *config.Config, dataDir string, st *tracker.State, now time.Time) (Input, error) {
	return new(Loader).Load(cfg, dataDir, st, now)
}

// Loader is Load with a memory of the rollups it read: a day whose file has
// the same size and modification time as last time is not decoded again,
// so a runner that renders after every cycle re-reads only today's rollup.
// Its methods are safe for concurrent use; the zero value is ready.
type Loader struct {
	mu    sync.Mutex
	dir   string
	cache map[string]cachedDay // by date
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

	configured := make(map[string]bool, len(cfg.Services))
	for _, svc := range cfg.Services {
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

	if in.Notices, err = notice.LoadDir(filepath.Join(dataDir, NoticesDir)); err != nil {
		return Input{}, fmt.Errorf("site: %w", err)
	}

	recent, err := loadRecent(store, configured, now)
	if err != nil {
		return Input{}, fmt.Errorf("site: %w", err)
	}

	for _, svc := range cfg.Services {
		s := Service{Name: svc.Name, Recent: recent[svc.Name].summary()}
		if ss := st.Services[svc.Name]; ss != nil {
			s.Status, s.Confirmed = ss.Status, ss.Announced
			s.LastCheck, s.LastCode, s.LastMS, s.LastError = ss.LastCheck, ss.LastCode, ss.LastMS, ss.LastError
			switch {
			case ss.Status == uptime.Down:
				s.Since = ss.Since
			case ss.Status.IsUp():
				s.Since = lastEnd[svc.Name] // up since the last outage ended, if one is on record
			}
			if ss.Announced {
				in.Incidents = append(in.Incidents, uptime.Incident{
					ID: ss.IncidentID, Service: svc.Name, Since: ss.Since, Error: ss.DownError,
				})
			}
		}
		in.Services = append(in.Services, s)
	}
	return in, nil
}

// recentAcc gathers one service's last 24 hours.
type recentAcc struct {
	checks, up, inconclusive int
	all                      history.Histogram
	buckets                  [bucketCount]history.Histogram
}

// loadRecent streams the raw checks of (now−24h, now] into per-service
// histograms: memory is per service and bucket, not per check.
func loadRecent(store *history.Store, services map[string]bool, now time.Time) (map[string]*recentAcc, error) {
	out := map[string]*recentAcc{}
	from := now.Add(-24 * time.Hour)
	_, err := store.Scan(from.Add(time.Nanosecond), now.Add(time.Nanosecond), func(r uptime.Result) error {
		if !services[r.Service] {
			return nil
		}
		acc := out[r.Service]
		if acc == nil {
			acc = &recentAcc{}
			out[r.Service] = acc
		}
		acc.checks++
		switch {
		case r.Status.IsUp():
			acc.up++
			acc.all.Add(r.MS)
			i := min(int(r.Time.Sub(from)/bucketWidth), bucketCount-1)
			acc.buckets[i].Add(r.MS)
		case r.Status == uptime.Inconclusive:
			acc.inconclusive++
		}
		return nil
	})
	return out, err
}

func (acc *recentAcc) summary() Recent {
	if acc == nil {
		return Recent{}
	}
	r := Recent{
		Checks: acc.checks, Up: acc.up, Inconclusive: acc.inconclusive,
		P50MS: acc.all.Quantile(0.50), P95MS: acc.all.Quantile(0.95),
		Buckets: make([]int64, bucketCount),
	}
	for i := range acc.buckets {
		r.Buckets[i] = -1
		if acc.buckets[i].Count() > 0 {
			r.Buckets[i] = acc.buckets[i].Quantile(0.50)
		}
	}
	return r
}

// rollups returns the days in [from, to) as store.Rollups does, decoding
// only the files that changed since the last call.
func (l *Loader) rollups(store *history.Store, dataDir string, from, to time.Time) ([]history.Day, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dir != dataDir || l.cache == nil {
		l.dir, l.cache = dataDir, map[string]cachedDay{}
	}
	entries, err := os.ReadDir(filepath.Join(dataDir, history.RollupsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read rollups: %w", err)
	}
	var days []history.Day
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
		c, ok := l.cache[date]
		if !ok || c.size != info.Size() || !c.mod.Equal(info.ModTime()) {
			got, err := store.Rollups(start, start.Add(24*time.Hour))
			if err != nil {
				return nil, err
			}
			if len(got) != 1 {
				delete(l.cache, date)
				continue // unreadable (history logs it) or just pruned
			}
			c = cachedDay{size: info.Size(), mod: info.ModTime(), day: got[0]}
			l.cache[date] = c
		}
		days = append(days, c.day)
	}
	for date := range l.cache {
		if !seen[date] {
			delete(l.cache, date)
		}
	}
	slices.SortFunc(days, func(a, b history.Day) int { return strings.Compare(a.Date, b.Date) })
	return days, nil
}
