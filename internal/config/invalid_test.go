package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// env makes a getenv from a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestLoadInvalid pins the exact messages for every rejected case; each
// testdata/invalid-*.toml file must appear here.
func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		file  string
		env   map[string]string // none when nil
		flags []Flag
		want  []string
	}{
		{
			file: "invalid-check-type.toml",
			want: []string{
				`config testdata/invalid-check-type.toml:4: service "async without verification": check_type "async_two_phase" needs a [service.async_verification] table with base_url`,
				`config testdata/invalid-check-type.toml:9: service "verification without async": async_verification is only for check_type = "async_two_phase"`,
				`config testdata/invalid-check-type.toml:15: service "unknown type": check_type must be "http" or "async_two_phase", got "grpc"`,
				`config testdata/invalid-check-type.toml:21: service "async missing base_url": async_verification.base_url is required`,
			},
		},
		{
			file: "invalid-deadline.toml",
			want: []string{
				`config testdata/invalid-deadline.toml:3: settings.check_deadline must be shorter than interval (30s), got "30s"`,
				`config testdata/invalid-deadline.toml:8: service "slow": timeout must be shorter than the check deadline (30s), got "40s"`,
			},
		},
		{
			file: "invalid-default-deadline.toml",
			want: []string{
				`config testdata/invalid-default-deadline.toml:3: settings.timeout must be shorter than the check deadline (8s: 4/5 of interval 10s), got "8s"`,
				`config testdata/invalid-default-deadline.toml:12: service "explicit": timeout must be shorter than the check deadline (8s: 4/5 of interval 10s), got "10s"`,
			},
		},
		{
			file: "invalid-env-timeout.toml",
			env:  map[string]string{"HEALTH_CHECK_INTERVAL": "10"},
			want: []string{
				`config testdata/invalid-env-timeout.toml:9: service "sefaria.org": timeout must be shorter than the check deadline (8s: 4/5 of HEALTH_CHECK_INTERVAL=10s), got "10s"`,
			},
		},
		{
			file:  "invalid-env-timeout.toml",
			env:   map[string]string{"HEALTH_CHECK_INTERVAL": "60"},
			flags: []Flag{{"interval", "10"}},
			want: []string{
				`config testdata/invalid-env-timeout.toml:9: service "sefaria.org": timeout must be shorter than the check deadline (8s: 4/5 of --interval=10s), got "10s"`,
			},
		},
		{
			file: "invalid-env-deadline.toml",
			env:  map[string]string{"HEALTH_CHECK_INTERVAL": "30"},
			want: []string{
				`config testdata/invalid-env-deadline.toml:2: settings.check_deadline must be shorter than interval (30s from HEALTH_CHECK_INTERVAL), got "48s"`,
			},
		},
		{
			file: "invalid-duplicate-name.toml",
			want: []string{
				`config testdata/invalid-duplicate-name.toml:10: service "linker": name duplicates service "Linker" on line 2: names must be unique, ignoring case`,
			},
		},
		{
			file: "invalid-duration.toml",
			want: []string{
				`config testdata/invalid-duration.toml:2: settings.interval must be a duration like "10s"`,
				`config testdata/invalid-duration.toml:3: settings.retry_delay must not be negative, got "-1s"`,
				`config testdata/invalid-duration.toml:8: service "sefaria.org": timeout must be more than 0s, got "0s"`,
				`config testdata/invalid-duration.toml:9: service "sefaria.org": degraded_after must be a duration like "10s", not an integer`,
				`config testdata/invalid-duration.toml:10: service "sefaria.org": retry_delay must be a duration like "10s"`,
				`config testdata/invalid-duration.toml:22: service "Linker": async_verification.poll_interval must be a duration like "10s"`,
			},
		},
		{
			file: "invalid-site.toml",
			want: []string{
				`config testdata/invalid-site.toml:2: site.home_url must be an absolute http or https URL like "https://example.org/health", got "sefaria.org"`,
				`config testdata/invalid-site.toml:3: site.logo cannot be read: testdata/missing-logo.svg (a path relative to testdata/invalid-site.toml)`,
				`config testdata/invalid-site.toml:4: site.colour is not a known key`,
				`config testdata/invalid-site.toml:9: service "sefaria.org": group must not be empty: a section name, or leave it out`,
				`config testdata/invalid-site.toml:10: service "sefaria.org": public must be true or false, not a string`,
				`config testdata/invalid-site.toml:15: service "Linker": group must not contain control characters`,
			},
		},
		{
			file: "invalid-logo.toml",
			want: []string{
				`config testdata/invalid-logo.toml:2: site.logo must be an .svg, .png, .webp, .jpg or .gif file, got "logo.bmp"`,
			},
		},
		{
			file: "invalid-listen.toml",
			want: []string{
				`config testdata/invalid-listen.toml:3: settings.listen must be a host:port like "127.0.0.1:9464", got "http://127.0.0.1:9464/metrics"`,
			},
		},
		{
			file: "invalid-listen-port.toml",
			want: []string{
				`config testdata/invalid-listen-port.toml:2: settings.listen must end in a port from 0 to 65535, got "127.0.0.1:99999"`,
			},
		},
		{
			file: "invalid-location.toml",
			want: []string{
				`config testdata/invalid-location.toml:2: settings.quorum must be at most the number of locations (9), got 10`,
				`config testdata/invalid-location.toml:7: service "sefaria.org": quorum must be at most the number of locations (9), got 12`,
				`config testdata/invalid-location.toml:12: service "Linker": quorum must be at least 1, got 0`,
				`config testdata/invalid-location.toml:18: location "EU-West": name duplicates location "eu-west" on line 15: names must be unique, ignoring case`,
				`config testdata/invalid-location.toml:21: location #3: name must be 1 to 64 letters, digits, ".", "_" or "-", not starting with "." (it names the results file), got "us east"`,
				`config testdata/invalid-location.toml:23: location #4: name is required`,
				`config testdata/invalid-location.toml:28: location "bad-url": url must be an absolute http or https URL like "https://example.org/health", got "ftp://probe.example.org"`,
				`config testdata/invalid-location.toml:32: location "module-without-blackbox": module is only for kind = "blackbox"`,
				`config testdata/invalid-location.toml:34: location "blackbox-without-url": url is required for kind = "blackbox": the blackbox_exporter's base URL`,
				`config testdata/invalid-location.toml:40: location "odd-kind": kind must be "agent" or "blackbox", got "ssh"`,
				`config testdata/invalid-location.toml:41: location "odd-kind": region is not a known key`,
				`config testdata/invalid-location.toml:45: location "query": url must be a base URL without a query or fragment (the value is not shown: it may hold a token)`,
			},
		},
		{
			file: "invalid-quorum-single.toml",
			want: []string{
				`config testdata/invalid-quorum-single.toml:2: settings.quorum must be at most the number of locations (1), got 2`,
				`config testdata/invalid-quorum-single.toml:7: service "sefaria.org": quorum must be at most the number of locations (1), got 3`,
			},
		},
		{
			file: "invalid-method-headers.toml",
			want: []string{
				`config testdata/invalid-method-headers.toml:4: service "sefaria.org": method must be an HTTP method like "GET" or "POST", got "GE T"`,
				`config testdata/invalid-method-headers.toml:11: service "Linker": headers.Authorization refers to ${LINKER_TOKEN}, which is not set in the environment`,
				`config testdata/invalid-method-headers.toml:12: service "Linker": headers.X-Broken has a "${" without its closing "}"`,
				`config testdata/invalid-method-headers.toml:13: service "Linker": headers.X-Bad-Name refers to ${1ST}, which is not a valid variable name`,
				`config testdata/invalid-method-headers.toml:14: service "Linker": headers."Bad Header" is not a valid header name`,
				`config testdata/invalid-method-headers.toml:15: service "Linker": headers.content-type duplicates header "Content-Type"`,
			},
		},
		{
			file: "invalid-name.toml",
			want: []string{
				`config testdata/invalid-name.toml:1: service #1: name is required`,
				`config testdata/invalid-name.toml:5: service #2: name must not be empty`,
				`config testdata/invalid-name.toml:8: service "no url": url is required`,
			},
		},
		{
			file: "invalid-no-service.toml",
			want: []string{
				`config testdata/invalid-no-service.toml: defines no [[service]]: at least one is required`,
			},
		},
		{
			file: "invalid-network.toml",
			want: []string{
				`config testdata/invalid-network.toml:2: settings.proxy must be "none" or a proxy URL like "http://proxy.example:3128" (the value is not shown: it may hold a password)`,
				`config testdata/invalid-network.toml:3: settings.max_body must be a size like "4MiB" or "512KiB" (or a number of bytes), got "4MB"`,
				`config testdata/invalid-network.toml:8: service "ftp proxy": proxy must be a proxy URL with scheme http, https, socks5 or socks5h, got "ftp"`,
				`config testdata/invalid-network.toml:9: service "ftp proxy": max_body must be from 1KiB to 1GiB, got 0B`,
				`config testdata/invalid-network.toml:10: service "ftp proxy": http2 must be true or false, not a string`,
				`config testdata/invalid-network.toml:15: service "impossible port": proxy must have a port from 1 to 65535, got "0"`,
				`config testdata/invalid-network.toml:16: service "impossible port": max_body must be from 1KiB to 1GiB, got 2GiB`,
				`config testdata/invalid-network.toml:17: service "impossible port": post_quantum must be true or false, not an integer`,
			},
		},
		{
			file: "invalid-port.toml",
			want: []string{
				`config testdata/invalid-port.toml:2: settings.heartbeat_url must have a port from 1 to 65535, got "0"`,
				`config testdata/invalid-port.toml:6: service "port zero": url must have a port from 1 to 65535, got "0"`,
				`config testdata/invalid-port.toml:10: service "port too large": url must have a port from 1 to 65535, got "99999"`,
				`config testdata/invalid-port.toml:17: service "Linker": async_verification.base_url must have a port from 1 to 65535, got "65536"`,
			},
		},
		{
			file: "invalid-prune-at.toml",
			want: []string{
				`config testdata/invalid-prune-at.toml:2: settings.prune_at must be a UTC time of day like "03:00", got "25:00"`,
				`config testdata/invalid-prune-at.toml:3: settings.title must not be empty`,
			},
		},
		{
			file: "invalid-service-table.toml",
			want: []string{
				`config testdata/invalid-service-table.toml:1: service must be an array of tables, written [[service]], not a table`,
			},
		},
		{
			file: "invalid-slug-clash.toml",
			want: []string{
				`config testdata/invalid-slug-clash.toml:10: service "sefaria-org": name shares the page services/sefaria-org.html with service "sefaria.org" on line 2: rename one`,
				`config testdata/invalid-slug-clash.toml:14: service "mcp_server": name shares the page services/mcp-server.html with service "MCP Server" on line 6: rename one`,
				`config testdata/invalid-slug-clash.toml:28: service "` + strings.Repeat("Sefaria_", 30) + `A": name shares the page ` +
					`services/sefaria-sefaria-sefaria-sefaria-sefaria-sefaria-sefaria-2e6d400c.html with service "` + strings.Repeat("Sefaria ", 30) + `A" on line 19: rename one`,
			},
		},
		{
			file: "invalid-status.toml",
			want: []string{
				`config testdata/invalid-status.toml:4: service "out of range": expected_status must hold status codes from 100 to 599, got 700`,
				`config testdata/invalid-status.toml:9: service "empty list": expected_status must list at least one status code`,
				`config testdata/invalid-status.toml:14: service "string": expected_status must be an HTTP status code or a list of them, not a string`,
			},
		},
		{
			file: "invalid-syntax.toml",
			want: []string{
				`config testdata/invalid-syntax.toml:7: TOML syntax error: expected value but found '\n' instead`,
			},
		},
		{
			file: "invalid-threshold.toml",
			want: []string{
				`config testdata/invalid-threshold.toml:2: settings.failure_threshold must be at least 1, got 0`,
				`config testdata/invalid-threshold.toml:3: settings.retries must be at least 1, got 0`,
				`config testdata/invalid-threshold.toml:4: settings.retention_days must be at least 1, got 0`,
				`config testdata/invalid-threshold.toml:5: settings.max_parallel must be at least 1, got -1`,
				`config testdata/invalid-threshold.toml:10: service "sefaria.org": failure_threshold must be at least 1, got 0`,
				`config testdata/invalid-threshold.toml:11: service "sefaria.org": retries must be at least 1, got 0`,
				`config testdata/invalid-threshold.toml:19: service "Linker": async_verification.max_poll_attempts must be at least 1, got 0`,
			},
		},
		{
			file: "invalid-types.toml",
			want: []string{
				`config testdata/invalid-types.toml:1: title is not a known key`,
				`config testdata/invalid-types.toml:4: settings.retries must be an integer, not a string`,
				`config testdata/invalid-types.toml:5: settings.title must be a string, not an integer`,
				`config testdata/invalid-types.toml:8: service #1: name must be a string, not an integer`,
				`config testdata/invalid-types.toml:14: service "sefaria.org": follow_redirects must be true or false, not a string`,
				`config testdata/invalid-types.toml:15: service "sefaria.org": headers must be a table, not a string`,
				`config testdata/invalid-types.toml:16: service "sefaria.org": expect_json.checks must be a string, number or boolean (a top-level JSON field compared for equality), not an array`,
				`config testdata/invalid-types.toml:16: service "sefaria.org": expect_json.nested must be a string, number or boolean (a top-level JSON field compared for equality), not a table`,
				`config testdata/invalid-types.toml:17: service "sefaria.org": request_body must be a string, not a table`,
			},
		},
		{
			file: "invalid-unknown-key.toml",
			want: []string{
				`config testdata/invalid-unknown-key.toml:2: settings.intervall is not a known key`,
				`config testdata/invalid-unknown-key.toml:7: service "sefaria.org": expected_staus is not a known key`,
				`config testdata/invalid-unknown-key.toml:16: service "Linker": async_verification.poll_intervall is not a known key`,
				`config testdata/invalid-unknown-key.toml:21: publish.folder is not a known key`,
			},
		},
		{
			file: "invalid-publish.toml",
			want: []string{
				`config testdata/invalid-publish.toml:2: publish.target must be "dir" or "github", got "ftp"`,
				`config testdata/invalid-publish.toml:3: publish.publish_every must be a duration like "10s"`,
			},
		},
		{
			file: "invalid-publish-github.toml",
			want: []string{
				`config testdata/invalid-publish-github.toml:3: publish.repo must be "owner/name" (or set GITHUB_REPOSITORY) for target = "github"`,
			},
		},
		{
			file: "invalid-url.toml",
			want: []string{
				`config testdata/invalid-url.toml:2: settings.status_page_url must be an absolute http or https URL like "https://example.org/health", got "status.sefaria.org"`,
				`config testdata/invalid-url.toml:3: settings.canary_url must be an absolute http or https URL like "https://example.org/health", got "ftp://example.org/"`,
				`config testdata/invalid-url.toml:7: service "relative": url must be an absolute http or https URL like "https://example.org/health", got "/healthz"`,
				`config testdata/invalid-url.toml:11: service "no host": url must be an absolute http or https URL like "https://example.org/health", got "https://"`,
				`config testdata/invalid-url.toml:15: service "credentials": url must not contain a user or password (put credentials in a header with ${VAR})`,
				`config testdata/invalid-url.toml:22: service "Linker": async_verification.base_url must be an absolute http or https URL like "https://example.org/health", got "api/async/"`,
			},
		},
		{
			file: "invalid-webhook-in-file.toml",
			want: []string{
				`config testdata/invalid-webhook-in-file.toml:3: slack.webhook_url must not be in the file: it is a secret, set SLACK_WEBHOOK_URL in the environment`,
			},
		},
	}
	files, err := filepath.Glob("testdata/invalid-*.toml")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.file] = true
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s has no case in TestLoadInvalid", f)
		}
	}

	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			cfg, err := Load(filepath.Join("testdata", tc.file), env(tc.env), tc.flags...)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, nil; want an error", tc.file, cfg)
			}
			got := messages(t, err)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Load(%s) errors =\n%s\nwant\n%s", tc.file, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// messages unpacks a joined error, checking that each part is an *Error.
func messages(t *testing.T, err error) []string {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []string
	for _, e := range errs {
		var ce *Error
		if !errors.As(e, &ce) {
			t.Errorf("error %q is %T, want *config.Error", e, e)
		}
		out = append(out, e.Error())
	}
	return out
}
