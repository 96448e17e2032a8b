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
	case uptime.ErrProtocol, uptime.ErrBody, uptime.ErrNotJSON, uptime.ErrNoTaskID, uptime.ErrBadResult:
		return "Not responding correctly"
	case uptime.ErrTaskFailed:
		return "Task failed"
	case uptime.ErrTaskTimeout:
		return "Task did not finish in time"
	case uptime.ErrCanary, uptime.ErrInternal:
		return "The monitor could not check"
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
	condDegraded = condition{"degraded", "▲", "Degraded performance", "degraded_performance"}
	condPossible = condition{"degraded", "▲", "Possible outage", "partial_outage"}
	condDown     = condition{"down", "✖", "Down", "major_outage"}
	condMaint    = condition{"maint", "⚙", "Under maintenance", "under_maintenance"}
	condUnknown  = condition{"unknown", "?", "No data yet", "degraded_performance"}
)

// conditionOf reads a service's state; under is true during a maintenance
// window that covers it.
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
	case s.Status == uptime.Down:
		return condPossible // failing, but below its threshold: not yet an outage
	}
	return condUnknown
}

// banner is the page's one-glance summary.
type banner struct {
	Class, Icon, Text string
	Indicator         string // Statuspage's status.indicator
}

// overall applies the banner rule (README "The status page"): services under
// maintenance are left out; more than half of the rest confirmed down is a
// major outage; any confirmed down a partial outage; any degraded or
// possibly down, degraded performance; else all systems operational. With no
// conclusive check at all, it says so.
func overall(conds []condition) banner {
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
		return banner{"down", "✖", "Major outage", "critical"}
	case down > 0:
		return banner{"down", "✖", "Partial outage", "major"}
	case degraded > 0:
		return banner{"degraded", "▲", "Degraded performance", "minor"}
	case counted > 0 && unknown == counted:
		return banner{"unknown", "?", "Waiting for the first checks", "none"}
	case counted == 0 && len(conds) > 0:
		return banner{"maint", "⚙", "Under maintenance", "maintenance"}
	}
	return banner{"up", "✔", "All systems operational", "none"}
}
