package history

import "time"

// PruneDue reports whether a prune is due at now when the last one ran at
// lastPrune: it is when lastPrune is before the latest pruneAt o'clock UTC
// (a time of day, e.g. 3h for 03:00) at or before now. A long-running
// runner thus prunes once a day at pruneAt, and a `once` run from a
// scheduled job prunes on its first cycle after pruneAt, however late.
func PruneDue(now, lastPrune time.Time, pruneAt time.Duration) bool {
	mark := dayOf(now).Add(pruneAt)
	if mark.After(now) {
		mark = mark.Add(-24 * time.Hour)
	}
	return lastPrune.Before(mark)
}
