package site

import (
	"os"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// LocationCheck is what one configured location last saw of a service,
// for its page. Only a setup with several [[location]]s has them.
type LocationCheck struct {
	Name string
	// Checks is false for a location that cannot check the service (a
	// blackbox_exporter and an async check): it is out of the service's
	// vote, and its page says "Not checked from here".
	Checks bool
	// Answered is true when the location's check is part of the latest
	// cycle's vote; false when it sent nothing for it (its CI job failed
	// or timed out, its agent did not answer).
	Answered bool
	// Last is its latest check of the last 24 hours; zero Time if none.
	// Only its time, status, code, latency and error kind are shown,
	// never its detail (remote text).
	Last uptime.Result
}

// locationMemo remembers, for a setup with several locations, each
// service's two latest verdicts and each location's latest check of it,
// and how far each day's check file has been read, so that a Loader
// called every cycle reads only the lines appended since the last call.
// It keeps a handful of results per service and location, however many
// checks there are.
type locationMemo struct {
	dir, key string                  // the data folder, and the services and locations; another starts over
	files    map[string]*locationDay // by date: what has been read of it
	services map[string]bool         // the services kept
	verdicts map[string]*verdictTimes
	last     map[string][]uptime.Result // service → its latest check from each location, in configuration order
}

type locationDay struct {
	info os.FileInfo
	next int64
}

// verdictTimes are the times of a service's two latest verdicts and the
// latest's note.
type verdictTimes struct {
	latest, previous time.Time
	note             string
}

// load gives each service (of a setup with several locations) what each
// configured location last saw of it in the last 24 hours and the latest
// verdict's note. A location's check belongs to the latest cycle when it
// is newer than the verdict before the latest: every check of a cycle is
// made after the previous verdict, which is dated by its own latest check
// (package quorum; the runner sets aside any check not newer).
func (m *locationMemo) load(store *history.Store, dataDir string, cfg *config.Config, services []Service, now time.Time) error {
	if !cfg.MultiLocation() || len(services) == 0 {
		return nil
	}
	key := strings.Join(cfg.LocationNames(), "\x00") + "\x01"
	for _, s := range services {
		key += s.Name + "\x00"
	}
	if m.files == nil || m.dir != dataDir || m.key != key {
		m.reset(dataDir, key, services)
	}
	locIndex := make(map[string]int, len(cfg.Locations))
	for i, l := range cfg.Locations {
		locIndex[l.Name] = i
	}
	from := now.Add(-24 * time.Hour)
	dates := []time.Time{from.Truncate(24 * time.Hour), now.Truncate(24 * time.Hour)}
	if dates[0].Equal(dates[1]) {
		dates = dates[1:]
	}
	replaced, err := m.read(store, dataDir, dates, locIndex)
	if replaced && err == nil {
		// A file was replaced or cut: what was read of it may be gone.
		m.reset(dataDir, key, services)
		_, err = m.read(store, dataDir, dates, locIndex)
	}
	if err != nil {
		m.reset(dataDir, key, services)
		return err
	}
	byName := make(map[string]uptime.Service, len(cfg.Services))
	for _, svc := range cfg.Services {
		byName[svc.Name] = svc
	}
	for i := range services {
		v := m.verdicts[services[i].Name]
		if v == nil || v.latest.Before(from) {
			v = &verdictTimes{}
		}
		last := m.last[services[i].Name]
		list := make([]LocationCheck, len(cfg.Locations))
		for l, loc := range cfg.Locations {
			can, _ := loc.Checks(byName[services[i].Name])
			var c uptime.Result
			if last != nil && !last[l].Time.Before(from) {
				c = last[l]
			}
			list[l] = LocationCheck{Name: loc.Name, Checks: can, Last: c,
				Answered: can && !c.Time.IsZero() && c.Time.After(v.previous)}
		}
		services[i].Locations, services[i].Note = list, v.note
	}
	return nil
}

func (m *locationMemo) reset(dataDir, key string, services []Service) {
	*m = locationMemo{dir: dataDir, key: key, files: map[string]*locationDay{}, services: map[string]bool{},
		verdicts: map[string]*verdictTimes{}, last: map[string][]uptime.Result{}}
	for _, s := range services {
		m.services[s.Name] = true
	}
}

// read adds the lines appended to the dates' files since the last read;
// replaced is true when a file is not the one read before, or shorter.
func (m *locationMemo) read(store *history.Store, dataDir string, dates []time.Time, locIndex map[string]int) (replaced bool, err error) {
	keep := map[string]bool{}
	for _, day := range dates {
		date := day.Format(time.DateOnly)
		keep[date] = true
		info, err := os.Stat(checkPath(dataDir, date))
		rd := m.files[date]
		switch {
		case err != nil && rd != nil:
			return true, nil // gone since it was read
		case err != nil:
			continue // not written yet, or unreadable: a scan would read nothing either
		case rd == nil:
			rd = &locationDay{}
			m.files[date] = rd
		case !os.SameFile(rd.info, info) || info.Size() < rd.next:
			return true, nil
		case info.Size() == rd.next:
			rd.info = info
			continue
		}
		rd.info = info
		next, _, err := store.ScanDayAll(day, rd.next, func(r uptime.Result) error {
			if !m.services[r.Service] {
				return nil
			}
			if r.Location == "" {
				m.verdict(r)
			} else if l, ok := locIndex[r.Location]; ok {
				m.check(r, l, len(locIndex))
			}
			return nil
		})
		rd.next = next
		if err != nil {
			return false, err
		}
	}
	for date := range m.files {
		if !keep[date] {
			delete(m.files, date)
		}
	}
	return false, nil
}

// verdict keeps a verdict's time if it is one of its service's two latest.
func (m *locationMemo) verdict(r uptime.Result) {
	v := m.verdicts[r.Service]
	if v == nil {
		v = &verdictTimes{}
		m.verdicts[r.Service] = v
	}
	switch {
	case r.Time.After(v.latest):
		v.previous, v.latest, v.note = v.latest, r.Time, r.Note
	case r.Time.After(v.previous) && r.Time.Before(v.latest):
		v.previous = r.Time
	}
}

// check keeps location l's check if it is its latest of the service.
func (m *locationMemo) check(r uptime.Result, l, locations int) {
	last := m.last[r.Service]
	if last == nil {
		last = make([]uptime.Result, locations)
		m.last[r.Service] = last
	}
	if !r.Time.Before(last[l].Time) {
		r.Detail = "" // remote text, never shown, not kept
		last[l] = r
	}
}

// locationView is one row of a service page's Locations table.
type locationView struct {
	Name   string
	Cond   condition // the icon, word and class of what it saw
	Cause  string    // the public phrase of a failure; "" if none
	MS     int64     // latency of a check that got an answer; 0 for none
	When   *moment   // its latest check; nil if none in 24 hours
	Silent bool      // no answer in the latest cycle: When is when it last answered
}

var (
	condLocUp      = condition{Class: "up", Icon: "✔", Word: "Up"}
	condLocSlow    = condition{Class: "degraded", Icon: "▲", Word: "Slow"}
	condLocDown    = condition{Class: "down", Icon: "✖", Word: "Down"}
	condLocUnsure  = condition{Class: "unknown", Icon: "?", Word: "Could not tell"}
	condLocSilent  = condition{Class: "unknown", Icon: "–", Word: "No answer"}
	condLocSkipped = condition{Class: "unknown", Icon: "–", Word: "Not checked from here"}
)

// locationViews is what a service page shows of its locations: one row
// each, in configuration order; nil for a single-location setup.
func locationViews(s Service) []locationView {
	if len(s.Locations) == 0 {
		return nil
	}
	out := make([]locationView, len(s.Locations))
	for i, l := range s.Locations {
		v := locationView{Name: clean(l.Name)}
		c := l.Last
		switch {
		case !l.Checks:
			v.Cond = condLocSkipped
			out[i] = v
			continue
		case !l.Answered:
			v.Cond, v.Silent = condLocSilent, true
			v.When = newMoment(c.Time)
			out[i] = v
			continue
		case c.Status == uptime.Up:
			v.Cond = condLocUp
		case c.Status == uptime.Degraded:
			v.Cond = condLocSlow
		case c.Status == uptime.Down:
			v.Cond, v.Cause = condLocDown, Phrase(c.Error, c.Code)
		default:
			v.Cond, v.Cause = condLocUnsure, Phrase(c.Error, c.Code)
		}
		if c.Status.IsUp() || c.Status == uptime.Down && c.Code != 0 {
			v.MS = c.MS
		}
		v.When = newMoment(c.Time)
		out[i] = v
	}
	return out
}

// sentence starts a note with a capital: a verdict's note may begin with
// its "no answer from …" part.
func sentence(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
