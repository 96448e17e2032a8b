// Package config reads services.toml and the environment into one validated
// Config, reporting every problem at once with its file, line and key.
//
// Precedence is flags (applied by cli) > environment > file > defaults. The
// environment overrides the [settings] table: ALERT_AFTER_CONSECUTIVE_FAILURES,
// HEALTH_CHECK_RETRIES and HEALTH_CHECK_RETRY_DELAY replace settings'
// failure_threshold, retries and retry_delay, which are the defaults of every
// service; a service that sets its own value keeps it, being more specific.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Settings are the resolved [settings] table.
type Settings struct {
	Title            string        // default "Status"
	StatusPageURL    string        // STATUS_PAGE_URL overrides
	Interval         time.Duration // default 60s; HEALTH_CHECK_INTERVAL (seconds, or a duration like "90s")
	Retries          int           // attempts per check, the first included; default 3; HEALTH_CHECK_RETRIES
	RetryDelay       time.Duration // default 10s; HEALTH_CHECK_RETRY_DELAY (seconds)
	FailureThreshold int           // default 2; ALERT_AFTER_CONSECUTIVE_FAILURES
	RetentionDays    int           // default 60; HEALTH_CHECK_RETENTION_DAYS
	PruneAt          time.Duration // time of day UTC, from "HH:MM"; default 03:00
	MaxParallel      int           // checks in flight at once; default 64
	CheckDeadline    time.Duration // every check's deadline; default 4/5 of Interval, always below it
	Timeout          time.Duration // each attempt's, for services that set none; default 10s, or 4/5 of CheckDeadline when shorter
	CanaryURL        string        // optional: when it fails too, the cycle is inconclusive
	HeartbeatURL     string        // optional: requested after every completed cycle; printed redacted
	// Proxy is the route of checks, canary, heartbeat, Slack and GitHub:
	// "" (the default) the environment's HTTP_PROXY, HTTPS_PROXY and
	// NO_PROXY (see Config.ProxyEnv), "none" a direct connection, or a
	// proxy URL, whose userinfo is a secret. A service may set its own.
	Proxy       string
	MaxBody     int64 // bytes of a body a check reads at most; default 4 MiB; a service may set its own
	PostQuantum bool  // checks offer the hybrid X25519MLKEM768 key share; default false (see Service.PostQuantum)
	Quorum      int   // locations that must find a service down for a down verdict; default 1; a service may set its own

	IncidentRetentionDays int           // rollups and incidents.jsonl are kept this long; default 365
	Refresh               time.Duration // the page's meta refresh; default 60s
	Listen                string        // optional host:port where `run` serves /metrics and /healthz; "" serves nothing
}

// Slack is where transitions are announced.
type Slack struct {
	Channel    string // [slack].channel; SLACK_CHANNEL overrides
	WebhookURL string // SLACK_WEBHOOK_URL only: a secret never read from the file
	// RemindEvery repeats a DOWN alert while a service stays down; 0 (the default) is off.
	RemindEvery time.Duration
}

// Publish says where the site (and data) go after a cycle; Target "" means nowhere.
type Publish struct {
	Target      string        // "", "dir" or "github"
	Dir         string        // target "dir": the folder a static host serves
	Repo        string        // target "github": "owner/name"; GITHUB_REPOSITORY when unset
	Branch      string        // target "github": the branch data/ is committed to; default "main"
	PagesBranch string        // target "github": the branch site/ is committed to; default "gh-pages"
	PagesDir    string        // target "github": a folder on Branch for site/ instead of PagesBranch
	Every       time.Duration // publish_every: at most this often, and at once after a transition; default 5m
	Issues      bool          // target "github": open an issue per announced outage, close it on recovery
}

// ProxyEnv is the environment's proxy route, read as net/http reads it:
// each of HTTP_PROXY, HTTPS_PROXY and NO_PROXY, or its lower-case form when
// it is unset. HTTP and HTTPS are URLs (or host:port, meaning http://) whose
// userinfo is a secret; NoProxy lists hosts, domains and networks reached
// directly.
type ProxyEnv struct {
	HTTP, HTTPS, NoProxy string
}

// Config is everything statusgen needs from services.toml and the environment.
type Config struct {
	Path             string // the file it came from, for messages
	Settings         Settings
	Slack            Slack
	Publish          Publish
	Site             Site
	Services         []uptime.Service // in file order, every field resolved
	Locations        []Location       // [[location]]s in file order; none: the runner's own checks alone
	Debug            bool             // DEBUG=true/1/yes/on
	LogFormat        string           // LOG_FORMAT: "text" (default) or "json"
	GitHubToken      string           // GITHUB_TOKEN (secret)
	GitHubRepository string           // GITHUB_REPOSITORY, "owner/name"
	ProxyEnv         ProxyEnv         // the route when Settings.Proxy is ""

	// sources names where each non-default setting came from, for Print.
	sources map[string]string
}

// Error is one problem in the configuration. Line is 0 when unknown; File
// is empty when the problem is in the environment.
type Error struct {
	File string
	Line int
	Key  string // e.g. `settings.interval`, `service "Linker": async_verification.poll_interval`, `HEALTH_CHECK_RETRIES`
	Msg  string

	err error // the underlying cause, when there is one (reading the file)
}

// Error reads like `config services.toml:14: service "Linker": poll_interval must be a duration like "1s"`.
func (e *Error) Error() string {
	loc := "config"
	switch {
	case e.File != "" && e.Line > 0:
		loc = fmt.Sprintf("config %s:%d", e.File, e.Line)
	case e.File != "":
		loc = "config " + e.File
	}
	if e.Key == "" {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Key + " " + e.Msg
}

// Unwrap gives the cause, so errors.Is(err, fs.ErrNotExist) works for a missing file.
func (e *Error) Unwrap() error { return e.err }

// Load reads the file at path and parses it with the environment getenv
// and the command line's flags.
func Load(path string, getenv func(string) string, flags ...Flag) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := "cannot be read: " + err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = "cannot be read: " + pe.Err.Error()
		}
		return nil, &Error{File: path, Msg: msg, err: err}
	}
	return Parse(path, data, getenv, flags...)
}

// Parse decodes data (the contents of path), the environment getenv and
// the flags into a validated Config. On failure it returns every problem
// found, each an *Error, joined with errors.Join and ordered by line
// (environment and flags last).
func Parse(path string, data []byte, getenv func(string) string, flags ...Flag) (*Config, error) {
	d := newDecoder(path, data, getenv)
	d.flags = flags
	cfg := d.decode()
	if len(d.errs) > 0 {
		return nil, joinSorted(d.errs)
	}
	return cfg, nil
}

// joinSorted orders problems by line, those without a line last, so the
// user reads them top-down as in the file.
func joinSorted(errs []*Error) error {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		la, lb := a.Line, b.Line
		if la == 0 {
			la = int(^uint(0) >> 1)
		}
		if lb == 0 {
			lb = int(^uint(0) >> 1)
		}
		return cmp.Compare(la, lb)
	})
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}
