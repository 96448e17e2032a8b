package config

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// secret is what Print shows in place of every secret.
const secret = "<secret>"

// Print writes the resolved configuration in a TOML-like form, noting
// where each setting came from. Secrets are shown as <secret>, and the
// heartbeat URL (its path is a credential at most ping services) only by its host.
func (c *Config) Print(w io.Writer) error {
	var b bytes.Buffer
	p := printer{w: &b}
	s := c.Settings

	fmt.Fprintf(&b, "# statusgen configuration from %s\n", c.Path)
	fmt.Fprintf(&b, "# precedence: flags > environment > file > defaults\n\n")

	b.WriteString("[settings]\n")
	p.field("title", strconv.Quote(s.Title), c.source("settings.title"))
	p.field("status_page_url", quoteOrUnset(s.StatusPageURL), c.source("settings.status_page_url"))
	p.field("interval", quoteDuration(s.Interval), c.source("settings.interval"))
	p.field("retries", strconv.Itoa(s.Retries), c.source("settings.retries"))
	p.field("retry_delay", quoteDuration(s.RetryDelay), c.source("settings.retry_delay"))
	p.field("failure_threshold", strconv.Itoa(s.FailureThreshold), c.source("settings.failure_threshold"))
	p.field("retention_days", strconv.Itoa(s.RetentionDays), c.source("settings.retention_days"))
	p.field("prune_at", strconv.Quote(fmt.Sprintf("%02d:%02d", int(s.PruneAt.Hours()), int(s.PruneAt.Minutes())%60)), "UTC; "+c.source("settings.prune_at"))
	p.field("max_parallel", strconv.Itoa(s.MaxParallel), c.source("settings.max_parallel"))
	deadlineSource := c.source("settings.check_deadline")
	if deadlineSource == "default" {
		deadlineSource = "default: 4/5 of interval"
	}
	p.field("check_deadline", quoteDuration(s.CheckDeadline), deadlineSource)
	timeoutSource := c.source("settings.timeout")
	if timeoutSource == "default" {
		timeoutSource = "default: 10s, or 4/5 of check_deadline if shorter"
	}
	p.field("timeout", quoteDuration(s.Timeout), timeoutSource)
	p.field("canary_url", quoteOrUnset(s.CanaryURL), c.source("settings.canary_url"))
	p.field("heartbeat_url", quoteOrUnset(redactPath(s.HeartbeatURL)), c.source("settings.heartbeat_url"))
	proxySource := c.source("settings.proxy")
	if proxySource == "default" {
		proxySource = "default: HTTP_PROXY, HTTPS_PROXY, NO_PROXY"
	}
	p.field("proxy", showProxy(s.Proxy), proxySource)
	p.field("max_body", strconv.Quote(FormatSize(s.MaxBody)), c.source("settings.max_body"))
	p.field("post_quantum", strconv.FormatBool(s.PostQuantum), c.source("settings.post_quantum"))
	p.field("incident_retention_days", strconv.Itoa(s.IncidentRetentionDays), c.source("settings.incident_retention_days"))
	p.field("refresh", quoteDuration(s.Refresh), c.source("settings.refresh"))
	p.field("listen", quoteOrUnset(s.Listen), c.source("settings.listen"))
	if len(c.Locations) > 0 {
		p.field("quorum", strconv.Itoa(s.Quorum), c.source("settings.quorum"))
	}
	p.flush()

	b.WriteString("\n[slack]\n")
	p.field("channel", quoteOrUnset(c.Slack.Channel), c.source("slack.channel"))
	if c.Slack.RemindEvery > 0 {
		p.field("remind_every", quoteDuration(c.Slack.RemindEvery), c.source("slack.remind_every"))
	} else {
		p.field("remind_every", quoteDuration(0), "off")
	}
	if c.Slack.WebhookURL != "" {
		p.field("webhook_url", secret, "SLACK_WEBHOOK_URL")
	} else {
		p.field("webhook_url", "(not set)", "SLACK_WEBHOOK_URL unset: transitions are logged to stderr")
	}
	p.flush()

	if c.Site.HomeURL != "" || c.Site.Logo != "" || c.Site.Languages != nil {
		b.WriteString("\n[site]\n")
		p.field("home_url", quoteOrUnset(c.Site.HomeURL), "")
		p.field("logo", quoteOrUnset(c.Site.Logo), "")
		if c.Site.Languages != nil {
			p.field("languages", tomlStrings(c.Site.Languages), "the first at the root, the others under <code>/")
		}
		p.flush()
	}

	if pub := c.Publish; pub.Target != "" {
		b.WriteString("\n[publish]\n")
		p.field("target", strconv.Quote(pub.Target), "")
		if pub.Target == "dir" {
			p.field("dir", strconv.Quote(pub.Dir), "")
		} else {
			p.field("repo", strconv.Quote(pub.Repo), "")
			p.field("branch", strconv.Quote(pub.Branch), "")
			if pub.PagesDir != "" {
				p.field("pages_dir", strconv.Quote(pub.PagesDir), "")
			} else {
				p.field("pages_branch", strconv.Quote(pub.PagesBranch), "")
			}
			p.field("issues", strconv.FormatBool(pub.Issues), "")
		}
		p.field("publish_every", quoteDuration(pub.Every), "")
		p.flush()
	}

	b.WriteString("\n# environment\n")
	p.field("DEBUG", strconv.FormatBool(c.Debug), "")
	p.field("LOG_FORMAT", strconv.Quote(c.LogFormat), "")
	if c.GitHubToken != "" {
		p.field("GITHUB_TOKEN", secret, "")
	} else {
		p.field("GITHUB_TOKEN", "(not set)", "")
	}
	p.field("GITHUB_REPOSITORY", quoteOrUnset(c.GitHubRepository), "")
	p.field("HTTP_PROXY", quoteOrUnset(redactUserinfo(c.ProxyEnv.HTTP)), "")
	p.field("HTTPS_PROXY", quoteOrUnset(redactUserinfo(c.ProxyEnv.HTTPS)), "")
	p.field("NO_PROXY", quoteOrUnset(c.ProxyEnv.NoProxy), "")
	p.flush()

	for _, svc := range c.Services {
		b.WriteString("\n[[service]]\n")
		printService(&p, svc)
	}
	printLocations(&b, &p, c.Locations)

	_, err := w.Write(b.Bytes())
	return err
}

