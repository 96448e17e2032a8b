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
	Refresh   int           // seconds between automatic reloads; 0 for 60
	Interval  time.Duration // the check interval: the page calls itself stale after three; 0 for 60 s
	Generated time.Time     // now, as far as the page is concerned
	Services  []Service     // in configuration order
	// Days are the daily rollups, ascending (history.Store.Rollups); the
	// index reads the last 90, a service page all of them.
	Days []history.Day
	// Incidents are the ended outages (incidents.jsonl) and the open ones
	// (Until zero), in any order.
	Incidents []uptime.Incident
	Notices   []notice.Notice
	// NoticeProblems are the notices Load left out (see notice.LoadDir),
	// each naming its file and line; never rendered, for the caller to report.
	NoticeProblems []error
}

// Service is one monitored service as the state file last saw it.
type Service struct {
	Name      string
	Status    uptime.Status // the last conclusive status; "" when never checked
	Confirmed bool          // for Down: the outage reached its threshold and was announced
	Since     time.Time     // when the current status began, when known
	LastCheck time.Time
	LastCode  int
	LastMS    int64
	LastError uptime.ErrorKind
	Recent    Recent // the last 24 hours, from raw history
}

// Recent summarises one service's raw checks of the last 24 hours, taken
// as whole UTC half-hours: the 48 that end with the one holding Generated
// (so 23½ to 24 hours), the same the sparkline draws. A check counts in
// the half-hour of its time, read from its own day's file.
type Recent struct {
	Checks, Up, Inconclusive int // Up counts degraded checks too
	P50MS, P95MS             int64
	// Buckets are the median latency of up checks in each of those 48
	// half-hours, oldest first, the one in progress last; -1 where there
	// is none.
	Buckets []int64
}

// Uptime is Up / (Checks − Inconclusive); ok is false without a conclusive check.
func (r Recent) Uptime() (ratio float64, ok bool) {
	n := r.Checks - r.Inconclusive
	if n <= 0 {
		return 0, false
	}
	return float64(r.Up) / float64(n), true
}
