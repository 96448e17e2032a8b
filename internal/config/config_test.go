package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

const minimal = `
[[service]]
name = "sefaria.org"
url = "https://www.sefaria.org/healthz"
`

func TestDefaults(t *testing.T) {
	cfg, err := Parse("services.toml", []byte(minimal), env(nil))
	if err != nil {
		t.Fatalf("Parse(minimal) = %v", err)
	}
	wantSettings := Settings{
		Title:            "Status",
		Interval:         60 * time.Second,
		Retries:          3,
		RetryDelay:       10 * time.Second,
		FailureThreshold: 2,
		RetentionDays:    60,
		PruneAt:          3 * time.Hour,
		MaxParallel:      64,
		CheckDeadline:    48 * time.Second,
		MaxBody:          4 << 20,
		Timeout:          10 * time.Second,
		Quorum:           1,

		IncidentRetentionDays: 365,
		Refresh:               60 * time.Second,
	}
	if cfg.Settings != wantSettings {
		t.Errorf("Parse(minimal).Settings = %+v, want %+v", cfg.Settings, wantSettings)
	}
	wantService := uptime.Service{
		Name:             "sefaria.org",
		URL:              "https://www.sefaria.org/healthz",
		Method:           "GET",
		ExpectedStatus:   []int{200},
		FollowRedirects:  true,
		Timeout:          10 * time.Second,
		FailureThreshold: 2,
		Retries:          3,
		RetryDelay:       10 * time.Second,
		CheckType:        uptime.CheckHTTP,
		MaxBody:          4 << 20,
		Quorum:           1,
	}
	if len(cfg.Services) != 1 || !reflect.DeepEqual(cfg.Services[0], wantService) {
		t.Errorf("Parse(minimal).Services = %+v, want [%+v]", cfg.Services, wantService)
	}
	if cfg.Slack != (Slack{}) || cfg.Debug || cfg.LogFormat != "text" || cfg.GitHubToken != "" || cfg.GitHubRepository != "" {
		t.Errorf("Parse(minimal) slack, debug, log format, github = %+v, %v, %q, %q, %q; want zero, false, \"text\", \"\", \"\"",
			cfg.Slack, cfg.Debug, cfg.LogFormat, cfg.GitHubToken, cfg.GitHubRepository)
	}
}

func TestFullService(t *testing.T) {
	const file = `
[settings]
failure_threshold = 4
retries = 2
retry_delay = "3s"

[[service]]
name = "  Linker  "
url = "https://www.sefaria.org/api/find-refs"
method = "post"
expected_status = [202, 200, 202]
follow_redirects = false
timeout = "1.5s"
failure_threshold = 3
retries = 5
retry_delay = "0s"
degraded_after = "2s"
expect_body = "task_id"
expect_json = { ready = false, "a.b" = 1, ratio = 0.5, state = "PENDING" }
check_type = "async_two_phase"
request_body = '{"text": {"title": "", "body": "Job 1:1"}}'
headers = { Content-Type = "application/json" }
[service.async_verification]
base_url = "https://www.sefaria.org/api/async"
max_poll_attempts = 4
poll_interval = "250ms"

[[service]]
name = "inherits"
url = "http://127.0.0.1:8080/"
`
	cfg, err := Parse("services.toml", []byte(file), env(nil))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want := []uptime.Service{{
		Name:             "Linker",
		URL:              "https://www.sefaria.org/api/find-refs",
		Method:           "POST",
		Headers:          []uptime.Header{{Name: "Content-Type", Value: "application/json"}},
		Body:             `{"text": {"title": "", "body": "Job 1:1"}}`,
		ExpectedStatus:   []int{202, 200},
		FollowRedirects:  false,
		Timeout:          1500 * time.Millisecond,
		FailureThreshold: 3,
		Retries:          5,
		RetryDelay:       0,
		DegradedAfter:    2 * time.Second,
		ExpectBody:       "task_id",
		ExpectJSON:       map[string]any{"ready": false, "a.b": int64(1), "ratio": 0.5, "state": "PENDING"},
		CheckType:        uptime.CheckAsyncTwoPhase,
		Async: &uptime.AsyncVerification{
			BaseURL:         "https://www.sefaria.org/api/async/",
			MaxPollAttempts: 4,
			PollInterval:    250 * time.Millisecond,
		},
		MaxBody: 4 << 20,
		Quorum:  1,
	}, {
		Name:             "inherits",
		URL:              "http://127.0.0.1:8080/",
		Method:           "GET",
		ExpectedStatus:   []int{200},
		FollowRedirects:  true,
		Timeout:          10 * time.Second,
		FailureThreshold: 4,
		Retries:          2,
		RetryDelay:       3 * time.Second,
		CheckType:        uptime.CheckHTTP,
		MaxBody:          4 << 20,
		Quorum:           1,
	}}
	if !reflect.DeepEqual(cfg.Services, want) {
		t.Errorf("Parse.Services =\n%+v\nwant\n%+v", cfg.Services, want)
	}
}

