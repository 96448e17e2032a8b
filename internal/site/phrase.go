package site

import (
	"fmt"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Phrase is the public words for why a check failed. The page never shows
// remote text (a detail or a body): only one fixed phrase per error kind,
// and for an unexpected HTTP status, its number. code is 0 when unknown.
func Phrase(kind uptime.ErrorKind, code int) string {
	switch kind {
	case uptime.ErrTimeout:
		return "Request timed out"
	case uptime.ErrDNS, uptime.ErrConnect:
		return "Service unreachable"
	case uptime.ErrTLS:
		return "Secure connection failed"
	case uptime.ErrRedirect:
		return "Unexpected redirect"
	case uptime.ErrStatus:
		if code >= 100 && code <= 999 {
			return fmt.Sprintf("Unexpected response (HTTP %d)", code)
		}
		return "Unexpected response"
	case uptime.ErrProtocol:
		return "Invalid response" // it answered, so never "unreachable"
	case uptime.ErrTooLarge:
		return "Response too large"
	case uptime.ErrBody, uptime.ErrNotJSON, uptime.ErrNoTaskID, uptime.ErrBadResult:
		return "Not responding correctly"
	case uptime.ErrTaskFailed:
		return "Task failed"
	case uptime.ErrTaskTimeout:
		return "Task did not finish in time"
	case uptime.ErrCanary, uptime.ErrInternal:
		return "The monitor could not check"
	case uptime.ErrNoQuorum:
		return "Too few locations answered" // the monitor's vantage points, never the service, were short
	}
	return "Not responding correctly"
}

// condition is what a row, a badge and status.json say about a service.
type condition struct {
	Class     string // CSS class and badge colour: up, degraded, down, maint, unknown
	Icon      string // a shape, so the status never rests on colour alone
	Word      string // the status in words
	Component string // Statuspage's component status
}

var (
	condUp       = condition{"up", "✔", "Operational", "operational"}
	condDegraded = condition{"degraded", "▲", "Degraded performance", "degraded_performance"} // slow (degraded_after), never failing
	condDown     = condition{"down", "✖", "Down", "major_outage"}
	condMaint    = condition{"maint", "⚙", "Under maintenance", "under_maintenance"}
	// Never checked: Statuspage has no "unknown", and a component new
	// there is operational until someone says otherwise.
	condUnknown = condition{"unknown", "?", "No data yet", "operational"}
)

// conditionOf reads a service's confirmed state; under is true during a
// maintenance window that covers it. Failures below the threshold are not
// an outage yet: the service keeps the condition it had before them (see
// watchNote), so one failed check never changes the page, the banner, a
// badge or status.json.
func conditionOf(s Service, under bool) condition {
	switch {
	case under:
		return condMaint
	case s.Status == uptime.Up:
		return condUp
	case s.Status == uptime.Degraded:
		return condDegraded
	case s.Status == uptime.Down && s.Confirmed:
		return condDown
	case s.Status == uptime.Down && !s.LastSuccess.IsZero():
		return condUp
	}
	return condUnknown
}

// watchNote is the muted note beside a service failing below its
// threshold: "1 failed check, watching"; "" otherwise.
func watchNote(s Service) string {
	switch {
	case s.Status != uptime.Down || s.Confirmed || s.Failures <= 0:
		return ""
	case s.Failures == 1:
		return "1 failed check, watching"
	}
	return fmt.Sprintf("%d failed checks, watching", s.Failures)
}

// banner is the page's one-glance summary.
type banner struct {
	Class, Icon, Text string
	Indicator         string // Statuspage's status.indicator
}

var (
	bannerCritical = banner{"down", "✖", "Major outage", "critical"}
	bannerMajor    = banner{"down", "✖", "Partial outage", "major"}
	bannerMinor    = banner{"degraded", "▲", "Degraded performance", "minor"}
	bannerWaiting  = banner{"unknown", "?", "Waiting for the first checks", "none"}
	bannerMaint    = banner{"maint", "⚙", "Under maintenance", "maintenance"}
	bannerUp       = banner{"up", "✔", "All systems operational", "none"}
)

// overall applies the banner rule (docs/status-page.md) to the
// services' conditions and the number of ongoing outages listed: services
// under maintenance are left out; more than half of the rest confirmed
// down is a major outage; any confirmed down a partial outage; any
// degraded (slow), degraded performance; else all systems operational.
// With no conclusive check at all, it says so. An ongoing outage that is
// listed makes it at least a partial outage, even when its service is
// under maintenance: the banner and status.json's indicator never say
// less than the incidents they list.
func overall(conds []condition, ongoing int) banner {
	b := overallOf(conds)
	if ongoing > 0 && (b.Indicator == "none" || b.Indicator == "minor" || b.Indicator == "maintenance") {
		return bannerMajor
	}
	return b
}

// worst is the condition of a group of services: down before degraded
// before under maintenance before no data before operational.
func worst(conds []condition) condition {
	rank := func(c condition) int {
		return map[string]int{"down": 4, "degraded": 3, "maint": 2, "unknown": 1}[c.Class]
	}
	w := condUp
	for _, c := range conds {
		if rank(c) > rank(w) {
			w = c
		}
	}
	return w
}

func overallOf(conds []condition) banner {
	var counted, down, degraded, unknown int
	for _, c := range conds {
		switch c.Class {
		case "maint":
			continue
		case "down":
			down++
		case "degraded":
			degraded++
		case "unknown":
			unknown++
		}
		counted++
	}
	switch {
	case down > 0 && 2*down > counted:
		return bannerCritical
	case down > 0:
		return bannerMajor
	case degraded > 0:
		return bannerMinor
	case counted > 0 && unknown == counted:
		return bannerWaiting
	case counted == 0 && len(conds) > 0:
		return bannerMaint
	}
	return bannerUp
}
