package config

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Defaults of the [settings] table and of each service.
const (
	defaultTitle            = "Status"
	defaultInterval         = 60 * time.Second
	defaultRetries          = 3
	defaultRetryDelay       = 10 * time.Second
	defaultFailureThreshold = 2
	defaultRetentionDays    = 60
	defaultPruneAt          = 3 * time.Hour
	defaultMaxParallel      = 64
	defaultTimeout          = 10 * time.Second
	defaultMaxPollAttempts  = 10
	defaultPollInterval     = time.Second
	defaultIncidentDays     = 365
	defaultRefresh          = 60 * time.Second
	defaultPublishEvery     = 5 * time.Minute
	defaultBranch           = "main"
	defaultPagesBranch      = "gh-pages"
	defaultMaxBody          = 4 << 20
)

// decoder walks the decoded TOML by hand rather than into structs, so that
// it can check every key, name each problem by its service and keep going
// after the first one.
type decoder struct {
	path   string
	data   []byte
	getenv func(string) string
	flags  []Flag
	lines  lineIndex
	errs   []*Error
	langs  []string // [site] languages, which services' names may use
}

func newDecoder(path string, data []byte, getenv func(string) string) *decoder {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return &decoder{path: path, data: data, getenv: getenv}
}

// fail records a problem with the file; at is the key's index path (see
// lineIndex) and key how the user reads it.
func (d *decoder) fail(at, key, msg string) {
	d.errs = append(d.errs, &Error{File: d.path, Line: d.lines.line(at), Key: key, Msg: msg})
}

// failEnv records a problem with an environment variable.
func (d *decoder) failEnv(name, msg string) {
	d.errs = append(d.errs, &Error{Key: name, Msg: msg})
}

