package runner

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/quorum"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// Probe runs this machine's checks of every service for the cycle that
// starts at start, and checks the canary when one failed: if the canary
// fails too, the failures are inconclusive and canaryDown is true. It is
// one location's part of a cycle, without history, state or alerts.
func (r *Runner) Probe(ctx context.Context, start time.Time) (results []uptime.Result, canaryDown bool) {
	results = r.probeAll(ctx, start)
	if r.canaryFailed(ctx, results) {
		markInconclusive(results, "the monitor's canary failed too: its own network is in doubt")
		canaryDown = true
	}
	return results, canaryDown
}

// decide turns the cycle's checks into each service's verdict. With
// several locations the checks are kept beside the verdicts, to be
// recorded with their location; with one, the check is the verdict and
// nothing else is written, as before locations existed.
func (r *Runner) decide(checks []uptime.Result) (verdicts, located []uptime.Result) {
	cfg := r.Config
	if r.Ballots == nil && !cfg.MultiLocation() {
		return checks, nil
	}
	checks = r.dropDecided(checks)
	verdicts = quorum.DecideAmong(cfg.Services, cfg.LocationNames(), cfg.Checkers, checks)
	if !cfg.MultiLocation() {
		return verdicts, nil
	}
	// Only what voted is recorded: not a removed service's check from a
	// probe that ran with an older services.toml.
	configured := make(map[string]bool, len(cfg.Services))
	for _, svc := range cfg.Services {
		configured[svc.Name] = true
	}
	located = slices.DeleteFunc(checks, func(c uptime.Result) bool { return c.Location == "" || !configured[c.Service] })
	return verdicts, located
}

// dropDecided sets aside the checks of a cycle already decided: a verdict
// is dated by its latest check, and every check of a later cycle is made
// after it. A results file read twice (a rerun, a stale artifact) must not
// count its failures twice.
func (r *Runner) dropDecided(checks []uptime.Result) []uptime.Result {
	stale := map[string]int{}
	kept := checks[:0:0]
	for _, c := range checks {
		if ss := r.state.Services[c.Service]; ss != nil && !c.Time.After(ss.LastCheck) {
			stale[c.Location]++
			continue
		}
		kept = append(kept, c)
	}
	for _, name := range r.Config.LocationNames() {
		if n := stale[name]; n > 0 {
			r.Logger.Warn("results of a cycle already decided set aside", "location", name, "checks", n)
		}
	}
	return kept
}

// logLocations says which locations sent nothing this cycle and what each
// verdict set aside, so a missing vote is never silent.
func (r *Runner) logLocations(rep *Report, checks []uptime.Result) {
	if r.Ballots == nil && !r.Config.MultiLocation() {
		return
	}
	reported := map[string]bool{}
	for _, c := range checks {
		reported[c.Location] = true
	}
	for _, name := range r.Config.LocationNames() {
		if !reported[name] {
			rep.Missing = append(rep.Missing, name)
		}
	}
	if len(rep.Missing) > 0 {
		r.Logger.Warn("locations missing from the vote", "locations", named(rep.Missing))
	}
	for _, v := range rep.Results {
		if v.Note != "" {
			r.Logger.Info("quorum note", "service", v.Service, "status", string(v.Status), "note", v.Note)
		}
	}
}

// locate is Run's check of svc from every location: the verdict the
// quorum makes of their checks, and, with several locations, the checks
// to record beside it. When no location answered, the verdict is
// inconclusive, so that the cycle still completes and no streak moves.
func (r *Runner) locate(ctx context.Context, svc uptime.Service) (verdict uptime.Result, located []uptime.Result) {
	start := r.now().UTC()
	checks := r.Locate(ctx, svc)
	verdicts := quorum.DecideAmong([]uptime.Service{svc}, r.Config.LocationNames(), r.Config.Checkers, checks)
	if len(verdicts) == 0 {
		note := "no answer from " + strings.Join(r.checkers(svc), ", ")
		if len(r.checkers(svc)) == 0 {
			note = "no location can check it" // e.g. only blackbox_exporters, and an async check
		}
		return uptime.Result{Time: start, Service: svc.Name, Status: uptime.Inconclusive, Error: uptime.ErrNoQuorum, Note: note}, nil
	}
	if r.Config.MultiLocation() {
		located = slices.DeleteFunc(checks, func(c uptime.Result) bool { return c.Location == "" || c.Service != svc.Name })
	}
	return verdicts[0], located
}

// checkers are the names of the locations that can check svc.
func (r *Runner) checkers(svc uptime.Service) []string {
	var names []string
	for i, ok := range r.Config.Checkers(svc) {
		if ok {
			names = append(names, r.Config.Locations[i].Name)
		}
	}
	return names
}
