// Package quorum turns the checks several locations made of each service in
// one cycle into one verdict per service: down only when a quorum of
// locations agree, so a failure seen from one place is a note, never an
// alert. It knows nothing of where the checks came from.
package quorum

import (
	"fmt"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Decide gives each service its verdict for the cycle, in services' order.
// locations are the configured locations' names, in the order alerts and
// notes list them; results are their checks, each with its Location.
//
// A location votes down when its check was down, up when it was up or
// degraded; a location with no check of the service, or an inconclusive one
// (its own network was in doubt), does not vote. Then the verdict is
//   - down when at least the service's quorum voted down;
//   - else up when at least one voted up and at least quorum voted at all;
//   - else inconclusive: too few locations could tell.
//
// An up verdict is degraded when at least quorum locations found it
// degraded. A verdict carries the check of the first location (in
// locations' order) that voted for it: its code, latency, attempts and
// error; its time is the latest check's, when the cycle's votes were all
// in (so a check at or before it belongs to a cycle already decided). A down verdict lists the agreeing
// locations in Agreed; a failure below the quorum, and locations that did
// not report, are told in Note.
//
// With one location the verdict is that location's check, unchanged but for
// its Location: a single-location setup behaves exactly as without
// locations.
func Decide(services []uptime.Service, locations []string, results []uptime.Result) []uptime.Result {
	return DecideAmong(services, locations, nil, results)
}

// DecideAmong is Decide where not every location can check every service
// (a blackbox_exporter cannot run an async check): checkers(svc) says, in
// locations' order, which can. The others are left out of that service's
// vote as if they were not configured: they are never missing, never
// counted in a note's "of N", and the quorum is at most the number of
// locations that can check it, so that a service only two of three
// locations can check is still confirmed down with quorum 3. nil checkers:
// every location checks every service.
func DecideAmong(services []uptime.Service, locations []string, checkers func(uptime.Service) []bool, results []uptime.Result) []uptime.Result {
	index := make(map[string]int, len(locations))
	for i, l := range locations {
		index[l] = i
	}
	// byService[s][l] is location l's check of service s; nil when none.
	byService := make(map[string][]*uptime.Result, len(services))
	for _, svc := range services {
		byService[svc.Name] = make([]*uptime.Result, len(locations))
	}
	for i := range results {
		r := &results[i]
		checks, ok := byService[r.Service]
		li, known := index[r.Location]
		if !ok || !known || checks[li] != nil {
			continue // unconfigured, or a location's second check: the first counts
		}
		checks[li] = r
	}
	out := make([]uptime.Result, 0, len(services))
	for _, svc := range services {
		names, checks := locations, byService[svc.Name]
		if checkers != nil {
			names, checks = among(checkers(svc), locations, checks)
		}
		if v, ok := decide(svc, names, checks); ok {
			out = append(out, v)
		}
	}
	return out
}

// among keeps the locations that can check a service, and their checks.
func among(can []bool, locations []string, checks []*uptime.Result) ([]string, []*uptime.Result) {
	var names []string
	var kept []*uptime.Result
	for i, l := range locations {
		if i < len(can) && can[i] {
			names, kept = append(names, l), append(kept, checks[i])
		}
	}
	return names, kept
}

// decide is one service's verdict; ok is false when no location checked it
// at all, so a cycle that reached nobody records nothing for it.
func decide(svc uptime.Service, locations []string, checks []*uptime.Result) (uptime.Result, bool) {
	q := min(max(svc.Quorum, 1), max(len(checks), 1))
	var down, up, degraded, missing []int
	for i, c := range checks {
		switch {
		case c == nil:
			missing = append(missing, i)
		case c.Status == uptime.Down:
			down = append(down, i)
		case c.Status == uptime.Degraded:
			degraded = append(degraded, i)
			up = append(up, i)
		case c.Status == uptime.Up:
			up = append(up, i)
		}
	}
	if len(missing) == len(checks) {
		return uptime.Result{}, false
	}
	if len(checks) == 1 {
		v := *checks[0]
		v.Location = ""
		return v, true
	}
	voted := len(down) + len(up)
	var v uptime.Result
	switch {
	case len(down) >= q:
		v = verdict(checks[down[0]], uptime.Down)
		v.Agreed = &uptime.Agreement{}
		for _, i := range down {
			c := checks[i]
			v.Agreed.Locations = append(v.Agreed.Locations, uptime.LocationError{Location: locations[i], Code: c.Code, Error: c.Error, Detail: c.Detail})
		}
	case len(up) > 0 && voted >= q:
		if len(degraded) >= q {
			v = verdict(checks[degraded[0]], uptime.Degraded)
		} else {
			v = verdict(checks[firstUp(checks, up)], uptime.Up)
		}
	default:
		// Too few votes: keep the first reporting check's facts, but no
		// status a streak would count.
		first := 0
		for checks[first] == nil {
			first++
		}
		v = verdict(checks[first], uptime.Inconclusive)
		v.Error, v.Detail = uptime.ErrNoQuorum, ""
	}
	v.Time = latest(checks)
	v.Note = note(v.Status, q, voted, locations, down, missing)
	return v, true
}

// firstUp prefers a location that found the service plainly up.
func firstUp(checks []*uptime.Result, up []int) int {
	for _, i := range up {
		if checks[i].Status == uptime.Up {
			return i
		}
	}
	return up[0]
}

func verdict(c *uptime.Result, status uptime.Status) uptime.Result {
	v := *c
	v.Location, v.Status, v.Note, v.Agreed = "", status, "", nil
	if status.IsUp() {
		v.Error, v.Detail = "", ""
	}
	return v
}

func latest(checks []*uptime.Result) (t time.Time) {
	for _, c := range checks {
		if c != nil && c.Time.After(t) {
			t = c.Time
		}
	}
	return t
}

// note tells what the verdict set aside: "Down from 1 of 3 locations:
// eu-west", "no answer from ap-south", or for an inconclusive verdict how
// many voted against the quorum.
// Its parts are translated on other languages' pages by site.(*lang).Note,
// which knows them by their wording: change both together.
func note(status uptime.Status, q, voted int, locations []string, down, missing []int) string {
	var parts []string
	n := len(locations)
	switch {
	case status == uptime.Inconclusive:
		parts = append(parts, fmt.Sprintf("Only %d of %d locations could tell, quorum %d", voted, n, q))
		if len(down) > 0 {
			parts = append(parts, fmt.Sprintf("down from %s", names(locations, down)))
		}
	case status != uptime.Down && len(down) > 0:
		parts = append(parts, fmt.Sprintf("Down from %d of %d locations: %s", len(down), n, names(locations, down)))
	}
	if len(missing) > 0 {
		parts = append(parts, "no answer from "+names(locations, missing))
	}
	return strings.Join(parts, "; ")
}

func names(locations []string, idx []int) string {
	s := make([]string, len(idx))
	for i, j := range idx {
		s[i] = locations[j]
	}
	return strings.Join(s, ", ")
}
