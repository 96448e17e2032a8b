package config

import (
	"fmt"
	"strings"
)

// Flag is a setting given on the command line, such as
// Flag{"interval", "90s"} for `--interval 90s`. It wins over the
// environment and the file. Values read as their environment variables
// do: a duration like "90s" or a number of seconds, a whole number, a URL.
type Flag struct {
	Name  string // without dashes: one of FlagNames
	Value string
}

// FlagNames are the settings a command line may set, each with the
// setting and the environment variable it overrides.
var FlagNames = []struct{ Name, Setting, Env string }{
	{"interval", "interval", "HEALTH_CHECK_INTERVAL"},
	{"retries", "retries", "HEALTH_CHECK_RETRIES"},
	{"retry-delay", "retry_delay", "HEALTH_CHECK_RETRY_DELAY"},
	{"failure-threshold", "failure_threshold", "ALERT_AFTER_CONSECUTIVE_FAILURES"},
	{"retention-days", "retention_days", "HEALTH_CHECK_RETENTION_DAYS"},
	{"status-page-url", "status_page_url", "STATUS_PAGE_URL"},
}

// applyFlags sets what the command line gave over the environment, in the
// order given. Like the variables, the defaults of every service move
// with retries, retry-delay and failure-threshold; a service that sets its
// own keeps it.
func (d *decoder) applyFlags(cfg *Config) {
	s := &cfg.Settings
	for _, f := range d.flags {
		key := "--" + f.Name
		v := strings.TrimSpace(f.Value)
		switch f.Name {
		case "interval":
			if dur, ok := d.seconds(key, v, positive); ok {
				s.Interval = dur
				cfg.sources["settings.interval"] = key
			}
		case "retry-delay":
			if dur, ok := d.seconds(key, v, nonNegative); ok {
				s.RetryDelay = dur
				cfg.sources["settings.retry_delay"] = key
			}
		case "retries":
			if n, ok := d.wholeNumber(key, v); ok {
				s.Retries = n
				cfg.sources["settings.retries"] = key
			}
		case "failure-threshold":
			if n, ok := d.wholeNumber(key, v); ok {
				s.FailureThreshold = n
				cfg.sources["settings.failure_threshold"] = key
			}
		case "retention-days":
			if n, ok := d.wholeNumber(key, v); ok {
				s.RetentionDays = n
				cfg.sources["settings.retention_days"] = key
			}
		case "status-page-url":
			if msg := checkURL(v); msg != "" {
				d.failEnv(key, msg)
			} else {
				s.StatusPageURL = v
				cfg.sources["settings.status_page_url"] = key
			}
		default:
			d.failEnv(key, fmt.Sprintf("is not a setting a flag can set (%s)", flagList()))
		}
	}
}

func flagList() string {
	names := make([]string, len(FlagNames))
	for i, f := range FlagNames {
		names[i] = "--" + f.Name
	}
	return strings.Join(names, ", ")
}
