package site

import (
	"bytes"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/notice"
)

// The incident history a visitor reads: the index's "Past incidents" (the
// last pastDays days, a heading per day, quiet days said to be quiet), each
// service page's incident reports, and history.html with a page per month
// under history/, which hold every retained outage and incident notice.
// The views are computed once per render (newIncidentLog) and reach the
// templates through the functions incidentLog.funcs gives them, so the
// index's model does not grow a field for them.

// pastDays is how many UTC days, today included, "Past incidents" covers.
const pastDays = 7

// reportDays is how far back a service page lists incident reports; older
// ones are on the history pages.
const reportDays = barDays

// historyDir holds one page per month, history/YYYY-MM.html.
const historyDir = "history"

// incidentLog is every retained announced outage and every incident notice
// that has begun, newest first.
type incidentLog struct {
	now     time.Time
	entries []logEntry
	first   time.Time  // the first retained day with data or an incident: where the history begins
	notices []logEntry // the incident notices of entries, for the service pages, which look them up once each
}

// logEntry is one incident of the lists: an announced outage or an
// incident notice, never both.
type logEntry struct {
	Start  time.Time
	Month  string // YYYY-MM of Start: its history page
	Outage *incidentView
	Notice *noticeView
	Latest *notice.Update // a notice's newest update as of the render, nil without one
	// WriteUp is where an outage's incident notice is told in full, from
	// the site's root (its history page); "" when none covers it.
	WriteUp string
}

// Anchor is the entry's id on its history page.
func (e logEntry) Anchor() string {
	if e.Notice != nil {
		return "notice-" + e.Notice.Slug
	}
	return "incident-" + e.Outage.ID
}

// entryArgs are what the "incident-entry" template shows: an entry, the
// way to the site's root, and whether in full (on its history page).
type entryArgs struct {
	Root  string
	Entry logEntry
	Full  bool
}

// dayGroup is one UTC day's entries, newest first; none on a quiet day.
type dayGroup struct {
	Date    time.Time
	Entries []logEntry
}

// pastView is what the "past-incidents" and "incident-reports" templates
// show.
type pastView struct {
	Root string
	Days []dayGroup
}

// monthLink names one month's history page.
type monthLink struct {
	Start time.Time // the month's first day, UTC
	Path  string    // from the site's root: history/YYYY-MM.html
	Count int       // incidents begun in the month
}

// historyPage is history.html (Month nil: the months, newest first) and
// each month's page (its days with incidents, newest first).
type historyPage struct {
	model
	Months     []monthLink
	Month      *monthLink
	Days       []dayGroup
	Prev, Next *monthLink
}

// newIncidentLog gathers in's outages (incidents.jsonl as Load retained
// it, and the ongoing ones) and incident notices that have begun.
func newIncidentLog(in Input) *incidentLog {
	now := in.Generated.UTC()
	l := &incidentLog{now: now}
	reports := map[string]notice.Notice{}
	for _, n := range in.Notices {
		if n.Kind == notice.Incident {
			reports[n.Slug] = n
		}
	}
	for _, list := range incidentsByService(in, now) {
		for i := range list {
			e := logEntry{Start: list[i].Start, Outage: &list[i]}
			if n, ok := reports[list[i].WriteUp]; ok && !n.Start.After(now) {
				e.WriteUp = historyPath(n)
			}
			l.entries = append(l.entries, e)
		}
	}
	for _, n := range in.Notices {
		if n.Kind != notice.Incident || n.Start.After(now) {
			continue
		}
		v := newNoticeView(n)
		e := logEntry{Start: n.Start, Notice: &v}
		if posted := n.Posted(now); len(posted) > 0 {
			e.Latest = &posted[len(posted)-1]
		}
		l.entries = append(l.entries, e)
	}
	for i := range l.entries {
		l.entries[i].Month = l.entries[i].Start.Format("2006-01")
	}
	slices.SortStableFunc(l.entries, func(a, b logEntry) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Anchor(), b.Anchor())
	})
	for _, e := range l.entries {
		if e.Notice != nil {
			l.notices = append(l.notices, e)
		}
	}
	l.first = in.firstDate()
	if n := len(l.entries); n > 0 && (l.first.IsZero() || l.entries[n-1].Start.Before(l.first)) {
		l.first = l.entries[n-1].Start
	}
	if l.first.IsZero() || l.first.After(now) {
		l.first = now
	}
	return l
}

