package site

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// The values the 90-day bar and the daily history table show, computed
// here and written by the templates ("bar" and "history" in index.html and
// service.html). Everything is a date, a number or a fixed word.

// dayView is one day of a bar: its grade (a CSS class) and the figures
// its cell's details show on hover, focus or touch, which the "day"
// fragment puts into words.
type dayView struct {
	Class     string // b0 to b3 by downtime and uptime, nd without data
	Date      string // YYYY-MM-DD
	Uptime    string // "99.95%"; "" without data
	Down, Gap string // time down, time without data (a minute or more); "" for none
	Incidents int    // incidents open at some time during the day
}

// barView is what the bar template reads: the days, each written by the
// "day" (or "today") fragment, and the figures under them, over 90 days
// and over the 30 a narrow screen shows.
type barView struct {
	Days          template.HTML
	Uptime, Month uptimeCell
}

// Bar computes the row's bar for the page being written; it is not kept.
func (r *row) Bar() (barView, error) {
	v := barView{Uptime: r.Uptime[3], Month: r.Uptime[2]}
	if r.w == nil || r.cells == nil || r.frags == nil {
		return v, nil
	}
	// The cells are found by their figures, and their words made only
	// for a cell not seen before in this render; the row's HTML is
	// allocated once, at its length: at 10,000 services the bars were a
	// third of what a render allocates.
	var cells [barDays]string
	n := 0
	for i := range barDays {
		name := "day"
		if i == barDays-1 {
			name = "today"
		}
		cell, err := r.frags.cell(r.w.cellKey(name, i, r.cells[i], r.incs))
		if err != nil {
			return v, err
		}
		cells[i] = cell
		n += len(cell)
	}
	var b strings.Builder
	b.Grow(n)
	for _, cell := range cells {
		b.WriteString(cell)
	}
	v.Days = template.HTML(b.String()) //nolint:gosec // the "day" fragments' output, escaped by html/template
	return v, nil
}

// fragments memoises the output of the bar's "day" and "today" fragments
// by the figures they show (cellKey). Most days of most services read
// alike ("100.00% up"), so a render executes them a few hundred times
// instead of 90 per service and page, which was most of a render's
// template work. Safe for concurrent use.
type fragments struct {
	t     *template.Template
	mu    sync.Mutex
	cells map[cellKey]string
	buf   bytes.Buffer
}

func newFragments(t *template.Template) *fragments {
	return &fragments{t: t, cells: map[cellKey]string{}}
}

// cell is the output of k's fragment for the day k describes.
func (f *fragments) cell(k cellKey) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.cells[k]; ok {
		return s, nil
	}
	s, err := f.dayLocked(k.name, k.view())
	if err == nil {
		f.cells[k] = s
	}
	return s, err
}

// day is the fragment name's output for d, not memoised.
func (f *fragments) day(name string, d dayView) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dayLocked(name, d)
}

func (f *fragments) dayLocked(name string, d dayView) (string, error) {
	f.buf.Reset()
	if err := f.t.ExecuteTemplate(&f.buf, name, d); err != nil {
		return "", fmt.Errorf("site: render the bar's %s: %w", name, err)
	}
	return f.buf.String(), nil
}

// cellKey is a bar cell in figures: what its fragment shows, found
// without making its words.
type cellKey struct {
	name, date, class string // the fragment, the day, dayClass
	permyriad         int64  // the uptime; -1 without data
	down              uint32 // milliseconds
	gap               time.Duration
	incidents         int
}

// cellKey describes day i of a service's window, whose cell is c.
func (w *window) cellKey(name string, i int, c dayCell, incs []incidentView) cellKey {
	k := cellKey{name: name, date: w.dates[i], class: dayClass(c), permyriad: -1}
	if c.noData() {
		return k
	}
	k.permyriad, k.down = c.permyriad(), c.down
	if gap := w.gap(i, c); gap >= time.Minute {
		k.gap = gap
	}
	k.incidents = incidentsOn(incs, w.starts[i])
	return k
}

// view is what the fragment reads of the day k describes.
func (k cellKey) view() dayView {
	d := dayView{Class: k.class, Date: k.date}
	if k.permyriad < 0 {
		return d
	}
	d.Uptime = string(appendPermyriad(nil, k.permyriad))
	if k.down > 0 {
		d.Down = uptime.DurationText(time.Duration(k.down) * time.Millisecond)
	}
	if k.gap > 0 {
		d.Gap = uptime.DurationText(k.gap)
	}
	d.Incidents = k.incidents
	return d
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

// incidentsOn counts the incidents open at some time during the UTC day
// starting at day.
func incidentsOn(incs []incidentView, day time.Time) int {
	end := day.Add(24 * time.Hour)
	n := 0
	for _, iv := range incs {
		if iv.Start.Before(end) && (iv.End.IsZero() || iv.End.After(day)) {
			n++
		}
	}
	return n
}

// historyRow is one retained day of a service's daily history table.
type historyRow struct {
	Date                 string
	Uptime, Down, NoData string // "" when none: the template writes a dash
	Checks               string
	P50, P95, Max        string // "" without an up check
}

// historyRows appends the service's retained days to out, newest first.
// times are its times on each of days (history.ServiceTimes).
func historyRows(out []historyRow, days []history.DaySummary, times []history.Times, now time.Time) []historyRow {
	for i := len(days) - 1; i >= 0; i-- {
		sd, t := &days[i], times[i]
		h := historyRow{Date: sd.Start.Format(time.DateOnly), Checks: strconv.Itoa(sd.Checks)}
		if ratio, ok := t.Uptime(); ok {
			h.Uptime = percent(ratio, true)
		}
		if t.Down > 0 {
			h.Down = uptime.DurationText(t.Down)
		}
		if sd.Timed {
			if gap := min(now.Sub(sd.Start), 24*time.Hour) - t.Covered(); gap >= time.Minute {
				h.NoData = uptime.DurationText(gap)
			}
		}
		if sd.Answered {
			h.P50, h.P95, h.Max = ms(sd.P50MS), ms(sd.P95MS), ms(sd.MaxMS)
		}
		out = append(out, h)
	}
	return out
}
