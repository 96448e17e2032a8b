package site

import (
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// barDays is how many days the index's bar and incident list cover.
const barDays = 90

// model is what every template receives; pages use the parts they need.
type model struct {
	Title      string
	Root       string // "" on the index, "../" below services/
	Refresh    int
	Generated  time.Time
	StaleAfter int // seconds; the staleness script compares the visitor's clock
	SourceURL  string
	HomeURL    string // the organisation's site; "" for no link
	HomeHost   string // HomeURL as the link reads: its host without "www."
	Logo       string // the logo's file name in the site's root; "" for none
	IsIndex    bool   // the index, where the title is the page's heading
	URL        string // the public address without a trailing slash, "" when unknown (see Canonical)
	Page       string // this page's path from the site's root; "" for a page without a canonical URL
	Heading    string // the name of a page that is neither the index, the notices nor a service's ("Incident history")
	Banner     banner
	Active     []noticeView // notices in force now
	Upcoming   []noticeView
	Rows       []row
	Sections   []section      // Rows as the index lists them: ungrouped, or by group
	Incidents  []incidentView // the last 90 days, newest first

	Lang  *lang   // the page's language
	langs []*lang // the site's languages, for the switch

	// Service pages only.
	Row     *row
	History []historyRow // every retained day, newest first
	Charts  []chart      // 24 hours and 7 days
	Notices []noticeView
}

// section is a run of the index's rows: a group's, under its name and its
// worst condition, or services without a group ("" Name).
type section struct {
	Name string
	Cond condition // the worst of its services'
	Open bool      // shown unfolded: something in it is not operational
	Rows []*row
}

type row struct {
	Key        string // the configured name, for lookups
	Root       string // the page's way back to the site's root
	Name, Slug string // Name cleaned for display
	Group      string
	Cond       condition
	Since      time.Time
	LastCheck  time.Time
	LastMS     int64
	Cause      string // the public phrase when confirmed down
	Watch      string // the note on failures below the threshold, "" if none
	LocNote    string // what the quorum set aside, "" if none (see Service.Note)
	Locations  []locationView
	Uptime     []uptimeCell

	// Since and LastCheck as the templates show them, nil when zero.
	SinceText, LastCheckText *moment
	// DownFor is how long a confirmed outage has lasted: "12 min".
	DownFor string
	Chart   chart       // response time, the last 24 hours
	Maint   *noticeView // the maintenance in force, if any
	month   spans       // the last 30 days, for the uptime badge

	// The bar's days are computed when a page shows them, not kept: at
	// 10,000 services they would be most of a render's memory.
	w     *window
	cells *[barDays]dayCell
	incs  []incidentView
	frags *fragments // the templates' day cells, shared by the render
}

// shows is what a service page says of the condition, for the renderer's
// rotation: a page whose condition or note changed is rewritten at once.
func (r *row) shows() string { return r.Cond.Class + " " + r.Watch + " " + r.LocNote }

// uptimeCell is one window's uptime: "99.95%", and "29 Nov" when the
// service's data begins inside the window, which the figure then covers.
type uptimeCell struct{ Label, Value, Since string }

// moment is a time as the pages show it: RFC 3339 for machines and
// "2006-01-02 15:04 UTC" for people.
type moment struct{ ISO, Human string }

func newMoment(t time.Time) *moment {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &moment{t.Format(time.RFC3339), t.Format(humanLayout)}
}

type incidentView struct {
	Key               string // the configured service name
	ID, Service, Slug string
	Start, End        time.Time // End zero: ongoing
	Duration, Cause   string
	WriteUp           string // the notice's slug, when one covers it
}

type noticeView struct {
	notice.Notice
	Services string // "All services" or the names, joined
}

// newModel computes everything the index and the service pages show.
func newModel(in Input) (model, map[string][]incidentView) {
	now := in.Generated.UTC()
	m := model{
		Title:     clean(in.Title),
		Refresh:   in.Refresh,
		Generated: now,
		SourceURL: in.SourceURL,
		HomeURL:   in.HomeURL,
		HomeHost:  homeHost(in.HomeURL),
		URL:       strings.TrimRight(in.URL, "/"),
		Page:      "index.html",
	}
	if in.Logo != "" {
		m.Logo = logoName(in.Logo)
	}
	if m.Title == "" {
		m.Title = "Status"
	}
	if m.Refresh <= 0 {
		m.Refresh = 60
	}
	m.StaleAfter = staleAfter(in, m.Refresh)
	if m.SourceURL == "" {
		m.SourceURL = "https://github.com/Sefaria/statusgen"
	}

	for _, n := range in.Notices {
		switch {
		case n.Active(now):
			m.Active = append(m.Active, newNoticeView(n))
		case n.Upcoming(now):
			m.Upcoming = append(m.Upcoming, newNoticeView(n))
		}
	}

	byService := incidentsByService(in, now)
	today := now.Truncate(24 * time.Hour)
	w := newWindow(in, today, now, spanLimit(in))
	g := w.grid(in)
	conds := make([]condition, 0, len(in.Services))
	m.Rows = make([]row, 0, len(in.Services))
	for i, s := range in.Services {
		r := newRow(s, in, now, &w, &g, i, byService[s.Name])
		conds = append(conds, r.Cond)
		m.Rows = append(m.Rows, r)
	}
	m.Sections = sections(m.Rows)

	cutoff := today.AddDate(0, 0, -(barDays - 1))
	ongoing := 0
	for _, s := range in.Services {
		for _, iv := range byService[s.Name] {
			if iv.End.IsZero() {
				ongoing++
			}
			if iv.End.IsZero() || !iv.End.Before(cutoff) {
				m.Incidents = append(m.Incidents, iv)
			}
		}
	}
	sortIncidents(m.Incidents)
	m.Banner = overall(conds, ongoing)
	return m, byService
}

// sections groups the rows for the index: each group where its first
// service is configured, the services without one where they are.
func sections(rows []row) []section {
	var out []section
	at := map[string]int{}
	for i := range rows {
		r := &rows[i]
		if r.Group == "" {
			if n := len(out); n > 0 && out[n-1].Name == "" {
				out[n-1].Rows = append(out[n-1].Rows, r)
			} else {
				out = append(out, section{Rows: []*row{r}})
			}
			continue
		}
		k, ok := at[r.Group]
		if !ok {
			k = len(out)
			at[r.Group] = k
			out = append(out, section{Name: r.Group})
		}
		out[k].Rows = append(out[k].Rows, r)
	}
	for k := range out {
		if out[k].Name == "" {
			continue
		}
		conds := make([]condition, len(out[k].Rows))
		for i, r := range out[k].Rows {
			conds[i] = r.Cond
		}
		out[k].Cond = worst(conds)
		out[k].Open = out[k].Cond != condUp
	}
	return out
}

func newRow(s Service, in Input, now time.Time, w *window, g *grid, i int, incs []incidentView) row {
	var maint *noticeView
	for _, n := range in.Notices {
		if n.Kind == notice.Maintenance && n.Active(now) && n.Covers(s.Name) {
			v := newNoticeView(n)
			maint = &v
			break
		}
	}
	r := row{
		Key:       s.Name,
		Name:      clean(s.Name),
		Slug:      uptime.Slug(s.Name),
		Group:     clean(s.Group),
		Cond:      conditionOf(s, maint != nil),
		LastCheck: s.LastCheck,
		LastMS:    s.LastMS,
		Maint:     maint,
		w:         w,
		cells:     &g.cells[i],
		incs:      incs,
	}
	if s.Status == uptime.Down && s.Confirmed {
		r.Cause = Phrase(s.LastError, s.LastCode)
		if !s.Since.IsZero() {
			// To the minute: the page is a minute old by the time it is read.
			d := max(now.Sub(s.Since), 0)
			if d >= time.Minute {
				d = d.Truncate(time.Minute)
			}
			r.DownFor = uptime.DurationText(d)
		}
	}
	first := g.first[i]
	// Since is when the condition shown began: the outage's start, the end
	// of the last outage, or, with none on record, the first check kept.
	switch {
	case r.Cond == condDown, r.Cond == condUp && s.Status.IsUp(), r.Cond == condDegraded:
		r.Since = s.Since
		if r.Since.IsZero() && r.Cond != condDown {
			r.Since = first
		}
	}
	r.Watch = watchNote(s)
	r.LocNote, r.Locations = sentence(s.Note), locationViews(s)
	ratio, ok := s.Recent.Uptime()
	r.Uptime = append(r.Uptime, uptimeCell{"24 h", percent(ratio, ok), sinceIn(first, now.Add(-24*time.Hour), true, ok)})
	sums := g.sums[i]
	for k, label := range []string{"7 d", "30 d", "90 d"} {
		ratio, ok := sums[k].uptime()
		start := w.starts[barDays-[]int{7, 30, 90}[k]]
		r.Uptime = append(r.Uptime, uptimeCell{label, percent(ratio, ok), sinceIn(first, start, false, ok)})
	}
	r.month = sums[1]
	r.SinceText, r.LastCheckText = newMoment(r.Since), newMoment(r.LastCheck)
	r.Chart = dayChart(s.Recent)
	return r
}

// sinceIn is when a window's figure really begins: "" when the data
// covers the window from its start, else the first check's date ("29
// Nov"), or its time ("09:50 UTC") for the 24-hour window.
func sinceIn(first, start time.Time, clock, ok bool) string {
	if !ok || first.IsZero() || !first.After(start) {
		return ""
	}
	if clock {
		return first.UTC().Format("15:04 UTC")
	}
	return first.UTC().Format(shortDate)
}

// shortDate is a date in running text: "29 Nov".
const shortDate = "2 Jan"

// homeHost is how the header's link to the organisation reads.
func homeHost(home string) string {
	u, err := url.Parse(home)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.TrimPrefix(u.Hostname(), "www.")
}

// logoName is the logo's file in the site: "logo" and the file's own
// extension, so that a static host sends the right type.
func logoName(path string) string { return "logo" + strings.ToLower(filepath.Ext(path)) }

// window is the last 90 UTC days, today last, looked up once per render.
type window struct {
	dates   []string    // YYYY-MM-DD
	starts  []time.Time // UTC midnights
	untimed []bool      // rolled up by a version that counted checks, not time
	now     time.Time
	limit   time.Duration // how long a check stands for at most (history.SpanCap)
}

// dayCell is what a bar cell and the uptime sums need of a service's
// day: milliseconds up (degraded included), down, and covered by any
// check (inconclusive ones too), the span carried over midnight included.
type dayCell struct {
	up, down, covered uint32
}

// noData is a day without up or down time.
func (c dayCell) noData() bool { return c.up == 0 && c.down == 0 }

// permyriad is the day's uptime as percent() shows it.
func (c dayCell) permyriad() int64 {
	return min(permyriad(float64(c.up)/float64(uint64(c.up)+uint64(c.down))), 10000)
}

func (c *dayCell) add(st uptime.Status, span time.Duration) {
	ms := uint32(min(max(span/time.Millisecond, 0), 24*time.Hour/time.Millisecond))
	switch st {
	case uptime.Up, uptime.Degraded:
		c.up += ms
	case uptime.Down:
		c.down += ms
	case uptime.Inconclusive:
	default:
		return
	}
	c.covered += ms
}

// gap is how much of day d of the window no check stood for, as far as
// now; 0 when unknown (a day rolled up by a version that counted checks).
func (w window) gap(d int, c dayCell) time.Duration {
	if w.untimed[d] {
		return 0
	}
	length := min(w.now.Sub(w.starts[d]), 24*time.Hour)
	return max(length-time.Duration(c.covered)*time.Millisecond, 0)
}

// grid is every service's cells over a window, in the services' order,
// and their times over the last 7, 30 and 90 days.
type grid struct {
	cells [][barDays]dayCell
	sums  [][3]spans
	// first is each service's first check in the window, zero when its
	// data begins before the window (or there is none).
	first []time.Time
}

// lastCheck is a service's last check seen so far, whose span a later day
// may hold part of.
type lastCheck struct {
	at     time.Time
	status uptime.Status
}

// grid reads every service's days into the window's cells. Each day's
// last check of a service stands until its next check (the service's next
// day's first) or now, at most w.limit (history.Carry), and that span is
// split over the days it falls in; so the last check before the window
// counts in its first day.
func (w window) grid(in Input) grid {
	services := in.Services
	g := grid{cells: make([][barDays]dayCell, len(services)), sums: make([][3]spans, len(services)), first: make([]time.Time, len(services))}
	var days []history.DaySummary
	for i, s := range services {
		days = in.serviceDays(days[:0], s.Name)
		var last lastCheck
		seen := false // data before the window, or in it so far
		for k := range days {
			sd := &days[k]
			d := int(sd.Start.Sub(w.starts[0]) / (24 * time.Hour))
			if d >= barDays {
				break // after today
			}
			if !seen && d >= 0 {
				g.first[i] = sd.First
				if g.first[i].IsZero() {
					g.first[i] = w.starts[d] // rolled up from counts: the day is all it knows
				}
			}
			seen = true
			if d >= 0 {
				c := &g.cells[i][d]
				c.add(uptime.Up, sd.Times.Up+sd.Times.Degraded)
				c.add(uptime.Down, sd.Times.Down)
				c.add(uptime.Inconclusive, sd.Times.Inconclusive)
			}
			if sd.Last.IsZero() {
				continue // estimated from counts: nothing to carry
			}
			if d >= 0 && !last.at.IsZero() {
				w.carry(&g.cells[i], last, sd.First)
			}
			last = lastCheck{sd.Last, sd.LastStatus}
		}
		if !last.at.IsZero() {
			w.carry(&g.cells[i], last, time.Time{})
		}
		for d := range barDays {
			for k, n := range []int{7, 30, 90} {
				if d >= barDays-n {
					g.sums[i][k].add(g.cells[i][d])
				}
			}
		}
	}
	return g
}

// carry adds the span of the check lc, which ends at next (zero: none
// yet), to the cells of the days it falls in.
func (w window) carry(cells *[barDays]dayCell, lc lastCheck, next time.Time) {
	end := history.CarryEnd(lc.at, next, w.now, w.limit)
	for from := lc.at; from.Before(end); {
		day := from.Truncate(24 * time.Hour)
		to := day.Add(24 * time.Hour)
		if end.Before(to) {
			to = end
		}
		if d := int(day.Sub(w.starts[0]) / (24 * time.Hour)); d >= 0 && d < barDays {
			cells[d].add(lc.status, to.Sub(from))
		}
		from = to
	}
}

func newWindow(in Input, today, now time.Time, limit time.Duration) window {
	w := window{dates: make([]string, barDays), starts: make([]time.Time, barDays), untimed: make([]bool, barDays),
		now: now, limit: limit}
	for i := range barDays {
		day := today.AddDate(0, 0, i-(barDays-1))
		w.starts[i], w.dates[i] = day, day.Format(time.DateOnly)
	}
	untimed := func(start time.Time) {
		if d := int(start.Sub(w.starts[0]) / (24 * time.Hour)); d >= 0 && d < barDays && start.Equal(w.starts[d]) {
			w.untimed[d] = true
		}
	}
	for _, d := range in.pastDays() {
		if !d.Timed {
			untimed(d.Start)
		}
	}
	return w
}

// spans are a service's up (degraded included) and down milliseconds
// over several days: what its uptime over them is made of.
type spans struct{ up, down int64 }

func (c *spans) add(cell dayCell) {
	c.up += int64(cell.up)
	c.down += int64(cell.down)
}

func (c spans) uptime() (float64, bool) {
	n := c.up + c.down
	if n <= 0 {
		return 0, false
	}
	return float64(c.up) / float64(n), true
}

// totalOf sums a service's times over every day given (times from
// history.ServiceTimes).
func totalOf(times []history.Times) spans {
	var c spans
	for _, t := range times {
		c.up += int64((t.Up + t.Degraded) / time.Millisecond)
		c.down += int64(t.Down / time.Millisecond)
	}
	return c
}

// incidentsByService gives each service its incidents, newest first, with
// the write-up notice that covers each, if any.
func incidentsByService(in Input, now time.Time) map[string][]incidentView {
	out := map[string][]incidentView{}
	for _, inc := range in.Incidents {
		iv := incidentView{
			Key:     inc.Service,
			ID:      inc.ID,
			Service: clean(inc.Service),
			Slug:    uptime.Slug(inc.Service),
			Start:   inc.Since.UTC(),
			End:     inc.Until.UTC(),
			Cause:   Phrase(inc.Error, 0),
		}
		end := iv.End
		if end.IsZero() {
			end = now
		}
		iv.Duration = uptime.DurationText(end.Sub(iv.Start))
		for _, n := range in.Notices {
			if n.Kind == notice.Incident && n.Covers(inc.Service) &&
				n.Start.Before(end.Add(time.Second)) && (n.End.IsZero() || !n.End.Before(iv.Start)) {
				iv.WriteUp = n.Slug
				break
			}
		}
		out[inc.Service] = append(out[inc.Service], iv)
	}
	for _, list := range out {
		sortIncidents(list)
	}
	return out
}

// sortIncidents puts ongoing ones first, then the newest.
func sortIncidents(list []incidentView) {
	slices.SortStableFunc(list, func(a, b incidentView) int {
		if a.End.IsZero() != b.End.IsZero() {
			if a.End.IsZero() {
				return -1
			}
			return 1
		}
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		if c := strings.Compare(a.Service, b.Service); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func newNoticeView(n notice.Notice) noticeView {
	v := noticeView{Notice: n, Services: "All services"}
	v.Title = clean(n.Title)
	if len(n.Services) > 0 {
		names := make([]string, len(n.Services))
		for i, s := range n.Services {
			names[i] = clean(s)
		}
		v.Services = strings.Join(names, ", ")
	}
	return v
}

// percent floors to two decimals, so a day with any downtime never reads 100%.
func percent(ratio float64, ok bool) string {
	if !ok {
		return "—"
	}
	return string(appendPercent(make([]byte, 0, 8), ratio))
}

// appendPercent is percent's figure appended to b. Hundredths of a
// percent, formatted by hand: this runs for every cell of every bar and
// history table, and fmt was a tenth of a render.
func appendPercent(b []byte, ratio float64) []byte {
	n := permyriad(ratio)
	if n < 0 || n > 1e15 {
		return fmt.Appendf(b, "%.2f%%", math.Floor(ratio*10000+1e-9)/100)
	}
	return appendPermyriad(b, n)
}

// permyriad is ratio in hundredths of a percent, floored, so a day with any
// downtime never reads 100%.
func permyriad(ratio float64) int64 {
	v := math.Floor(ratio*10000 + 1e-9)
	if v < 0 || v > 1e15 || v != v {
		return -1
	}
	return int64(v)
}

// appendPermyriad appends n hundredths of a percent: "99.95%".
func appendPermyriad(b []byte, n int64) []byte {
	b = strconv.AppendInt(b, n/100, 10)
	return append(b, '.', byte('0'+n%100/10), byte('0'+n%10), '%')
}

func ms(v int64) string { return strconv.FormatInt(v, 10) + " ms" }

// clean drops control and bidi-override characters from a name or title
// before it is escaped onto the page; the templates also isolate names in
// <bdi>, so a right-to-left name cannot reorder what follows it.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return -1
		}
		return r
	}, s)
}

// checkInterval is the monitor's interval, a minute if the input lacks one.
func checkInterval(in Input) time.Duration {
	if in.Interval <= 0 {
		return time.Minute
	}
	return in.Interval
}

// spanLimit is how long one check stands for at most: beyond it, no data.
func spanLimit(in Input) time.Duration { return history.SpanCap(checkInterval(in)) }

// staleAfter is how old, in seconds, a page may be before its script says
// it may be out of date: three render periods (the expected cadence, or a
// few for a large site) but never less than two of the page's own
// refreshes, since a visitor's copy is up to a refresh old when it loads.
func staleAfter(in Input, refresh int) int {
	return max(int(3*renderPeriod(in)/time.Second), 2*refresh)
}