func TestEnvOverrides(t *testing.T) {
	const file = `
[settings]
interval = "30s"
retries = 2
failure_threshold = 5

[slack]
channel = "from-file"

[[service]]
name = "own values"
url = "https://example.org/"
retries = 7
failure_threshold = 9
retry_delay = "1s"

[[service]]
name = "inherits"
url = "https://example.org/"
`
	tests := []struct {
		name  string
		env   map[string]string
		check func(*Config) (got, want any)
	}{
		{"interval in seconds", map[string]string{"HEALTH_CHECK_INTERVAL": "120"},
			func(c *Config) (any, any) { return c.Settings.Interval, 120 * time.Second }},
		{"interval decimal", map[string]string{"HEALTH_CHECK_INTERVAL": " 90.5 "},
			func(c *Config) (any, any) { return c.Settings.Interval, 90500 * time.Millisecond }},
		{"interval as a duration", map[string]string{"HEALTH_CHECK_INTERVAL": "2m"},
			func(c *Config) (any, any) { return c.Settings.Interval, 2 * time.Minute }},
		{"interval moves the default deadline", map[string]string{"HEALTH_CHECK_INTERVAL": "100"},
			func(c *Config) (any, any) { return c.Settings.CheckDeadline, 80 * time.Second }},
		{"file interval without env", nil,
			func(c *Config) (any, any) { return c.Settings.Interval, 30 * time.Second }},
		{"retries: settings", map[string]string{"HEALTH_CHECK_RETRIES": "4"},
			func(c *Config) (any, any) { return c.Settings.Retries, 4 }},
		{"retries: inheriting service", map[string]string{"HEALTH_CHECK_RETRIES": "4"},
			func(c *Config) (any, any) { return c.Services[1].Retries, 4 }},
		{"retries: service's own value stays", map[string]string{"HEALTH_CHECK_RETRIES": "4"},
			func(c *Config) (any, any) { return c.Services[0].Retries, 7 }},
		{"retry delay: inheriting service", map[string]string{"HEALTH_CHECK_RETRY_DELAY": "0.25"},
			func(c *Config) (any, any) { return c.Services[1].RetryDelay, 250 * time.Millisecond }},
		{"retry delay zero", map[string]string{"HEALTH_CHECK_RETRY_DELAY": "0"},
			func(c *Config) (any, any) { return c.Settings.RetryDelay, time.Duration(0) }},
		{"retry delay: service's own value stays", map[string]string{"HEALTH_CHECK_RETRY_DELAY": "5"},
			func(c *Config) (any, any) { return c.Services[0].RetryDelay, time.Second }},
		{"threshold: inheriting service", map[string]string{"ALERT_AFTER_CONSECUTIVE_FAILURES": "1"},
			func(c *Config) (any, any) { return c.Services[1].FailureThreshold, 1 }},
		{"threshold: service's own value stays", map[string]string{"ALERT_AFTER_CONSECUTIVE_FAILURES": "1"},
			func(c *Config) (any, any) { return c.Services[0].FailureThreshold, 9 }},
		{"threshold from file without env", nil,
			func(c *Config) (any, any) { return c.Services[1].FailureThreshold, 5 }},
		{"retention", map[string]string{"HEALTH_CHECK_RETENTION_DAYS": "90"},
			func(c *Config) (any, any) { return c.Settings.RetentionDays, 90 }},
		{"status page", map[string]string{"STATUS_PAGE_URL": "https://status.example.org"},
			func(c *Config) (any, any) { return c.Settings.StatusPageURL, "https://status.example.org" }},
		{"slack channel", map[string]string{"SLACK_CHANNEL": "ops"},
			func(c *Config) (any, any) { return c.Slack.Channel, "ops" }},
		{"slack channel from file", nil,
			func(c *Config) (any, any) { return c.Slack.Channel, "from-file" }},
		{"slack webhook", map[string]string{"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X"},
			func(c *Config) (any, any) { return c.Slack.WebhookURL, "https://hooks.slack.com/services/T/B/X" }},
		{"debug yes", map[string]string{"DEBUG": "yes"}, func(c *Config) (any, any) { return c.Debug, true }},
		{"debug TRUE", map[string]string{"DEBUG": "TRUE"}, func(c *Config) (any, any) { return c.Debug, true }},
		{"debug 0", map[string]string{"DEBUG": "0"}, func(c *Config) (any, any) { return c.Debug, false }},
		{"log format", map[string]string{"LOG_FORMAT": "JSON"}, func(c *Config) (any, any) { return c.LogFormat, "json" }},
		{"github", map[string]string{"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "Sefaria/status"},
			func(c *Config) (any, any) { return c.GitHubToken + " " + c.GitHubRepository, "t Sefaria/status" }},
		{"blank is unset", map[string]string{"HEALTH_CHECK_RETRIES": "  "},
			func(c *Config) (any, any) { return c.Settings.Retries, 2 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("services.toml", []byte(file), env(tc.env))
			if err != nil {
				t.Fatalf("Parse(env %v) = %v", tc.env, err)
			}
			if got, want := tc.check(cfg); got != want {
				t.Errorf("Parse(env %v) = %v, want %v", tc.env, got, want)
			}
		})
	}
}

// TestNetworkSettings: how a service's route, body cap, HTTP version and
// key exchange are resolved from its own keys, [settings] and the
// environment.
func TestNetworkSettings(t *testing.T) {
	const file = `
[settings]
proxy = "http://proxy.example:3128"
max_body = "1MiB"

[[service]]
name = "inherits"
url = "https://a.example/"

[[service]]
name = "own"
url = "https://b.example/"
proxy = "none"
max_body = "16 MiB"
http2 = true
post_quantum = true

[[service]]
name = "secret headers"
url = "https://c.example/"
headers = { Authorization = "Bearer ${TOKEN}" }

[[service]]
name = "secret headers, classical asked"
url = "https://c.example/"
headers = { Authorization = "Bearer ${TOKEN}" }
post_quantum = false
`
	cfg, err := Parse("s.toml", []byte(file), env(map[string]string{
		"TOKEN": "t0ken", "http_proxy": "proxy.internal:8080", "HTTPS_PROXY": "https://egress.example", "no_proxy": "localhost",
	}))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	type network struct {
		proxy     string
		maxBody   int64
		http2, pq bool
	}
	want := []network{
		{"http://proxy.example:3128", 1 << 20, false, false},
		{"none", 16 << 20, true, true},
		{"http://proxy.example:3128", 1 << 20, false, true},
		{"http://proxy.example:3128", 1 << 20, false, false},
	}
	for i, s := range cfg.Services {
		if got := (network{s.Proxy, s.MaxBody, s.HTTP2, s.PostQuantum}); got != want[i] {
			t.Errorf("service %q network = %+v, want %+v", s.Name, got, want[i])
		}
	}
	wantEnv := ProxyEnv{HTTP: "http://proxy.internal:8080", HTTPS: "https://egress.example", NoProxy: "localhost"}
	if cfg.ProxyEnv != wantEnv {
		t.Errorf("Parse.ProxyEnv = %+v, want %+v", cfg.ProxyEnv, wantEnv)
	}

	cfg, err = Parse("s.toml", []byte(minimal+"post_quantum = false\n[settings]\npost_quantum = true\n"), env(nil))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	if s := cfg.Services[0]; s.PostQuantum || !cfg.Settings.PostQuantum || s.Proxy != "" {
		t.Errorf("service post_quantum, settings post_quantum, proxy = %t, %t, %q; want false, true, \"\"",
			s.PostQuantum, cfg.Settings.PostQuantum, s.Proxy)
	}
}

func TestEnvInvalid(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HEALTH_CHECK_INTERVAL": "sixty"},
			`config: HEALTH_CHECK_INTERVAL must be a number of seconds like "60" or a duration like "90s", got "sixty"`},
		{map[string]string{"HEALTH_CHECK_INTERVAL": "0"},
			`config: HEALTH_CHECK_INTERVAL must be more than 0 seconds, got "0"`},
		{map[string]string{"HEALTH_CHECK_INTERVAL": "NaN"},
			`config: HEALTH_CHECK_INTERVAL must be a number of seconds like "60" or a duration like "90s", got "NaN"`},
		{map[string]string{"HEALTH_CHECK_INTERVAL": "1e300"},
			`config: HEALTH_CHECK_INTERVAL must be a number of seconds like "60" or a duration like "90s", got "1e300"`},
		{map[string]string{"HEALTH_CHECK_RETRY_DELAY": "-1"},
			`config: HEALTH_CHECK_RETRY_DELAY must not be negative, got "-1"`},
		{map[string]string{"HEALTH_CHECK_RETRIES": "0"},
			`config: HEALTH_CHECK_RETRIES must be a whole number of at least 1, got "0"`},
		{map[string]string{"HEALTH_CHECK_RETRIES": "2.5"},
			`config: HEALTH_CHECK_RETRIES must be a whole number of at least 1, got "2.5"`},
		{map[string]string{"ALERT_AFTER_CONSECUTIVE_FAILURES": "two"},
			`config: ALERT_AFTER_CONSECUTIVE_FAILURES must be a whole number of at least 1, got "two"`},
		{map[string]string{"HEALTH_CHECK_RETENTION_DAYS": "-3"},
			`config: HEALTH_CHECK_RETENTION_DAYS must be a whole number of at least 1, got "-3"`},
		{map[string]string{"STATUS_PAGE_URL": "status.sefaria.org"},
			`config: STATUS_PAGE_URL must be an absolute http or https URL like "https://example.org/health", got "status.sefaria.org"`},
		{map[string]string{"SLACK_WEBHOOK_URL": "hooks.slack.com/services/T/B/SENTINEL"},
			`config: SLACK_WEBHOOK_URL must be an absolute http or https URL (the value is not shown: it is a secret)`},
		{map[string]string{"DEBUG": "maybe"},
			`config: DEBUG must be true or false (also 1/0, yes/no, on/off), got "maybe"`},
		{map[string]string{"LOG_FORMAT": "xml"},
			`config: LOG_FORMAT must be "text" or "json", got "xml"`},
		{map[string]string{"GITHUB_REPOSITORY": "status"},
			`config: GITHUB_REPOSITORY must be "owner/name", got "status"`},
		{map[string]string{"HTTPS_PROXY": "ftp://proxy.example"},
			`config: HTTPS_PROXY must be a proxy URL like "http://proxy.example:3128" (the value is not shown: it may hold a password)`},
		{map[string]string{"http_proxy": "http://user:pw@proxy.example:99999"},
			`config: HTTP_PROXY must be a proxy URL like "http://proxy.example:3128" (the value is not shown: it may hold a password)`},
	}
	for _, tc := range tests {
		_, err := Parse("services.toml", []byte(minimal), env(tc.env))
		if err == nil {
			t.Errorf("Parse(env %v) = nil error, want %q", tc.env, tc.want)
			continue
		}
		if got := err.Error(); got != tc.want {
			t.Errorf("Parse(env %v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

// TestErrorsOrdered checks that file problems come by line and the
// environment's last, and that errors.As finds an *Error.
func TestErrorsOrdered(t *testing.T) {
	const file = `[[service]]
name = "b"
url = "relative"

[settings]
retries = 0
`
	_, err := Parse("s.toml", []byte(file), env(map[string]string{"DEBUG": "x"}))
	got := messages(t, err)
	want := []string{
		`config s.toml:3: service "b": url must be an absolute http or https URL like "https://example.org/health", got "relative"`,
		`config s.toml:6: settings.retries must be at least 1, got 0`,
		`config: DEBUG must be true or false (also 1/0, yes/no, on/off), got "x"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Parse errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var ce *Error
	if !errors.As(err, &ce) || ce.File != "s.toml" || ce.Line != 3 || ce.Key != `service "b": url` {
		t.Errorf("errors.As(err, *Error) = %+v, want the first problem: s.toml line 3, key url", ce)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "services.toml")
	_, err := Load(path, env(nil))
	want := "config " + path + ": cannot be read: no such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("Load(missing) = %v, want %q", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(Load(missing), fs.ErrNotExist) = false, want true")
	}
}

func TestHeaderExpansion(t *testing.T) {
	const file = `
[[service]]
name = "api"
url = "https://example.org/"
headers = { Authorization = "Bearer ${API_TOKEN}", X-Both = "${A}-${B}", Accept = "text/plain" }
`
	cfg, err := Parse("s.toml", []byte(file), env(map[string]string{"API_TOKEN": "tok", "A": "1", "B": "2"}))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want := []uptime.Header{
		{Name: "Accept", Value: "text/plain"},
		{Name: "Authorization", Value: "Bearer tok", Secret: true},
		{Name: "X-Both", Value: "1-2", Secret: true},
	}
	if !reflect.DeepEqual(cfg.Services[0].Headers, want) {
		t.Errorf("Parse headers = %+v, want %+v", cfg.Services[0].Headers, want)
	}
}

// TestSecretsNeverShown plants a sentinel in every secret and checks that
// neither Print nor an error ever shows it.
func TestSecretsNeverShown(t *testing.T) {
	const sentinel = "SENTINEL-s3cr3t"
	const file = `
[settings]
heartbeat_url = "https://hc-ping.com/` + sentinel + `"
proxy = "http://monitor:` + sentinel + `@proxy.example:3128"

[[service]]
name = "api"
url = "https://example.org/"
headers = { Authorization = "Bearer ${API_TOKEN}" }

[[service]]
name = "own proxy"
url = "https://example.org/"
proxy = "socks5://` + sentinel + `:` + sentinel + `@socks.example:1080"
`
	e := map[string]string{
		"API_TOKEN":         sentinel,
		"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/" + sentinel,
		"GITHUB_TOKEN":      sentinel,
		"HTTP_PROXY":        "http://monitor:" + sentinel + "@egress.example:3128",
		"https_proxy":       sentinel + ":" + sentinel + "@egress.example:3129",
	}
	cfg, err := Parse("s.toml", []byte(file), env(e))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	var b strings.Builder
	if err := cfg.Print(&b); err != nil {
		t.Fatalf("Print = %v", err)
	}
	out := b.String()
	if strings.Contains(out, sentinel) {
		t.Errorf("Print shows a secret:\n%s", out)
	}
	for _, want := range []string{
		"headers.Authorization = <secret>",
		"webhook_url  = <secret>",
		"GITHUB_TOKEN      = <secret>",
		`"https://hc-ping.com/<redacted>"`,
		`proxy                   = "http://<secret>@proxy.example:3128"`,
		`proxy             = "socks5://<secret>@socks.example:1080"`,
		`HTTP_PROXY        = "http://<secret>@egress.example:3128"`,
		`HTTPS_PROXY       = "http://<secret>@egress.example:3129"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Print output lacks %q:\n%s", want, out)
		}
	}

	// Secrets in invalid values are not echoed either.
	bad := map[string]string{
		"API_TOKEN":         sentinel + "\r\nX-Injected: 1",
		"SLACK_WEBHOOK_URL": "hooks.slack.com/" + sentinel,
		"HTTPS_PROXY":       "http://" + sentinel + ":" + sentinel + "@egress.example:0",
	}
	_, err = Parse("s.toml", []byte(file), env(bad))
	if err == nil || strings.Contains(err.Error(), sentinel) {
		t.Errorf("Parse(bad secrets) = %v, want an error without the secret", err)
	}
	if !strings.Contains(err.Error(), `service "api": headers.Authorization must not contain control characters (after expanding ${VAR}; the value is not shown)`) {
		t.Errorf("Parse(bad secrets) = %v, want the header named", err)
	}
}

func TestPrint(t *testing.T) {
	const file = `
[settings]
title = "Sefaria Status"
interval = "30s"
check_deadline = "20s"
canary_url = "https://www.google.com/generate_204"
proxy = "http://monitor:pr0xyPa55word@proxy.example:3128"
max_body = "8 MiB"
listen = "127.0.0.1:9464"

[slack]
channel = "sefaria-down"
remind_every = "30m"

[publish]
target = "github"
repo = "Sefaria/status"
issues = true

[[service]]
name = "Linker"
url = "https://www.sefaria.org/api/find-refs"
method = "POST"
expected_status = [202]
check_type = "async_two_phase"
request_body = '{"text": "Job 1:1"}'
degraded_after = "1.5s"
expect_json = { "odd key" = 1.5, ok = true }
http2 = true
proxy = "none"
max_body = 65536
[service.async_verification]
base_url = "https://www.sefaria.org/api/async/"
`
	cfg, err := Parse("services.toml", []byte(file), env(map[string]string{"HEALTH_CHECK_RETRIES": "5", "LOG_FORMAT": "json",
		"https_proxy": "envuser:envPa55word@egress.example:8080", "NO_PROXY": "localhost,.internal"}))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	var b strings.Builder
	if err := cfg.Print(&b); err != nil {
		t.Fatalf("Print = %v", err)
	}
	const want = `# statusgen configuration from services.toml
# precedence: flags > environment > file > defaults

[settings]
title                   = "Sefaria Status"                       # file
status_page_url         = (not set)                              # default
interval                = "30s"                                  # file
retries                 = 5                                      # HEALTH_CHECK_RETRIES
retry_delay             = "10s"                                  # default
failure_threshold       = 2                                      # default
retention_days          = 60                                     # default
prune_at                = "03:00"                                # UTC; default
max_parallel            = 64                                     # default
check_deadline          = "20s"                                  # file
timeout                 = "10s"                                  # default: 10s, or 4/5 of check_deadline if shorter
canary_url              = "https://www.google.com/generate_204"  # file
heartbeat_url           = (not set)                              # default
proxy                   = "http://<secret>@proxy.example:3128"   # file
max_body                = "8MiB"                                 # file
post_quantum            = false                                  # default
incident_retention_days = 365                                    # default
refresh                 = "60s"                                  # default
listen                  = "127.0.0.1:9464"                       # file

[slack]
channel      = "sefaria-down"  # file
remind_every = "1800s"         # file
webhook_url  = (not set)       # SLACK_WEBHOOK_URL unset: transitions are logged to stderr

[publish]
target        = "github"
repo          = "Sefaria/status"
branch        = "main"
pages_branch  = "gh-pages"
issues        = true
publish_every = "300s"

# environment
DEBUG             = false
LOG_FORMAT        = "json"
GITHUB_TOKEN      = (not set)
GITHUB_REPOSITORY = (not set)
HTTP_PROXY        = (not set)
HTTPS_PROXY       = "http://<secret>@egress.example:8080"
NO_PROXY          = "localhost,.internal"

[[service]]
name                                 = "Linker"
url                                  = "https://www.sefaria.org/api/find-refs"
method                               = "POST"
request_body                         = '{"text": "Job 1:1"}'
expected_status                      = [202]
follow_redirects                     = true
timeout                              = "10s"
retries                              = 5
retry_delay                          = "10s"
failure_threshold                    = 2
degraded_after                       = "1.5s"
expect_json."odd key"                = 1.5
expect_json.ok                       = true
max_body                             = "64KiB"
proxy                                = "none"
http2                                = true
post_quantum                         = false
check_type                           = "async_two_phase"
async_verification.base_url          = "https://www.sefaria.org/api/async/"
async_verification.max_poll_attempts = 10
async_verification.poll_interval     = "1s"
`
	if got := b.String(); got != want {
		t.Errorf("Print =\n%s\nwant\n%s", got, want)
	}
}

// TestProductionConfig checks the committed services.toml.
func TestProductionConfig(t *testing.T) {
	cfg, err := Load("../../services.toml", env(nil))
	if err != nil {
		t.Fatalf("Load(services.toml) = %v", err)
	}
	var names []string
	for _, s := range cfg.Services {
		names = append(names, s.Name)
	}
	if want := []string{"sefaria.org", "MCP Server", "AI Chatbot", "Linker"}; !reflect.DeepEqual(names, want) {
		t.Errorf("services.toml names = %q, want %q", names, want)
	}
	if s := cfg.Settings; s.Title != "Sefaria Status" || s.StatusPageURL != "https://status.sefaria.org" || s.Interval != time.Minute {
		t.Errorf("services.toml settings = %+v, want Sefaria Status, https://status.sefaria.org, 60s", s)
	}
	if cfg.Slack.Channel != "sefaria-down" {
		t.Errorf("services.toml slack channel = %q, want sefaria-down", cfg.Slack.Channel)
	}
	if got := cfg.Services[0].ExpectJSON; !reflect.DeepEqual(got, map[string]any{"allReady": true}) {
		t.Errorf("sefaria.org expect_json = %v, want allReady = true", got)
	}
	linker := cfg.Services[3]
	wantAsync := uptime.AsyncVerification{BaseURL: "https://www.sefaria.org/api/async/", MaxPollAttempts: 10, PollInterval: time.Second}
	if linker.CheckType != uptime.CheckAsyncTwoPhase || linker.Method != "POST" || linker.FailureThreshold != 3 ||
		!reflect.DeepEqual(linker.ExpectedStatus, []int{202}) || linker.Async == nil || *linker.Async != wantAsync {
		t.Errorf("Linker = %+v, want async_two_phase POST 202, threshold 3, %+v", linker, wantAsync)
	}
}

func TestLineIndex(t *testing.T) {
	const file = `# comment
[settings]
interval = "60s"

[[service]]
name = "a"
request_body = """
url = "inside a string"
"""
url = "https://a/"

[[service]]
"name" = "b"
async_verification.base_url = "x"
[service.async_verification]
poll_interval = "1s"
`
	ix := indexLines([]byte(file))
	tests := map[string]int{
		"settings":                               2,
		"settings.interval":                      3,
		"service[0]":                             5,
		"service[0].url":                         10,
		"service[1].name":                        13,
		"service[1].async_verification.base_url": 14,
		"service[1].async_verification.poll_interval": 16,
		"service[1].headers.X":                        12, // falls back to the service's header
		"nowhere":                                     0,
	}
	for path, want := range tests {
		if got := ix.line(path); got != want {
			t.Errorf("line(%q) = %d, want %d", path, got, want)
		}
	}
}

// TestCheckListen: the addresses `run` may serve its metrics on.
func TestCheckListen(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:9464", true},
		{"localhost:9464", true},
		{":9464", true},
		{"[::1]:9464", true},
		{"127.0.0.1:0", true}, // any free port; run logs the one it got
		{"metrics.internal:65535", true},
		{"", false},
		{"9464", false},
		{"127.0.0.1", false},
		{"127.0.0.1:", false},
		{"127.0.0.1:65536", false},
		{"127.0.0.1:-1", false},
		{"127.0.0.1:http", false},
		{"127.0.0.1:+80", false},
		{"http://127.0.0.1:9464", false},
		{"host name:9464", false},
		{"host/path:9464", false},
		{"::1:9464", false},
	}
	for _, tc := range tests {
		if err := CheckListen(tc.addr); (err == nil) != tc.ok {
			t.Errorf("CheckListen(%q) = %v, want ok %v", tc.addr, err, tc.ok)
		}
	}
}

// TestMethodDefault: a two-phase check submits its task by POST unless
// told otherwise; config used to fill in GET, so the probe's POST default
// for it never applied.
func TestMethodDefault(t *testing.T) {
	tests := []struct{ name, table, want string }{
		{"plain check", ``, "GET"},
		{"two-phase check", "check_type = \"async_two_phase\"\n[service.async_verification]\nbase_url = \"https://a.example/async/\"\n", "POST"},
		{"two-phase check with a method", "method = \"put\"\ncheck_type = \"async_two_phase\"\n[service.async_verification]\nbase_url = \"https://a.example/async/\"\n", "PUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("services.toml", []byte("[[service]]\nname = \"a\"\nurl = \"https://a.example/\"\n"+tt.table), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Services[0].Method; got != tt.want {
				t.Errorf("method = %q, want %q", got, tt.want)
			}
		})
	}
}
