package config

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// environment applies the variables of the original monitor over the file.
// Problems name the variable; a secret's value is never repeated, and other
// values are echoed only as far as they help (they are numbers or words).
func (d *decoder) environment(cfg *Config) {
	s := &cfg.Settings
	set := func(key, name string) { cfg.sources[key] = name }

	if v, ok := d.env("STATUS_PAGE_URL"); ok {
		if msg := checkURL(v); msg != "" {
			d.failEnv("STATUS_PAGE_URL", msg)
		} else {
			s.StatusPageURL = v
			set("settings.status_page_url", "STATUS_PAGE_URL")
		}
	}
	if v, ok := d.envSeconds("HEALTH_CHECK_INTERVAL", positive); ok {
		s.Interval = v
		set("settings.interval", "HEALTH_CHECK_INTERVAL")
	}
	if v, ok := d.envSeconds("HEALTH_CHECK_RETRY_DELAY", nonNegative); ok {
		s.RetryDelay = v
		set("settings.retry_delay", "HEALTH_CHECK_RETRY_DELAY")
	}
	if v, ok := d.envInt("HEALTH_CHECK_RETRIES"); ok {
		s.Retries = v
		set("settings.retries", "HEALTH_CHECK_RETRIES")
	}
	if v, ok := d.envInt("ALERT_AFTER_CONSECUTIVE_FAILURES"); ok {
		s.FailureThreshold = v
		set("settings.failure_threshold", "ALERT_AFTER_CONSECUTIVE_FAILURES")
	}
	if v, ok := d.envInt("HEALTH_CHECK_RETENTION_DAYS"); ok {
		s.RetentionDays = v
		set("settings.retention_days", "HEALTH_CHECK_RETENTION_DAYS")
	}

	if v, ok := d.env("SLACK_CHANNEL"); ok {
		cfg.Slack.Channel = v
		set("slack.channel", "SLACK_CHANNEL")
	}
	if v, ok := d.env("SLACK_WEBHOOK_URL"); ok {
		if msg := checkURL(v); msg != "" {
			d.failEnv("SLACK_WEBHOOK_URL", `must be an absolute http or https URL (the value is not shown: it is a secret)`)
		} else {
			cfg.Slack.WebhookURL = v
		}
	}

	cfg.Debug = false
	if v, ok := d.env("DEBUG"); ok {
		switch strings.ToLower(v) {
		case "1", "true", "yes", "on":
			cfg.Debug = true
		case "0", "false", "no", "off":
		default:
			d.failEnv("DEBUG", fmt.Sprintf(`must be true or false (also 1/0, yes/no, on/off), got %q`, clip(v)))
		}
	}
	cfg.LogFormat = "text"
	if v, ok := d.env("LOG_FORMAT"); ok {
		switch f := strings.ToLower(v); f {
		case "text", "json":
			cfg.LogFormat = f
		default:
			d.failEnv("LOG_FORMAT", fmt.Sprintf(`must be "text" or "json", got %q`, clip(v)))
		}
	}

	cfg.ProxyEnv = ProxyEnv{
		HTTP:    d.proxyEnv("HTTP_PROXY"),
		HTTPS:   d.proxyEnv("HTTPS_PROXY"),
		NoProxy: d.envOr("NO_PROXY"),
	}

	cfg.GitHubToken, _ = d.env("GITHUB_TOKEN")
	if v, ok := d.env("GITHUB_REPOSITORY"); ok {
		if !validRepo(v) {
			d.failEnv("GITHUB_REPOSITORY", fmt.Sprintf(`must be "owner/name", got %q`, clip(v)))
		} else {
			cfg.GitHubRepository = v
		}
	}
}

// envOr reads name, or its lower-case form when name is unset, as net/http does.
func (d *decoder) envOr(name string) string {
	if v, ok := d.env(name); ok {
		return v
	}
	v, _ := d.env(strings.ToLower(name))
	return v
}

// proxyEnv reads a proxy variable as net/http would use it: a URL, or a
// host:port meaning http://host:port, which it returns in full. Its value
// is never echoed.
func (d *decoder) proxyEnv(name string) string {
	v := d.envOr(name)
	if v == "" {
		return ""
	}
	full := v
	if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
		full = "http://" + v
	}
	if msg := checkProxy(full); msg != "" || full == "http://none" {
		d.failEnv(name, `must be a proxy URL like "http://proxy.example:3128" (the value is not shown: it may hold a password)`)
		return ""
	}
	return full
}

// validRepo reports whether s is a GitHub "owner/name".
func validRepo(s string) bool {
	owner, name, found := strings.Cut(s, "/")
	return found && owner != "" && name != "" && !strings.Contains(name, "/")
}

// env reads a variable, trimmed; ok is false when it is unset or blank.
func (d *decoder) env(name string) (string, bool) {
	v := strings.TrimSpace(d.getenv(name))
	return v, v != ""
}

// envInt reads a whole number of at least 1.
func (d *decoder) envInt(name string) (int, bool) {
	v, ok := d.env(name)
	if !ok {
		return 0, false
	}
	return d.wholeNumber(name, v)
}

// envSeconds reads a number of seconds ("60", "0.5") as the original
// monitor did, or a Go duration ("90s").
func (d *decoder) envSeconds(name string, rule durationRule) (time.Duration, bool) {
	v, ok := d.env(name)
	if !ok {
		return 0, false
	}
	return d.seconds(name, v, rule)
}

// wholeNumber parses v, the value of the variable or flag name, as a
// whole number of at least 1.
func (d *decoder) wholeNumber(name, v string) (int, bool) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > math.MaxInt32 {
		d.failEnv(name, fmt.Sprintf("must be a whole number of at least 1, got %q", clip(v)))
		return 0, false
	}
	return n, true
}

// seconds parses v, the value of the variable or flag name, as a number
// of seconds or a Go duration.
func (d *decoder) seconds(name, v string, rule durationRule) (time.Duration, bool) {
	dur, err := time.ParseDuration(v)
	if f, ferr := strconv.ParseFloat(v, 64); ferr == nil {
		dur, err = time.Duration(f*float64(time.Second)), nil
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt64/float64(time.Second) {
			err = strconv.ErrRange
		}
	}
	switch {
	case err != nil:
		d.failEnv(name, fmt.Sprintf(`must be a number of seconds like "60" or a duration like "90s", got %q`, clip(v)))
	case dur < 0:
		d.failEnv(name, fmt.Sprintf("must not be negative, got %q", clip(v)))
	case dur == 0 && rule == positive:
		d.failEnv(name, fmt.Sprintf("must be more than 0 seconds, got %q", clip(v)))
	default:
		return dur, true
	}
	return 0, false
}

// clip shortens an echoed value so that a pasted blob cannot flood the message.
func clip(s string) string {
	const n = 40
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
