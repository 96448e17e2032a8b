package tracker

import "time"

// Policy is what Apply needs to know beyond the results: the thresholds,
// whether to remind, and which services are under maintenance.
//
// Reminders: while an announced outage goes on, a Reminder transition fires
// on a down cycle once RemindEvery has passed since Slack was last told the
// service is down (the DOWN or the previous reminder). 0 turns them off. A
// streak announced while reminders were off counts from its first failure.
//
// Maintenance hold: while Held(service, at) is true, the state still tracks
// the truth, but nothing new is queued for that service:
//   - a streak that reaches its threshold is announced but held (Held in the
//     state): no DOWN is queued;
//   - if it recovers while held, or before the DOWN was ever queued, nothing
//     is sent: there is never a RECOVERED without its DOWN;
//   - if it is still down on the first down cycle after the window, the held
//     DOWN is queued then, with since = the first failed cycle, and its
//     RECOVERED follows as usual;
//   - reminders wait for the window to end;
//   - an outage whose DOWN was already queued before the window still gets
//     its RECOVERED during the window, so no alert is left open in Slack.
type Policy struct {
	Thresholds  map[string]int // failure_threshold per configured service
	RemindEvery time.Duration  // 0: no reminders
	// Held reports whether service is under maintenance at a cycle's time;
	// nil holds nothing.
	Held func(service string, at time.Time) bool
}

func (p Policy) held(service string, at time.Time) bool {
	return p.Held != nil && p.Held(service, at)
}

func (p Policy) reminderDue(ss *ServiceState, at time.Time) bool {
	if p.RemindEvery <= 0 {
		return false
	}
	last := ss.LastReminder
	if last.IsZero() {
		last = ss.Since
	}
	return !at.Before(last.Add(p.RemindEvery))
}
