package site

import (
	"strconv"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// The values the 90-day bar and the daily history table show, computed
// here and written by the templates ("bar" and "history" in index.html and
// service.html). Everything is a date, a number or a fixed word.

// dayView is one day of a bar: its grade (a CSS class) and the details
// its cell opens on hover, focus or touch.
type dayView struct {
	Class string // b0 to b3 by downtime and uptime, nd without data
	Date  string // YYYY-MM-DD
	Text  string // "99.95% up · 12 min down · 1 incident", or "No data"
}

// barView is what the bar template reads: the days before today, today so
// far, and the figures under them, over 90 days and over the 30 a narrow
// screen shows.
type barView struct {
	Past          []dayView
	Today         *dayView
	Uptime, Month uptimeCell
}

// Bar computes the row's bar for the page being written; it is not kept.
func (r *row) Bar() barView {
	v := barView{Uptime: r.Uptime[3], Month: r.Uptime[2]}
	if r.w == nil || r.cells == nil {
		return v
	}
	days := r.w.dayViews(r.cells, r.incs)
	v.Past, v.Today = days[:barDays-1], &days[barDays-1]
	return v
}

// days are a service's 90 days, oldest first.
func (w *window) dayViews(cells *[barDays]dayCell, incs []incidentView) []dayView {
	out := make([]dayView, barDays)
	var b []byte
	for i, c := range cells {
		out[i] = dayView{Class: dayClass(c), Date: w.dates[i]}
		if c.noData() {
			out[i].Text = "No data"
			continue
		}
		b = appendPermyriad(b[:0], c.permyriad())
		b = append(b, " up"...)
		if c.down > 0 {
			b = append(b, " · "...)
			b = uptime.AppendDuration(b, time.Duration(c.down)*time.Millisecond)
			b = append(b, " down"...)
		}
		if gap := w.gap(i, c); gap >= time.Minute {
			b = append(b, " · "...)
			b = uptime.AppendDuration(b, gap)
			b = append(b, " no data"...)
		}
		b = appendIncidents(b, incs, w.starts[i])
		out[i].Text = string(b)
	}
	return out
}

// dayClass grades a day by its downtime and by its uptime so far,
// whichever is worse, so that a day in progress that was down all of its
// first 15 minutes is graded as the outage it is: b0 no downtime, b1 under
// 30 minutes, b2 under two hours, b3 more; the uptime bounds are what
// those downtimes leave of a whole day (97.92% and 91.67%). nd: no data.
func dayClass(c dayCell) string {
	switch p, minutes := c.permyriad(), c.down/60000; {
	case c.noData():
		return "nd"
	case c.down == 0:
		return "b0"
	case minutes < 30 && p >= 9791:
		return "b1"
	case minutes < 120 && p >= 9166:
		return "b2"
	}
	return "b3"
}

// appendIncidents appends " · 1 incident" or " · N incidents" for the
// incidents open at some time during the UTC day starting at day.
func appendIncidents(b []byte, incs []incidentView, day time.Time) []byte {
	end := day.Add(24 * time.Hour)
	n := 0
	for _, iv := range incs {
		if iv.Start.Before(end) && (iv.End.IsZero() || iv.End.After(day)) {
			n++
		}
	}
	switch n {
	case 0:
		return b
	case 1:
		return append(b, " · 1 incident"...)
	}
	return append(strconv.AppendInt(append(b, " · "...), int64(n), 10), " incidents"...)
}

// historyRow is one retained day of a service's daily history table.
type historyRow struct {
	Date                 string
	Uptime, Down, NoData string // "—" when none
	Checks               string
	P50, P95, Max        string // "—" without an up check
}

// historyRows are the service's retained days with a rollup, newest
// first. times are its times on each of days (history.ServiceTimes).
func historyRows(days []history.Day, times []history.Times, name string, now time.Time) []historyRow {
	var out []historyRow
	for i := len(days) - 1; i >= 0; i-- {
		sd := days[i].Services[name]
		if sd == nil {
			continue
		}
		t := times[i]
		h := historyRow{Date: days[i].Date, Uptime: "—", Down: "—", NoData: "—", Checks: strconv.Itoa(sd.Checks), P50: "—", P95: "—", Max: "—"}
		if ratio, ok := t.Uptime(); ok {
			h.Uptime = percent(ratio, true)
		}
		if t.Down > 0 {
			h.Down = uptime.DurationText(t.Down)
		}
		if days[i].Timed() {
			if gap := min(now.Sub(days[i].Start()), 24*time.Hour) - t.Covered(); gap >= time.Minute {
				h.NoData = uptime.DurationText(gap)
			}
		}
		if sd.Up+sd.Degraded > 0 {
			h.P50, h.P95, h.Max = ms(sd.P50MS), ms(sd.P95MS), ms(sd.MaxMS)
		}
		out = append(out, h)
	}
	return out
}
