package site

import (
	"html/template"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// The 90-day bar and the daily history table are most of the markup (90
// cells per service on the index, 90 more and a row per retained day on each
// service page). Built through html/template they took most of a 100-service
// render, so they are written here. They hold only dates, numbers and
// fixed words, never remote text, and are escaped all the same.

// appendBarCells appends a service's 90-day bar, oldest day first: an SVG
// rect per day with a <title> tooltip. At 10,000 services that is 900,000
// cells a render, so each is appended straight into one buffer.
func (w window) appendBarCells(b []byte, cells *[barDays]dayCell, incs []incidentView) []byte {
	b = slices.Grow(b, barDays*80)
	for i, c := range cells {
		b = append(b, `<rect x="`...)
		b = strconv.AppendInt(b, int64(i*3), 10)
		b = append(b, `" class="`...)
		if c.noData() {
			b = append(b, "b-none"...)
		} else {
			b = append(b, dayClass(int64(c.down/1000))...)
		}
		b = append(b, `"><title>`...)
		title := len(b)
		b = append(b, w.dates[i]...)
		if c.noData() {
			b = append(b, ": no data"...)
		} else {
			b = append(b, ": "...)
			b = appendPermyriad(b, c.permyriad())
			b = append(b, " up"...)
			if c.down > 0 {
				b = append(b, ", "...)
				b = uptime.AppendDuration(b, time.Duration(c.down)*time.Millisecond)
				b = append(b, " down"...)
			}
			b = appendNoData(b, w.gap(i, c))
			b = appendIncidents(b, incs, w.starts[i])
		}
		b = escapeFrom(b, title)
		b = append(b, `</title></rect>`...)
	}
	return b
}

// appendNoData appends ", 50 min no data" for a day with a minute or more
// that no check stood for (the monitor did not run, or checked too
// rarely), which neither its uptime nor its downtime counts.
func appendNoData(b []byte, gap time.Duration) []byte {
	if gap < time.Minute {
		return b
	}
	return append(uptime.AppendDuration(append(b, ", "...), gap), " no data"...)
}

// dayClass is a bar cell's class by the day's downtime: b0 for none up to
// b3 for two hours or more.
func dayClass(downSec int64) string {
	switch minutes := downSec / 60; {
	case downSec == 0:
		return "b0"
	case minutes < 30:
		return "b1"
	case minutes < 120:
		return "b2"
	}
	return "b3"
}

// appendIncidents appends ", 1 incident" or ", N incidents" for the
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
		return append(b, ", 1 incident"...)
	}
	return append(strconv.AppendInt(append(b, ", "...), int64(n), 10), " incidents"...)
}

// escapeFrom HTML-escapes b[from:] in place, as appendText does; text
// without special characters (all of it, in practice) is left as it is
// without copying.
func escapeFrom(b []byte, from int) []byte {
	for _, c := range b[from:] {
		switch c {
		case '<', '>', '&', '\'', '"', '+', 0:
			return appendText(b[:from], string(b[from:]))
		}
	}
	return b
}

// historyHTML is the daily history table's rows, a row for every retained
// day with a rollup for the service, newest first; empty if there is none.
// times are the service's times on each of days (history.ServiceTimes).
func historyHTML(days []history.Day, times []history.Times, name string, now time.Time) template.HTML {
	var b []byte
	for i := len(days) - 1; i >= 0; i-- {
		sd := days[i].Services[name]
		if sd == nil {
			continue
		}
		if b == nil {
			b = make([]byte, 0, (i+1)*200) // a row is 170 to 200 bytes
		}
		b = append(b, "\n<tr><th scope=\"row\"><time datetime=\""...)
		date := len(b)
		b = escapeFrom(append(b, days[i].Date...), date)
		b = append(b, "\">"...)
		b = append(b, b[date:len(b)-2]...)
		b = append(b, "</time></th><td>"...)
		t := times[i]
		if ratio, ok := t.Uptime(); ok {
			b = appendPercent(b, ratio)
		} else {
			b = append(b, "—"...)
		}
		b = append(b, "</td><td>"...)
		if t.Down > 0 {
			b = uptime.AppendDuration(b, t.Down)
		} else {
			b = append(b, "—"...)
		}
		b = append(b, "</td><td>"...)
		gap := time.Duration(0)
		if days[i].Timed() {
			gap = min(now.Sub(days[i].Start()), 24*time.Hour) - t.Covered()
		}
		if gap >= time.Minute {
			b = uptime.AppendDuration(b, gap)
		} else {
			b = append(b, "—"...)
		}
		b = append(b, "</td><td>"...)
		b = strconv.AppendInt(b, int64(sd.Checks), 10)
		b = append(b, "</td>"...)
		if sd.Up+sd.Degraded > 0 {
			for _, v := range []int64{sd.P50MS, sd.P95MS, sd.MaxMS} {
				b = append(b, "<td>"...)
				b = strconv.AppendInt(b, v, 10)
				b = append(b, " ms</td>"...)
			}
		} else {
			b = append(b, "<td>—</td><td>—</td><td>—</td>"...)
		}
		b = append(b, "</tr>"...)
	}
	return markup(b)
}

// markup hands b over as HTML without copying it: b is never written
// again. Bars and daily tables are most of what a render allocates.
func markup(b []byte) template.HTML {
	if len(b) == 0 {
		return ""
	}
	return template.HTML(unsafe.String(&b[0], len(b))) //nolint:gosec // numbers, dates and fixed words, escaped
}

// appendUptimeItems appends the uptime list's items: fixed labels and
// percentages.
func appendUptimeItems(b []byte, cells []uptimeCell) []byte {
	for _, c := range cells {
		b = append(b, "<div><dt>"...)
		b = escapeFrom(append(b, c.Label...), len(b))
		b = append(b, "</dt><dd>"...)
		b = escapeFrom(append(b, c.Value...), len(b))
		b = append(b, "</dd></div>"...)
	}
	return b
}

// fill is markup of fixed pieces (even positions, written as they are)
// and values (odd positions, escaped).
func fill(parts ...string) template.HTML {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n+16)
	for i, p := range parts {
		b = append(b, p...)
		if i%2 == 1 {
			b = escapeFrom(b, len(b)-len(p))
		}
	}
	return markup(b)
}