func printService(p *printer, s uptime.Service) {
	p.field("name", strconv.Quote(s.Name), "")
	p.field("url", strconv.Quote(s.URL), "")
	p.field("method", strconv.Quote(s.Method), "")
	for _, h := range s.Headers {
		v := strconv.Quote(h.Value)
		if h.Secret {
			v = secret
		}
		p.field("headers."+tomlKey(h.Name), v, "")
	}
	if s.Body != "" {
		p.field("request_body", tomlString(s.Body), "")
	}
	codes := make([]string, len(s.ExpectedStatus))
	for i, c := range s.ExpectedStatus {
		codes[i] = strconv.Itoa(c)
	}
	p.field("expected_status", "["+strings.Join(codes, ", ")+"]", "")
	p.field("follow_redirects", strconv.FormatBool(s.FollowRedirects), "")
	p.field("timeout", quoteDuration(s.Timeout), "")
	p.field("retries", strconv.Itoa(s.Retries), "")
	p.field("retry_delay", quoteDuration(s.RetryDelay), "")
	p.field("failure_threshold", strconv.Itoa(s.FailureThreshold), "")
	if s.DegradedAfter > 0 {
		p.field("degraded_after", quoteDuration(s.DegradedAfter), "")
	} else {
		p.field("degraded_after", quoteDuration(0), "off")
	}
	if s.ExpectBody != "" {
		p.field("expect_body", strconv.Quote(s.ExpectBody), "")
	}
	keys := make([]string, 0, len(s.ExpectJSON))
	for k := range s.ExpectJSON {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.field("expect_json."+tomlKey(k), tomlValue(s.ExpectJSON[k]), "")
	}
	p.field("max_body", strconv.Quote(FormatSize(s.MaxBody)), "")
	p.field("proxy", showProxy(s.Proxy), "")
	p.field("http2", strconv.FormatBool(s.HTTP2), "")
	p.field("post_quantum", strconv.FormatBool(s.PostQuantum), "")
	p.field("check_type", strconv.Quote(string(s.CheckType)), "")
	if s.Group != "" {
		p.field("group", strconv.Quote(s.Group), "")
	}
	for _, code := range slices.Sorted(maps.Keys(s.Names)) {
		p.field("names."+tomlKey(code), strconv.Quote(s.Names[code]), "")
	}
	if s.Private {
		p.field("public", "false", "checked and alerted, not on the status site")
	}
	if a := s.Async; a != nil {
		p.field("async_verification.base_url", strconv.Quote(a.BaseURL), "")
		p.field("async_verification.max_poll_attempts", strconv.Itoa(a.MaxPollAttempts), "")
		p.field("async_verification.poll_interval", quoteDuration(a.PollInterval), "")
	}
	if s.Quorum > 1 {
		p.field("quorum", strconv.Itoa(s.Quorum), "")
	}
	p.flush()
}

