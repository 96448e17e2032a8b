package cli

import (
	"context"
	"net/http"
	"net/url"

	"golang.org/x/net/http/httpproxy"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/probe"
	"github.com/Sefaria/statusgen/internal/runner"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// Everything statusgen sends takes one route: [settings] proxy, or by
// default the environment's HTTP_PROXY, HTTPS_PROXY and NO_PROXY. A
// service may name its own (its checks only). So the canary, which tells
// an outage from the monitor's own network failing, is judged on the
// path the checks use, and Slack, GitHub and the heartbeat reach the
// world the same way.

// environmentProxy is the route the environment names, read from the
// configuration (which read it through getenv) by the code net/http runs
// for ProxyFromEnvironment, so that it means what it means to curl and Go:
// requests to localhost and loopback addresses never use it. Nil when the
// environment names no proxy: the prober then knows its connections are
// direct, and resets them at the end (see probe's dialFunc).
func environmentProxy(cfg *config.Config) func(*http.Request) (*url.URL, error) {
	if cfg.ProxyEnv.HTTP == "" && cfg.ProxyEnv.HTTPS == "" {
		return nil
	}
	pc := httpproxy.Config{HTTPProxy: cfg.ProxyEnv.HTTP, HTTPSProxy: cfg.ProxyEnv.HTTPS, NoProxy: cfg.ProxyEnv.NoProxy}
	f := pc.ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return f(r.URL) }
}

// settingsProxy is the route of [settings] proxy: the one of the canary,
// the heartbeat, Slack and GitHub, and of checks that name none.
func settingsProxy(cfg *config.Config) func(*http.Request) (*url.URL, error) {
	proxy, err := probe.Proxy(cfg.Settings.Proxy, environmentProxy(cfg))
	if err != nil { // config has validated the setting
		return func(*http.Request) (*url.URL, error) { return nil, err }
	}
	return proxy
}

// newProber is the checks' prober.
func newProber(cfg *config.Config, retrying func(uptime.Service, probe.Retry)) *probe.Prober {
	return &probe.Prober{UserAgent: userAgent(cfg), Proxy: environmentProxy(cfg), Retrying: retrying}
}

// apiTransport carries Slack's and GitHub's requests: net/http's default
// transport, keep-alives and all, on the configuration's route.
func apiTransport(cfg *config.Config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = settingsProxy(cfg)
	return t
}

// ping is the canary's and the heartbeat's request, on the configuration's route.
func ping(cfg *config.Config) func(ctx context.Context, rawURL string) error {
	return runner.NewPing(settingsProxy(cfg))
}
