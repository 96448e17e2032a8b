package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/agent"
	"github.com/Sefaria/statusgen/internal/blackbox"
	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/runner"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// hasRemoteLocations reports whether some [[location]] has a url: an agent
// or a blackbox_exporter the decider asks.
func hasRemoteLocations(cfg *config.Config) bool {
	for _, l := range cfg.Locations {
		if l.URL != "" {
			return true
		}
	}
	return false
}

// asker asks one location for one service's check; votes is false when
// the location does not check that service at all.
type asker func(ctx context.Context, svc uptime.Service) (res uptime.Result, votes bool, err error)

// remoteAskers gives each location, in configuration order, its asker:
// the location without a url is this machine (checker), the others agents
// and blackbox_exporters. It fails, for exit 2, when the configuration
// cannot be asked so.
func remoteAskers(cfg *config.Config, checker runner.Checker, getenv func(string) string, logger *slog.Logger) ([]asker, error) {
	token := getenv(AgentTokenEnv)
	var local []string
	for _, l := range cfg.Locations {
		switch {
		case l.URL == "":
			local = append(local, l.Name)
		case l.Kind == config.KindAgent && token == "":
			return nil, fmt.Errorf("location %q is an agent: set %s to the token its agent was started with", l.Name, AgentTokenEnv)
		case l.Kind == config.KindBlackbox:
			for _, svc := range cfg.Services {
				if ok, why := blackbox.Eligible(svc); !ok {
					logger.Warn("blackbox location does not vote on this service", "location", l.Name, "service", svc.Name, "why", why)
				}
			}
		}
	}
	if len(local) > 1 {
		return nil, fmt.Errorf("locations %s have no url: only one location can be this machine; give the others their agent's url",
			strings.Join(local, ", "))
	}
	transport := apiTransport(cfg)
	transport.MaxIdleConnsPerHost = max(cfg.Settings.MaxParallel, 1)
	hc := &http.Client{Transport: transport}
	askers := make([]asker, len(cfg.Locations))
	for i, l := range cfg.Locations {
		switch {
		case l.URL == "":
			askers[i] = func(ctx context.Context, svc uptime.Service) (uptime.Result, bool, error) {
				res := checker.Check(ctx, svc)
				res.Location = l.Name
				return res, true, nil
			}
		case l.Kind == config.KindBlackbox:
			c := &blackbox.Client{Location: l.Name, BaseURL: l.URL, Module: l.Module, HTTP: hc}
			askers[i] = func(ctx context.Context, svc uptime.Service) (uptime.Result, bool, error) {
				if ok, _ := blackbox.Eligible(svc); !ok {
					return uptime.Result{}, false, nil
				}
				res, err := c.Probe(ctx, svc)
				return res, true, err
			}
		default:
			c := &agent.Client{Location: l.Name, BaseURL: l.URL, Token: token, HTTP: hc}
			askers[i] = func(ctx context.Context, svc uptime.Service) (uptime.Result, bool, error) {
				res, err := c.Check(ctx, svc.Name)
				return res, true, err
			}
		}
	}
	return askers, nil
}

// remoteBallots is once's cycle with locations at urls: it asks every
// location for its checks, all in parallel and within the check deadline.
// This machine's location checks as a plain once does, canary included.
// A check a location did not answer is missing from the vote and counted
// in the log, never a failure.
func remoteBallots(cfg *config.Config, r *runner.Runner, getenv func(string) string, logger *slog.Logger) (func(context.Context, time.Time) []uptime.Result, error) {
	askers, err := remoteAskers(cfg, r.Checker, getenv, logger)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, start time.Time) []uptime.Result {
		ctx, cancel := context.WithDeadline(ctx, start.Add(cfg.Settings.CheckDeadline))
		defer cancel()
		votes := make([][]uptime.Result, len(cfg.Locations))
		var wg sync.WaitGroup
		for i, l := range cfg.Locations {
			wg.Go(func() {
				if l.URL == "" {
					votes[i], _ = r.Probe(ctx, start)
					for j := range votes[i] {
						votes[i][j].Location = l.Name
					}
					return
				}
				votes[i] = askAll(ctx, cfg, l.Name, logger, askers[i])
			})
		}
		wg.Wait()
		var all []uptime.Result
		for _, v := range votes {
			all = append(all, v...)
		}
		return all
	}, nil
}

// remoteLocate is run's check of one service with locations at urls: it
// asks every location at once, under the check's deadline. A location
// that stops answering is logged when it stops and when it answers again,
// not at every check.
func remoteLocate(cfg *config.Config, checker runner.Checker, getenv func(string) string, logger *slog.Logger) (func(context.Context, uptime.Service) []uptime.Result, error) {
	askers, err := remoteAskers(cfg, checker, getenv, logger)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	failing := make([]bool, len(askers))
	return func(ctx context.Context, svc uptime.Service) []uptime.Result {
		results := make([]uptime.Result, len(askers))
		answered := make([]bool, len(askers))
		var wg sync.WaitGroup
		for i, ask := range askers {
			wg.Go(func() {
				asked := time.Now().UTC()
				res, votes, err := ask(ctx, svc)
				name := cfg.Locations[i].Name
				mu.Lock()
				switch {
				case err != nil && !failing[i]:
					logger.Warn("location stopped answering; its checks do not vote", "location", name, "service", svc.Name, "err", err.Error())
				case err == nil && failing[i]:
					logger.Info("location answers again", "location", name)
				case err != nil:
					logger.Debug("location did not answer", "location", name, "service", svc.Name, "err", err.Error())
				}
				failing[i] = err != nil
				mu.Unlock()
				if err != nil || !votes {
					return
				}
				if cfg.Locations[i].URL != "" {
					res.Time = asked
				}
				results[i], answered[i] = res, true
			})
		}
		wg.Wait()
		out := results[:0]
		for i := range results {
			if answered[i] {
				out = append(out, results[i])
			}
		}
		return out
	}, nil
}

// askAll asks one remote location for every service's check, at most
// max_parallel at once. Each answer is dated when the decider asked, by
// its own clock, so that a location's skewed clock cannot set its vote
// aside as a past cycle's. Failures are logged once for the location.
func askAll(ctx context.Context, cfg *config.Config, location string, logger *slog.Logger,
	ask asker) []uptime.Result {
	results := make([]uptime.Result, len(cfg.Services))
	answered := make([]bool, len(cfg.Services))
	errs := make([]error, len(cfg.Services))
	sem := make(chan struct{}, max(cfg.Settings.MaxParallel, 1))
	var wg sync.WaitGroup
	for i, svc := range cfg.Services {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			asked := time.Now().UTC()
			res, votes, err := ask(ctx, svc)
			if err != nil {
				errs[i] = err
				return
			}
			res.Time = asked
			results[i], answered[i] = res, votes
		})
	}
	wg.Wait()
	out := results[:0]
	failed, first := 0, error(nil)
	for i := range results {
		if answered[i] {
			out = append(out, results[i])
		}
		if errs[i] != nil {
			if failed == 0 {
				first = errs[i]
			}
			failed++
		}
	}
	if failed > 0 {
		logger.Warn("location did not answer some checks; they do not vote", "location", location,
			"unanswered", failed, "of", len(cfg.Services), "first_error", first.Error())
	}
	return out
}
