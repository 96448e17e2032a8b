// Package site renders the static status site (index, one page per service,
// notices, status.json, an Atom feed, badges) from history rollups, the
// tracker's state and notices. The same Input gives byte-identical files:
// every time comes from the Input and every list is sorted.
package site

import (
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// Input is everything a render reads. Load assembles it from a data folder;
// tests build it by hand.
type Input struct {
	Title     string
	URL       string        // the public address (status_page_url), for the feed and status.json; "" when unknown
	SourceURL string        // the footer's link to the source; "" for statusgen's repository
	HomeURL   string        // the organisation's own site, linked from the header; "" for none
	Logo      string        // path of the logo file shown beside the title, copied into the site; "" for none
	Refresh   int           // seconds between automatic reloads; 0 for 60
	Interval  time.Duration // the expected cadence of checks (the interval setting); 0 for 60 s. A check stands for at most two (history.SpanCap); the page calls itself stale after three, or two refreshes if longer
	Generated time.Time     // now, as far as the page is concerned
	Services  []Service     // in configuration order
	// Past are the daily rollups, packed, each ledger's days after the
	// one's before: Load gives the retained days but the last two, then
	// yesterday, then today. The index reads the last 90 days, a service
	// page all of them.
	Past []*history.Ledger
	// Incidents are the ended outages (incidents.jsonl) and the open ones
	// (Until zero), in any order.
	Incidents []uptime.Incident
	Notices   []notice.Notice
	// NoticeProblems are the notices Load left out (see notice.LoadDir),
	// each naming its file and line; never rendered, for the caller to report.
	NoticeProblems []error
	// Languages are the site's languages ([site] languages), the first at
	// the root, each other under <code>/ (see lang.go); nil for English.
	Languages []string
}

// Service is one monitored service as the state file last saw it.
type Service struct {
	Name      string
	Group     string        // the index's section for it; "" for none
	Status    uptime.Status // the last conclusive status; "" when never checked
	Confirmed bool          // for Down: the outage reached its threshold and was announced
	Since     time.Time     // when the status shown began, when known
	LastCheck time.Time
	LastCode  int
	LastMS    int64
	LastError uptime.ErrorKind
	Recent    Recent // the last 24 hours, from raw history

	// Failures counts the consecutive failed checks. Below the threshold
	// (Down, not Confirmed) they are only a note beside the status shown,
	// which is the one before them: Operational if the service ever
	// answered (LastSuccess), else No data yet.
	Failures    int
	LastSuccess time.Time // the last up or degraded check; zero if none is on record

	// With several [[location]]s: what each configured location last saw
	// (see LocationCheck), and the latest verdict's note on what the
	// quorum set aside ("Down from 1 of 3 locations: eu-west"), shown
	// muted; it changes nothing else. Both empty with one location.
	Locations []LocationCheck
	Note      string
	// Names are its display names by language code ([[service]] names);
	// Name stays its identity, and its name where none is given.
	Names map[string]string
}

// Recent summarises one service's raw checks of the last 24 hours, taken
// as whole UTC half-hours: the 48 that end with the one holding Generated
// (so 23½ to 24 hours), the same the response-time chart draws. A check counts in
// the half-hour of its time, read from its own day's file; its span (until
// the service's next check, at most history.SpanCap, the newest until
// Generated) counts in the half-hours it falls in.
type Recent struct {
	Checks, Up, Inconclusive int // Up counts degraded checks too
	// UpTime (degraded included) and DownTime are what the checks stood
	// for; the rest of the window is no data or inconclusive.
	UpTime, DownTime time.Duration
	P50MS, P95MS     int64
	// Buckets are the median latency of up checks in each of those 48
	// half-hours, oldest first, the one in progress last; -1 where there
	// is none. Buckets95 are their 95th percentiles, in the same places.
	Buckets, Buckets95 []int64
}

// Uptime is UpTime / (UpTime + DownTime); ok is false without either.
func (r Recent) Uptime() (ratio float64, ok bool) {
	n := r.UpTime + r.DownTime
	if n <= 0 {
		return 0, false
	}
	return float64(r.UpTime) / float64(n), true
}

// serviceDays appends service name's days to dst, oldest first.
func (in *Input) serviceDays(dst []history.DaySummary, name string) []history.DaySummary {
	for _, l := range in.Past {
		dst = l.Append(dst, name)
	}
	return dst
}

// pastDays are the days Past holds, ascending.
func (in *Input) pastDays() []history.LedgerDay {
	var out []history.LedgerDay
	for _, l := range in.Past {
		out = append(out, l.Days()...)
	}
	return out
}

// HistoryBytes is the memory the packed days take (history.Ledger.Bytes).
func (in *Input) HistoryBytes() int {
	n := 0
	for _, l := range in.Past {
		n += l.Bytes()
	}
	return n
}

// firstDay is the first day with a rollup of service name.
func (in *Input) firstDay(name string) (time.Time, bool) {
	for _, l := range in.Past {
		if day, ok := l.FirstDay(name); ok {
			return day, true
		}
	}
	return time.Time{}, false
}

// firstDate is the first day with any rollup, zero without one.
func (in *Input) firstDate() time.Time {
	if days := in.pastDays(); len(days) > 0 {
		return days[0].Start
	}
	return time.Time{}
}
