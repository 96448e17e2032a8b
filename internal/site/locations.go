package site

import (
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

// locationWindows are how far back Load looks for the latest checks: the
// last two hours first, which hold them unless a location or the decider
// has been silent longer, then the whole raw window of 24 hours.
var locationWindows = []time.Duration{2 * time.Hour, 24 * time.Hour}

// loadLocations gives each service of a setup with several locations
// what each location last saw of it and the latest verdict's note.
// A location's check belongs to the latest cycle when it is newer than
// the verdict before the latest: every check of a cycle is made after the
// previous verdict, which is dated by its own latest check (package
// quorum; the runner sets aside any check not newer).
func loadLocations(store *history.Store, cfg *config.Config, services []Service, now time.Time) error {
	if !cfg.MultiLocation() || len(services) == 0 {
		return nil
	}
	index := make(map[string]int, len(services))
	for i, s := range services {
		index[s.Name] = i
	}
	byName := make(map[string]uptime.Service, len(cfg.Services))
	for _, svc := range cfg.Services {
		byName[svc.Name] = svc
	}
	locIndex := make(map[string]int, len(cfg.Locations))
	for i, l := range cfg.Locations {
		locIndex[l.Name] = i
	}
	type verdicts struct {
		latest, previous time.Time
		note             string
	}
	to := now.Add(time.Millisecond) // a check made at now counts
	for _, back := range locationWindows {
		v := make([]verdicts, len(services))
		last := make([][]uptime.Result, len(services))
		for i := range last {
			last[i] = make([]uptime.Result, len(cfg.Locations))
		}
		from := now.Add(-back)
		_, err := store.Scan(from, to, func(r uptime.Result) error {
			i, ok := index[r.Service]
			if !ok {
				return nil
			}
			switch vi := &v[i]; {
			case r.Time.After(vi.latest):
				vi.previous, vi.latest, vi.note = vi.latest, r.Time, r.Note
			case r.Time.After(vi.previous) && r.Time.Before(vi.latest):
				vi.previous = r.Time
			}
			return nil
		})
		if err != nil {
			return err
		}
		_, err = store.ScanLocated(from, to, func(r uptime.Result) error {
			i, ok := index[r.Service]
			l, known := locIndex[r.Location]
			if ok && known && !r.Time.Before(last[i][l].Time) {
				last[i][l] = r
			}
			return nil
		})
		if err != nil {
			return err
		}
		complete := true
		for i := range services {
			svc := byName[services[i].Name]
			list := make([]LocationCheck, len(cfg.Locations))
			for l, loc := range cfg.Locations {
				can, _ := loc.Checks(svc)
				c := last[i][l]
				list[l] = LocationCheck{Name: loc.Name, Checks: can, Last: c,
					Answered: can && !c.Time.IsZero() && c.Time.After(v[i].previous)}
				if can && c.Time.IsZero() {
					complete = false
				}
			}
			if v[i].previous.IsZero() {
				complete = false // the previous verdict may be further back
			}
			services[i].Locations, services[i].Note = list, v[i].note
		}
		if complete {
			break
		}
	}
	return nil
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
