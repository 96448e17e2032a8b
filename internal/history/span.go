package history

import (
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Time, not checks, is what uptime and downtime measure: a check stands
// for its service from its own time until the service's next check, but
// never longer than SpanCap of the expected cadence; a longer wait is no
// data, neither up nor down. A day's rollup holds the spans between that
// day's checks; the span of its last check crosses into the next day (or
// ends now, for the newest check) and is added by the reader (Carry), so
// every day is computed from its own raw file alone.

// SpanCap is the longest a check stands for: twice the expected cadence
// (the interval), so a cycle that comes late is still covered while a
// monitor that stopped leaves no data instead of repeating what it last
// saw. A cadence of 0 counts as a minute.
func SpanCap(cadence time.Duration) time.Duration {
	if cadence <= 0 {
		cadence = time.Minute
	}
	return 2 * cadence
}

// Times is how long a service stood in each status over some stretch;
// time in none of them is no data.
type Times struct {
	Up, Degraded, Down, Inconclusive time.Duration
}

// Add adds o to t.
func (t *Times) Add(o Times) {
	t.Up += o.Up
	t.Degraded += o.Degraded
	t.Down += o.Down
	t.Inconclusive += o.Inconclusive
}

// AddSpan gives span to status st.
func (t *Times) AddSpan(st uptime.Status, span time.Duration) {
	switch st {
	case uptime.Up:
		t.Up += span
	case uptime.Degraded:
		t.Degraded += span
	case uptime.Down:
		t.Down += span
	case uptime.Inconclusive:
		t.Inconclusive += span
	}
}

// Covered is the time some check stood for, inconclusive ones included.
func (t Times) Covered() time.Duration { return t.Up + t.Degraded + t.Down + t.Inconclusive }

// Uptime is (Up+Degraded) / (Up+Degraded+Down): inconclusive time and no
// data say nothing about the service. ok is false when there is no such
// time.
func (t Times) Uptime() (ratio float64, ok bool) {
	n := t.Up + t.Degraded + t.Down
	if n <= 0 {
		return 0, false
	}
	return float64(t.Up+t.Degraded) / float64(n), true
}

// Carry calls fn, day by day, with the span of a day's last check that
// its rollup leaves out: from last until CarryEnd. Each piece is given
// with the UTC midnight starting its day, its own day's first.
func Carry(last, next, now time.Time, limit time.Duration, fn func(day time.Time, span time.Duration)) {
	end := CarryEnd(last, next, now, limit)
	for from := last; from.Before(end); {
		day := dayOf(from)
		to := day.Add(24 * time.Hour)
		if end.Before(to) {
			to = end
		}
		fn(day, to.Sub(from))
		from = to
	}
}

// CarryEnd is when the check at last stops standing for its service: at
// the service's next check (next, zero when there is none yet) or now,
// whichever is first, and never more than limit after it. It may be
// before last (a clock gone back): then the check stands for nothing.
func CarryEnd(last, next, now time.Time, limit time.Duration) time.Time {
	end := last.Add(limit)
	if !next.IsZero() && next.Before(end) {
		end = next
	}
	if now.Before(end) {
		end = now
	}
	return end
}

// ServiceTimes returns, for each of a service's days (ascending, as
// Ledger.Append gives them), how long it stood in each
// status that day: the day's own spans and the parts falling in it of the
// spans carried over midnight (Carry), the newest until now. out is reused
// when it is long enough. Pieces falling in a day missing from days (the
// service was not checked that day) are left out.
func ServiceTimes(out []Times, days []DaySummary, now time.Time, limit time.Duration) []Times {
	if cap(out) < len(days) {
		out = make([]Times, len(days))
	}
	out = out[:len(days)]
	clear(out)
	prev := -1 // the index of the last day with a check to carry
	carry := func(next time.Time) {
		k := prev
		Carry(days[prev].Last, next, now, limit, func(day time.Time, span time.Duration) {
			for k < len(days) && days[k].Start.Before(day) {
				k++
			}
			if k < len(days) && days[k].Start.Equal(day) {
				out[k].AddSpan(days[prev].LastStatus, span)
			}
		})
	}
	for i := range days {
		out[i].Add(days[i].Times)
		if days[i].Last.IsZero() {
			continue // estimated from counts: nothing to carry from or to
		}
		if prev >= 0 {
			carry(days[i].First)
		}
		prev = i
	}
	if prev >= 0 {
		carry(time.Time{})
	}
	return out
}