// source says where a setting came from: "file", an environment variable, or "default".
func (c *Config) source(key string) string {
	if s, ok := c.sources[key]; ok {
		return s
	}
	return "default"
}

// printer aligns a block of `key = value  # note` lines.
type printer struct {
	w     *bytes.Buffer
	lines [][3]string
}

func (p *printer) field(key, value, note string) {
	p.lines = append(p.lines, [3]string{key, value, note})
}

func (p *printer) flush() {
	kw, vw := 0, 0
	for _, l := range p.lines {
		kw = max(kw, len(l[0]))
		if l[2] != "" {
			vw = max(vw, len(l[1]))
		}
	}
	for _, l := range p.lines {
		if l[2] == "" {
			fmt.Fprintf(p.w, "%-*s = %s\n", kw, l[0], l[1])
			continue
		}
		fmt.Fprintf(p.w, "%-*s = %-*s  # %s\n", kw, l[0], vw, l[1], l[2])
	}
	p.lines = p.lines[:0]
}

func quoteDuration(d time.Duration) string { return strconv.Quote(formatDuration(d)) }

func quoteOrUnset(s string) string {
	if s == "" {
		return "(not set)"
	}
	return strconv.Quote(s)
}

// redactPath keeps a URL's scheme and host only.
func redactPath(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return secret
	}
	return u.Scheme + "://" + u.Host + "/<redacted>"
}

// showProxy prints a proxy setting, its userinfo (a secret) redacted.
func showProxy(s string) string {
	if s == "" {
		return "(environment)"
	}
	return strconv.Quote(redactUserinfo(s))
}

// redactUserinfo replaces a URL's user and password with <secret>. A
// value that does not parse is shown as <secret> whole.
func redactUserinfo(s string) string {
	if s == "" || s == "none" {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return secret
	}
	if u.User == nil {
		return s
	}
	u.User = nil
	scheme, rest, _ := strings.Cut(u.String(), "://")
	return scheme + "://" + secret + "@" + rest
}

var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func tomlKey(k string) string {
	if bareKey.MatchString(k) {
		return k
	}
	return strconv.Quote(k)
}

// tomlString prefers a literal string, which shows a JSON body unescaped.
func tomlString(s string) string {
	if !strings.ContainsAny(s, "'\n\r") && !strings.ContainsFunc(s, isControl) {
		return "'" + s + "'"
	}
	return strconv.Quote(s)
}

func tomlValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