// printable shows the control and bidi characters the TOML parser quotes
// from the file as Go escapes, and invalid UTF-8 as U+FFFD, so an error
// stays one readable line and cannot drive the terminal.
func printable(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			b.WriteString(strings.Trim(strconv.QuoteRune(r), "'"))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (d *decoder) decode() *Config {
	var raw map[string]any
	if _, err := toml.Decode(string(d.data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			d.errs = append(d.errs, &Error{File: d.path, Line: pe.Position.Line, Msg: "TOML syntax error: " + printable(pe.Message)})
		} else {
			d.errs = append(d.errs, &Error{File: d.path, Msg: "TOML syntax error: " + printable(err.Error())})
		}
		return nil
	}
	d.lines = indexLines(d.data)

	cfg := &Config{Path: d.path, sources: map[string]string{}}
	root := &table{d: d, m: raw}
	st := root.table("settings", "settings")
	cfg.Settings = d.settings(st, cfg.sources)
	cfg.Slack = d.slack(root.table("slack", "slack"), cfg.sources)
	d.environment(cfg)
	d.applyFlags(cfg)
	cfg.Publish = d.publish(root.table("publish", "publish"), cfg.GitHubRepository)
	cfg.Site = d.site(root.table("site", "site"))
	d.langs = cfg.Site.Languages
	d.checkDeadline(st, &cfg.Settings, cfg.sources)
	cfg.Services = d.services(root, cfg.Settings, cfg.sources)
	cfg.Locations = d.locations(root)
	d.checkQuorum(st, cfg.Settings, cfg.Services, root, len(cfg.Locations))
	root.rejectUnknown()
	return cfg
}

func (d *decoder) settings(t *table, sources map[string]string) Settings {
	s := Settings{
		Title:            t.str("title", defaultTitle),
		StatusPageURL:    t.url("status_page_url", false),
		Interval:         t.duration("interval", defaultInterval, positive),
		Retries:          t.integer("retries", defaultRetries, 1),
		RetryDelay:       t.duration("retry_delay", defaultRetryDelay, nonNegative),
		FailureThreshold: t.integer("failure_threshold", defaultFailureThreshold, 1),
		RetentionDays:    t.integer("retention_days", defaultRetentionDays, 1),
		PruneAt:          t.timeOfDay("prune_at", defaultPruneAt),
		MaxParallel:      t.integer("max_parallel", defaultMaxParallel, 1),
		CheckDeadline:    t.duration("check_deadline", 0, positive),
		Timeout:          t.duration("timeout", 0, positive),
		CanaryURL:        t.url("canary_url", false),
		HeartbeatURL:     t.url("heartbeat_url", false),
		Proxy:            t.proxy("proxy", ""),
		MaxBody:          t.size("max_body", defaultMaxBody),
		PostQuantum:      t.boolean("post_quantum", false),
		Quorum:           t.integer("quorum", 1, 1),

		IncidentRetentionDays: t.integer("incident_retention_days", defaultIncidentDays, 1),
		Refresh:               t.duration("refresh", defaultRefresh, positive),
		Listen:                t.listenAddr("listen"),
	}
	if t.has("title") && strings.TrimSpace(s.Title) == "" {
		t.fail("title", "must not be empty")
	}
	for _, k := range t.keys() {
		sources["settings."+k] = "file"
	}
	t.rejectUnknown()
	return s
}

// checkDeadline defaults the deadline to 4/5 of the interval, once the
// environment and the flags may have changed the interval, and keeps it
// below the interval so that no cycle outlasts it. The services' default
// timeout then follows the deadline: 10s, or 4/5 of the deadline when that
// is shorter, unless [settings] timeout sets it. A problem that a variable
// or a flag caused names it.
func (d *decoder) checkDeadline(t *table, s *Settings, sources map[string]string) {
	if s.CheckDeadline == 0 {
		s.CheckDeadline = max(s.Interval*4/5, 1)
	} else if s.CheckDeadline >= s.Interval {
		interval := formatDuration(s.Interval)
		if src := sources["settings.interval"]; src != "" && src != "file" {
			interval += " from " + src
		}
		t.fail("check_deadline", fmt.Sprintf("must be shorter than interval (%s), got %q",
			interval, formatDuration(s.CheckDeadline)))
	}
	if s.Timeout == 0 {
		s.Timeout = min(defaultTimeout, max(s.CheckDeadline*4/5, 1))
		return
	}
	if s.Timeout >= s.CheckDeadline {
		t.fail("timeout", timeoutTooLong(*s, sources, s.Timeout))
	}
}

// timeoutTooLong says that timeout does not fit the check deadline, and
// where the deadline came from when the file did not set it.
func timeoutTooLong(s Settings, sources map[string]string, timeout time.Duration) string {
	deadline := formatDuration(s.CheckDeadline)
	if sources["settings.check_deadline"] == "" {
		from := "interval " + formatDuration(s.Interval)
		if src := sources["settings.interval"]; src != "" && src != "file" {
			from = src + "=" + formatDuration(s.Interval)
		}
		deadline += ": 4/5 of " + from
	}
	return fmt.Sprintf("must be shorter than the check deadline (%s), got %q", deadline, formatDuration(timeout))
}

func (d *decoder) slack(t *table, sources map[string]string) Slack {
	if _, ok := t.get("webhook_url"); ok {
		t.fail("webhook_url", "must not be in the file: it is a secret, set SLACK_WEBHOOK_URL in the environment")
	}
	s := Slack{Channel: t.str("channel", ""), RemindEvery: t.duration("remind_every", 0, nonNegative)}
	if t.has("channel") {
		sources["slack.channel"] = "file"
	}
	if t.has("remind_every") {
		sources["slack.remind_every"] = "file"
	}
	t.rejectUnknown()
	return s
}

// publish resolves the optional [publish] table; repo falls back to
// GITHUB_REPOSITORY, which CI runners set.
func (d *decoder) publish(t *table, envRepo string) Publish {
	p := Publish{
		Target:      t.str("target", ""),
		Dir:         t.str("dir", ""),
		Repo:        t.str("repo", envRepo),
		Branch:      t.str("branch", defaultBranch),
		PagesBranch: t.str("pages_branch", defaultPagesBranch),
		PagesDir:    t.str("pages_dir", ""),
		Every:       t.duration("publish_every", defaultPublishEvery, positive),
		Issues:      t.boolean("issues", false),
	}
	switch p.Target {
	case "":
		if len(t.keys()) > 0 {
			t.fail("target", `is required in [publish]: "dir" or "github"`)
		}
	case "dir":
		if strings.TrimSpace(p.Dir) == "" {
			t.fail("dir", `is required for target = "dir"`)
		}
		if p.Issues {
			t.fail("issues", `needs target = "github"`)
		}
	case "github":
		if !validRepo(p.Repo) {
			t.fail("repo", `must be "owner/name" (or set GITHUB_REPOSITORY) for target = "github"`)
		}
		if strings.TrimSpace(p.Branch) == "" {
			t.fail("branch", "must not be empty")
		}
		if p.PagesDir == "" && strings.TrimSpace(p.PagesBranch) == "" {
			t.fail("pages_branch", "must not be empty")
		}
	default:
		t.fail("target", fmt.Sprintf(`must be "dir" or "github", got %q`, p.Target))
	}
	t.rejectUnknown()
	return p
}

// services resolves every [[service]] in file order; set supplies the
// defaults a service does not override.
func (d *decoder) services(root *table, set Settings, sources map[string]string) []uptime.Service {
	v, ok := root.get("service")
	if !ok {
		d.fail("", "", "defines no [[service]]: at least one is required")
		return nil
	}
	list, ok := v.([]map[string]any)
	if !ok {
		d.fail("service", "service", "must be an array of tables, written [[service]], not "+tomlType(v))
		return nil
	}
	out := make([]uptime.Service, 0, len(list))
	byName := map[string]int{} // folded name → index of its first service
	bySlug := map[string]int{} // page slug → index of its first service
	for i, m := range list {
		at := fmt.Sprintf("service[%d]", i)
		t := &table{d: d, m: m, at: at, label: fmt.Sprintf("service #%d: ", i+1)}
		name := strings.TrimSpace(t.str("name", ""))
		_, isString := m["name"].(string)
		switch {
		case !t.has("name"):
			t.fail("name", "is required")
		case !isString:
		case name == "":
			t.fail("name", "must not be empty")
		case strings.ContainsFunc(name, isControl):
			t.fail("name", "must not contain control characters")
		default:
			t.label = fmt.Sprintf("service %q: ", name)
			folded := strings.ToLower(name)
			if first, dup := byName[folded]; dup {
				t.fail("name", fmt.Sprintf("duplicates service %q on line %d: names must be unique, ignoring case",
					out[first].Name, d.lines.line(fmt.Sprintf("service[%d].name", first))))
				break
			}
			byName[folded] = i
			// Names that differ only in punctuation would share a page,
			// its badges and their incident ids.
			slug := uptime.Slug(name)
			if first, clash := bySlug[slug]; clash {
				t.fail("name", fmt.Sprintf("shares the page services/%s.html with service %q on line %d: rename one",
					slug, out[first].Name, d.lines.line(fmt.Sprintf("service[%d].name", first))))
				break
			}
			bySlug[slug] = i
		}
		out = append(out, d.service(t, name, set, sources))
	}
	return out
}

func (d *decoder) service(t *table, name string, set Settings, sources map[string]string) uptime.Service {
	// A two-phase check submits a task: POST unless told otherwise.
	method := http.MethodGet
	if t.str("check_type", "") == string(uptime.CheckAsyncTwoPhase) {
		method = http.MethodPost
	}
	s := uptime.Service{
		Name:             name,
		URL:              t.url("url", true),
		Method:           t.method("method", method),
		Body:             t.str("request_body", ""),
		ExpectedStatus:   t.statuses("expected_status"),
		FollowRedirects:  t.boolean("follow_redirects", true),
		Timeout:          t.duration("timeout", set.Timeout, positive),
		FailureThreshold: t.integer("failure_threshold", set.FailureThreshold, 1),
		Retries:          t.integer("retries", set.Retries, 1),
		RetryDelay:       t.duration("retry_delay", set.RetryDelay, nonNegative),
		DegradedAfter:    t.duration("degraded_after", 0, nonNegative),
		ExpectBody:       t.str("expect_body", ""),
		ExpectJSON:       t.expectJSON("expect_json"),
		CheckType:        uptime.CheckType(t.str("check_type", string(uptime.CheckHTTP))),
		MaxBody:          t.size("max_body", set.MaxBody),
		Proxy:            t.proxy("proxy", set.Proxy),
		HTTP2:            t.boolean("http2", false),
		Quorum:           t.integer("quorum", set.Quorum, 1),
		Group:            strings.TrimSpace(t.str("group", "")),
		Private:          !t.boolean("public", true),
		Names:            t.names("names", d.langs),
	}
	if t.has("group") && s.Group == "" {
		t.fail("group", "must not be empty: a section name, or leave it out")
	} else if strings.ContainsFunc(s.Group, isControl) {
		t.fail("group", "must not contain control characters")
	}
	s.Headers = d.headers(t.table("headers", "headers"))
	// A check that sends secrets offers the post-quantum key share unless
	// told otherwise: what it sends today could be read by whoever records
	// it and later breaks X25519. The others save its cost (about 0.2 ms
	// of CPU per handshake).
	s.PostQuantum = t.boolean("post_quantum", set.PostQuantum || slices.ContainsFunc(s.Headers, func(h uptime.Header) bool { return h.Secret }))
	// A timeout the service inherits was checked in [settings].
	if t.has("timeout") && s.Timeout >= set.CheckDeadline {
		t.fail("timeout", timeoutTooLong(set, sources, s.Timeout))
	}
	switch s.CheckType {
	case uptime.CheckHTTP:
		if _, ok := t.get("async_verification"); ok {
			t.fail("async_verification", `is only for check_type = "async_two_phase"`)
		}
	case uptime.CheckAsyncTwoPhase:
		if !t.has("async_verification") {
			t.fail("check_type", `"async_two_phase" needs a [service.async_verification] table with base_url`)
			break
		}
		av := t.table("async_verification", "async_verification")
		s.Async = &uptime.AsyncVerification{
			BaseURL:         av.url("base_url", true),
			MaxPollAttempts: av.integer("max_poll_attempts", defaultMaxPollAttempts, 1),
			PollInterval:    av.duration("poll_interval", defaultPollInterval, nonNegative),
		}
		// The task id is appended to base_url, so it must end in a slash.
		if s.Async.BaseURL != "" && !strings.HasSuffix(s.Async.BaseURL, "/") {
			s.Async.BaseURL += "/"
		}
		av.rejectUnknown()
	default:
		t.fail("check_type", fmt.Sprintf(`must be "http" or "async_two_phase", got %q`, s.CheckType))
	}
	t.rejectUnknown()
	return s
}

// headers resolves the headers table, expanding ${VAR} from the
// environment; a value that referenced a variable is a secret.
func (d *decoder) headers(t *table) []uptime.Header {
	var out []uptime.Header
	seen := map[string]string{}
	for _, name := range t.keys() {
		v, _ := t.get(name)
		raw, ok := v.(string)
		if !ok {
			t.fail(name, "must be a string, not "+tomlType(v))
			continue
		}
		if !isToken(name) {
			t.fail(name, "is not a valid header name")
			continue
		}
		canon := strings.ToLower(name)
		if prev, dup := seen[canon]; dup {
			t.fail(name, fmt.Sprintf("duplicates header %q", prev))
			continue
		}
		seen[canon] = name
		value, secret, msg := expand(raw, d.getenv)
		if msg != "" {
			t.fail(name, msg)
			continue
		}
		if strings.ContainsFunc(value, func(r rune) bool { return r != '\t' && isControl(r) }) {
			if secret {
				t.fail(name, "must not contain control characters (after expanding ${VAR}; the value is not shown)")
			} else {
				t.fail(name, "must not contain control characters")
			}
			continue
		}
		out = append(out, uptime.Header{Name: name, Value: value, Secret: secret})
	}
	return out
}

// expand replaces each ${VAR} in s with getenv(VAR). msg names a problem
// (an unset variable, a malformed reference) and never the values.
func expand(s string, getenv func(string) string) (value string, secret bool, msg string) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), secret, ""
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", false, `has a "${" without its closing "}"`
		}
		name := s[i+2 : i+end]
		if !isEnvName(name) {
			return "", false, fmt.Sprintf("refers to ${%s}, which is not a valid variable name", name)
		}
		v := getenv(name)
		if v == "" {
			return "", false, fmt.Sprintf("refers to ${%s}, which is not set in the environment", name)
		}
		b.WriteString(v)
		secret = true
		s = s[i+end+1:]
	}
}
