package runner

import (
	"strconv"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// What a runner says about its cycles on the log, so that `run` is not
// silent and a machine without network is not mistaken for every service
// failing. At 10,000 services a cycle is one line, plus one per failed
// check: nothing per success.

// maxNamed is how many failing services a cycle's line names.
const maxNamed = 10

// logFailures logs each failed check: its service, kind and detail.
func (r *Runner) logFailures(results []uptime.Result) {
	for _, res := range results {
		if res.Status == uptime.Down {
			r.Logger.Info("check failed", "service", res.Service, "error", string(res.Error),
				"detail", res.Detail, "code", res.Code, "attempts", res.Attempts)
		}
	}
}

// logCycle is `run`'s line for a completed cycle: how many services are
// up, degraded and down, which are failing but below their threshold
// (no alert yet), and how long the cycle took.
func (r *Runner) logCycle(rep *Report, thresholds map[string]int) {
	var up, degraded, down, inconclusive int
	var below []string
	for _, res := range rep.Results {
		switch res.Status {
		case uptime.Up:
			up++
		case uptime.Degraded:
			degraded++
		case uptime.Inconclusive:
			inconclusive++
		default:
			down++
			if streak, threshold := rep.Streaks[res.Service], thresholds[res.Service]; streak < threshold {
				below = append(below, res.Service+" "+strconv.Itoa(streak)+"/"+strconv.Itoa(threshold))
			}
		}
	}
	attrs := []any{"up", up, "degraded", degraded, "down", down}
	if inconclusive > 0 {
		attrs = append(attrs, "inconclusive", inconclusive)
	}
	if len(below) > 0 {
		attrs = append(attrs, "below_threshold", named(below))
	}
	attrs = append(attrs, "transitions", len(rep.Transitions), "took", rep.Duration.Round(time.Millisecond))
	r.Logger.Info("cycle done", attrs...)
}

// named lists the first maxNamed names and counts the rest.
func named(names []string) string {
	if len(names) <= maxNamed {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:maxNamed], ", ") + " and " + strconv.Itoa(len(names)-maxNamed) + " more"
}

// warnIfOffline says in one line when every service failed before it was
// reached (its name did not resolve, or no connection opened): more
// likely the machine's network than all of them at once.
func (r *Runner) warnIfOffline(results []uptime.Result) {
	if len(results) == 0 {
		return
	}
	for _, res := range results {
		if res.Status != uptime.Down || res.Error != uptime.ErrDNS && res.Error != uptime.ErrConnect {
			return
		}
	}
	r.Logger.Warn("every service failed to resolve or connect: this machine itself may have no network (check its DNS, proxy and firewall)",
		"services", len(results))
}