// funcs are the template functions that hand the log's views to the
// templates; they are safe to call from several renders of pages at once.
func (l *incidentLog) funcs() template.FuncMap {
	return template.FuncMap{
		"pastIncidents":   l.past,
		"incidentReports": l.reports,
		"entryIn":         func(root string, e logEntry) entryArgs { return entryArgs{Root: root, Entry: e} },
		"fullEntry":       func(root string, e logEntry) entryArgs { return entryArgs{Root: root, Entry: e, Full: true} },
		"newestFirst":     l.newestFirst,
	}
}

// past is the index's "Past incidents": the last pastDays UTC days, today
// first, each with the incidents that began on it.
func (l *incidentLog) past(root string) pastView {
	today := l.now.Truncate(24 * time.Hour)
	v := pastView{Root: root, Days: make([]dayGroup, pastDays)}
	for d := range v.Days {
		v.Days[d].Date = today.AddDate(0, 0, -d)
	}
	for _, e := range l.entries {
		d := int(today.Sub(e.Start.Truncate(24*time.Hour)) / (24 * time.Hour))
		if d >= 0 && d < pastDays {
			v.Days[d].Entries = append(v.Days[d].Entries, e)
		}
	}
	return v
}

// reports are the incident notices of the last reportDays days that
// concern service (by its configured name), grouped by day, newest first.
func (l *incidentLog) reports(root, service string) pastView {
	cutoff := l.now.Truncate(24*time.Hour).AddDate(0, 0, -(reportDays - 1))
	var list []logEntry
	for _, e := range l.notices {
		if e.Notice.Covers(service) && !e.Start.Before(cutoff) {
			list = append(list, e)
		}
	}
	return pastView{Root: root, Days: byDay(list)}
}

// byDay groups entries, newest first, into the days they began on.
func byDay(entries []logEntry) []dayGroup {
	var days []dayGroup
	for _, e := range entries {
		day := e.Start.Truncate(24 * time.Hour)
		if n := len(days); n == 0 || !days[n-1].Date.Equal(day) {
			days = append(days, dayGroup{Date: day})
		}
		days[len(days)-1].Entries = append(days[len(days)-1].Entries, e)
	}
	return days
}

// months are the history's months, newest first: every month from the
// first retained day or incident to the current one, quiet ones included,
// so that a month without incidents says so rather than being missing.
func (l *incidentLog) months() []monthLink {
	counts := map[string]int{}
	for _, e := range l.entries {
		counts[e.Month]++
	}
	var out []monthLink
	first := time.Date(l.first.Year(), l.first.Month(), 1, 0, 0, 0, 0, time.UTC)
	for m := time.Date(l.now.Year(), l.now.Month(), 1, 0, 0, 0, 0, time.UTC); !m.Before(first); m = m.AddDate(0, -1, 0) {
		key := m.Format("2006-01")
		out = append(out, monthLink{Start: m, Path: historyDir + "/" + key + ".html", Count: counts[key]})
	}
	return out
}

// writeHistory renders history.html and a page per month into put.
func writeHistory(pages *template.Template, m model, l *incidentLog, put sink) error {
	months := l.months()
	var buf bytes.Buffer
	exec := func(name, out string, data historyPage) error {
		buf.Reset()
		if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
			return fmt.Errorf("site: render %s: %w", out, err)
		}
		return put(out, buf.Bytes())
	}
	index := historyPage{model: m, Months: months}
	index.Root, index.Page, index.Heading = "", "history.html", m.Lang.T("Incident history")
	if err := exec("history.html", "history.html", index); err != nil {
		return err
	}
	for i := range months {
		page := historyPage{model: m, Month: &months[i]}
		page.Root, page.Page = "../", months[i].Path
		page.Heading = strings.Replace(m.Lang.T("Incidents in {month}"), "{month}", m.Lang.MonthYear(months[i].Start), 1)
		var list []logEntry
		for _, e := range l.entries {
			if e.Month == months[i].Start.Format("2006-01") {
				list = append(list, e)
			}
		}
		page.Days = byDay(list)
		if i+1 < len(months) {
			page.Prev = &months[i+1]
		}
		if i > 0 {
			page.Next = &months[i-1]
		}
		if err := exec("history-month", months[i].Path, page); err != nil {
			return err
		}
	}
	return nil
}

// newestFirst is a timeline as the pages and the feed show it: the
// updates posted by the render's time, newest first.
func (l *incidentLog) newestFirst(n notice.Notice) []notice.Update {
	out := slices.Clone(n.Posted(l.now))
	slices.Reverse(out)
	return out
}

// historyPath is where n is told in full: its month's history page.
func historyPath(n notice.Notice) string {
	return historyDir + "/" + n.Start.UTC().Format("2006-01") + ".html#notice-" + n.Slug
}
