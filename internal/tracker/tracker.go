// Package tracker is the failure-threshold state machine: it turns each
// cycle's results into DOWN and RECOVERED transitions, and keeps the counters
// that make this survive a restart in data/state.json.
package tracker

import (
	"slices"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Version is the state file format this statusgen reads and writes.
const Version = 1

// State is data/state.json.
type State struct {
	Version   int                      `json:"version"`
	Services  map[string]*ServiceState `json:"services"` // by service name; encoding/json sorts map keys → stable diffs
	Outbox    []uptime.Transition      `json:"outbox"`   // alerts not yet accepted by Slack (or stderr), oldest first; [] not null
	LastPrune time.Time                `json:"last_prune,omitzero"`

	pruned bool // Apply has dropped unconfigured services once
}

// ServiceState is one service's streak and its last check. Times are UTC.
type ServiceState struct {
	Status       uptime.Status    `json:"status"`                 // last conclusive status (up, degraded, down); "" until one
	Failures     int              `json:"failures"`               // consecutive down cycles
	Since        time.Time        `json:"since,omitzero"`         // first failed cycle of the current streak
	Announced    bool             `json:"announced"`              // a DOWN fired for this streak (perhaps held, see Held)
	Held         bool             `json:"held,omitempty"`         // announced during maintenance: the DOWN is not queued yet
	IncidentID   string           `json:"incident_id,omitempty"`  // set when announced
	LastReminder time.Time        `json:"last_reminder,omitzero"` // when the DOWN or last reminder was queued; only while reminders are on
	DownError    uptime.ErrorKind `json:"down_error,omitempty"`   // the kind that confirmed the outage
	LastCheck    time.Time        `json:"last_check,omitzero"`    // the last check of any status, inconclusive included
	LastSuccess  time.Time        `json:"last_success,omitzero"`  // the last up or degraded check
	// LastCode, LastMS and LastError describe the check Status came from, so
	// an inconclusive cycle never shows as "up, 10000 ms, canary".
	LastCode  int              `json:"last_code"`
	LastMS    int64            `json:"last_ms"`
	LastError uptime.ErrorKind `json:"last_error,omitempty"`
}

// New is the state of a monitor that has checked nothing yet.
func New() *State {
	return &State{Version: Version, Services: map[string]*ServiceState{}, Outbox: []uptime.Transition{}}
}

// Apply feeds one cycle's results to the state machine and returns the
// transitions it fired, in the order of results, also appending them to
// s.Outbox. p.Thresholds gives each configured service's failure_threshold;
// p.RemindEvery and p.Held add reminders and maintenance holds (see Policy).
//
// Results for services not in p.Thresholds are ignored; services in the state
// but no longer in p.Thresholds are dropped silently (no RECOVERED for an
// outage of a service nobody monitors any more; alerts already in the outbox
// are still delivered); new services start fresh. If a lowered threshold
// leaves a streak at or above it unannounced, DOWN fires on the streak's next
// down cycle, not on an up or inconclusive one. A threshold below 1 acts
// as 1.
func (s *State) Apply(results []uptime.Result, p Policy) []uptime.Transition {
	if s.Services == nil {
		s.Services = map[string]*ServiceState{}
	}
	// Dropping services nobody monitors looks at every service; a runner
	// that applies a batch four times a second only needs it when the
	// state holds more services than are configured, or on a state's
	// first Apply (one loaded from a file written with another config).
	if !s.pruned || len(s.Services) > len(p.Thresholds) {
		for name := range s.Services {
			if _, ok := p.Thresholds[name]; !ok {
				delete(s.Services, name)
			}
		}
		s.pruned = true
	}
	fired := []uptime.Transition{}
	for _, r := range results {
		threshold, ok := p.Thresholds[r.Service]
		if !ok {
			continue
		}
		ss := s.Services[r.Service]
		if ss == nil {
			ss = &ServiceState{}
			s.Services[r.Service] = ss
		}
		if t, ok := ss.apply(r, threshold, p); ok {
			fired = append(fired, t)
		}
	}
	s.Outbox = append(s.Outbox, fired...)
	return fired
}

// Ack drops the outbox entries a deliverer accepted: accepted[i] is true
// for s.Outbox[i]; missing entries count as not accepted. A deliverer may
// accept entries out of order (a DOWN coalesced with its later RECOVERED).
func (s *State) Ack(accepted []bool) {
	// A fresh slice, so a caller still holding the delivered batch never
	// sees it shift under it.
	kept := []uptime.Transition{}
	for i, t := range s.Outbox {
		if i >= len(accepted) || !accepted[i] {
			kept = append(kept, t)
		}
	}
	s.Outbox = kept
}

// apply advances one service by one result and reports the transition it
// fired, if any. Statuses other than up, degraded and down (inconclusive, or
// anything unknown) are neutral: they only move LastCheck.
func (ss *ServiceState) apply(r uptime.Result, threshold int, p Policy) (uptime.Transition, bool) {
	// UTC and no monotonic reading, so a state that went through the file
	// is identical to one that stayed in memory.
	at := r.Time.UTC()
	ss.LastCheck = at
	switch {
	case r.Status == uptime.Down:
		ss.record(r)
		if ss.Failures == 0 {
			ss.Since = at
		}
		ss.Failures++
		held := p.held(r.Service, at)
		switch {
		case !ss.Announced && ss.Failures >= threshold:
			ss.Announced = true
			ss.IncidentID = incidentID(r.Service, ss.Since)
			ss.DownError = r.Error
			if held {
				ss.Held = true
				return uptime.Transition{}, false
			}
		case ss.Announced && ss.Held && !held:
			// The maintenance window ended with the service still down:
			// the DOWN that was held goes out now, since its first failure.
			ss.Held = false
		case ss.Announced && !ss.Held && !held && p.reminderDue(ss, at):
			ss.LastReminder = at
			return ss.transition(uptime.Reminder, r, at), true
		default:
			return uptime.Transition{}, false
		}
		if p.RemindEvery > 0 {
			ss.LastReminder = at
		}
		return ss.transition(uptime.WentDown, r, at), true

	case r.Status.IsUp():
		ss.record(r)
		ss.LastSuccess = at
		t := uptime.Transition{
			Kind:       uptime.Recovered,
			Service:    r.Service,
			IncidentID: ss.IncidentID,
			Since:      ss.Since,
			At:         at,
			Failures:   ss.Failures,
			Code:       r.Code,
			Error:      ss.DownError,
			MS:         r.MS,
		}
		// A DOWN that was never queued gets no RECOVERED; one that was
		// gets it even during maintenance, so no alert is left open.
		announced := ss.Announced && !ss.Held
		ss.Failures, ss.Since, ss.Announced, ss.Held, ss.IncidentID, ss.DownError = 0, time.Time{}, false, false, "", ""
		ss.LastReminder = time.Time{}
		return t, announced
	}
	return uptime.Transition{}, false
}

// transition describes the announced outage as of result r at time at.
func (ss *ServiceState) transition(kind uptime.TransitionKind, r uptime.Result, at time.Time) uptime.Transition {
	var agreed []uptime.LocationError // the locations whose quorum confirmed it, when several vote
	if r.Agreed != nil {
		agreed = r.Agreed.Locations
	}
	return uptime.Transition{
		Kind:       kind,
		Service:    r.Service,
		IncidentID: ss.IncidentID,
		Since:      ss.Since,
		At:         at,
		Failures:   ss.Failures,
		Code:       r.Code,
		Error:      r.Error,
		Detail:     r.Detail,
		Locations:  agreed,
	}
}

// record keeps a conclusive result as the service's current status.
func (ss *ServiceState) record(r uptime.Result) {
	ss.Status = r.Status
	ss.LastCode = r.Code
	ss.LastMS = r.MS
	ss.LastError = r.Error
}

// incidentID is stable for one outage and readable in git and Slack:
// "sefaria-org-20260301T120000Z" for an outage whose first failed cycle
// started then.
func incidentID(service string, since time.Time) string {
	return uptime.Slug(service) + "-" + since.UTC().Format("20060102T150405Z")
}

// Clone is a deep copy of s that later Apply or Ack calls on s leave
// untouched: a renderer can read it while the runner goes on tracking.
func (s *State) Clone() *State {
	c := *s
	c.Services = make(map[string]*ServiceState, len(s.Services))
	for name, ss := range s.Services {
		cp := *ss
		c.Services[name] = &cp
	}
	c.Outbox = slices.Clone(s.Outbox)
	return &c
}
