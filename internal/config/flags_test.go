package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTimeoutFollowsTheDeadline: a service that sets no timeout gets
// [settings] timeout, or 10s, or 4/5 of the check deadline when that is
// shorter; so a short interval from the environment or a flag is not an
// error about timeouts nobody set.
func TestTimeoutFollowsTheDeadline(t *testing.T) {
	shape, err := os.ReadFile("testdata/invalid-env-timeout.toml") // valid without the variable
	if err != nil {
		t.Fatal(err)
	}
	const twoServices = `
[[service]]
name = "inherits"
url = "https://example.org/"

[[service]]
name = "own"
url = "https://example.org/"
timeout = "2s"
`
	tests := []struct {
		name     string
		file     string
		env      map[string]string
		flags    []Flag
		settings time.Duration   // Settings.Timeout
		services []time.Duration // each service's Timeout
	}{
		{"defaults", twoServices, nil, nil, 10 * time.Second, []time.Duration{10 * time.Second, 2 * time.Second}},
		{"short interval in the file", "[settings]\ninterval = \"10s\"\n" + twoServices, nil, nil,
			6400 * time.Millisecond, []time.Duration{6400 * time.Millisecond, 2 * time.Second}},
		{"short interval from HEALTH_CHECK_INTERVAL", twoServices, map[string]string{"HEALTH_CHECK_INTERVAL": "5"}, nil,
			3200 * time.Millisecond, []time.Duration{3200 * time.Millisecond, 2 * time.Second}},
		{"short interval from --interval", twoServices, nil, []Flag{{"interval", "5s"}},
			3200 * time.Millisecond, []time.Duration{3200 * time.Millisecond, 2 * time.Second}},
		{"short check_deadline", "[settings]\ncheck_deadline = \"5s\"\n" + twoServices, nil, nil,
			4 * time.Second, []time.Duration{4 * time.Second, 2 * time.Second}},
		{"[settings] timeout", "[settings]\ntimeout = \"3s\"\n" + twoServices, nil, nil,
			3 * time.Second, []time.Duration{3 * time.Second, 2 * time.Second}},
		{"[settings] timeout over a short interval", "[settings]\ntimeout = \"3s\"\n" + twoServices,
			map[string]string{"HEALTH_CHECK_INTERVAL": "10"}, nil, 3 * time.Second, []time.Duration{3 * time.Second, 2 * time.Second}},
		{"services.toml's shape at its own interval", string(shape), nil, nil,
			10 * time.Second, []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("services.toml", []byte(tc.file), env(tc.env), tc.flags...)
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if cfg.Settings.Timeout != tc.settings {
				t.Errorf("Settings.Timeout = %v, want %v", cfg.Settings.Timeout, tc.settings)
			}
			for i, svc := range cfg.Services {
				if svc.Timeout != tc.services[i] {
					t.Errorf("service %q: Timeout = %v, want %v", svc.Name, svc.Timeout, tc.services[i])
				}
			}
		})
	}
}

// TestFlagPrecedence: for every setting flag, flag > environment > file >
// default, and check's printout says where the value came from.
func TestFlagPrecedence(t *testing.T) {
	type layer struct{ file, env, flag, want string }
	values := map[string]layer{
		"interval":          {`"30s"`, "45", "90s", `"90s"`},
		"retries":           {"2", "4", "5", "5"},
		"retry-delay":       {`"1s"`, "2", "3s", `"3s"`},
		"failure-threshold": {"3", "4", "6", "6"},
		"retention-days":    {"30", "40", "50", "50"},
		"status-page-url":   {`"https://file.example.org"`, "https://env.example.org", "https://flag.example.org", `"https://flag.example.org"`},
	}
	defaults := map[string]string{"interval": `"60s"`, "retries": "3", "retry-delay": `"10s"`,
		"failure-threshold": "2", "retention-days": "60", "status-page-url": "(not set)"}
	if len(values) != len(FlagNames) {
		t.Fatalf("the test covers %d flags, FlagNames has %d", len(values), len(FlagNames))
	}
	for _, f := range FlagNames {
		v := values[f.Name]
		file := "[settings]\n" + f.Setting + " = " + v.file + "\n" + minimal
		envWith := map[string]string{f.Env: v.env}
		envValue := v.env
		if f.Name == "interval" || f.Name == "retry-delay" {
			envValue = `"` + v.env + `s"`
		}
		if f.Name == "status-page-url" {
			envValue = `"` + v.env + `"`
		}
		tests := []struct {
			name       string
			file       string
			env        map[string]string
			flags      []Flag
			want, from string
		}{
			{"default", minimal, nil, nil, defaults[f.Name], "default"},
			{"file", file, nil, nil, v.file, "file"},
			{"environment over file", file, envWith, nil, envValue, f.Env},
			{"flag over environment", file, envWith, []Flag{{f.Name, v.flag}}, v.want, "--" + f.Name},
			{"flag over file", file, nil, []Flag{{f.Name, v.flag}}, v.want, "--" + f.Name},
		}
		for _, tc := range tests {
			t.Run(f.Name+"/"+tc.name, func(t *testing.T) {
				cfg, err := Parse("services.toml", []byte(tc.file), env(tc.env), tc.flags...)
				if err != nil {
					t.Fatalf("Parse = %v", err)
				}
				var b strings.Builder
				if err := cfg.Print(&b); err != nil {
					t.Fatal(err)
				}
				line := printed(b.String(), f.Setting)
				_, rest, _ := strings.Cut(line, " = ")
				value, from, _ := strings.Cut(rest, "  # ")
				if strings.TrimSpace(value) != tc.want || from != tc.from {
					t.Errorf("check prints %q, want %s = %s  # %s", line, f.Setting, tc.want, tc.from)
				}
			})
		}
	}
}

// printed is the [settings] line of key in Print's output.
func printed(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, key+" ") {
			return line
		}
	}
	return ""
}

// TestFlagsReachServices: --retries, --retry-delay and --failure-threshold
// move every service's default, as their variables do; a service's own
// value stays.
func TestFlagsReachServices(t *testing.T) {
	const file = `
[[service]]
name = "own"
url = "https://example.org/"
retries = 7
retry_delay = "1s"
failure_threshold = 9

[[service]]
name = "inherits"
url = "https://example.org/"
`
	cfg, err := Parse("services.toml", []byte(file), env(nil),
		Flag{"retries", "4"}, Flag{"retry-delay", "0.5"}, Flag{"failure-threshold", "1"})
	if err != nil {
		t.Fatal(err)
	}
	own, inherits := cfg.Services[0], cfg.Services[1]
	if own.Retries != 7 || own.RetryDelay != time.Second || own.FailureThreshold != 9 {
		t.Errorf("service with its own values = %d, %v, %d; want 7, 1s, 9", own.Retries, own.RetryDelay, own.FailureThreshold)
	}
	if inherits.Retries != 4 || inherits.RetryDelay != 500*time.Millisecond || inherits.FailureThreshold != 1 {
		t.Errorf("inheriting service = %d, %v, %d; want 4, 500ms, 1", inherits.Retries, inherits.RetryDelay, inherits.FailureThreshold)
	}
}

// TestFlagInvalid: a bad flag value is named by its flag.
func TestFlagInvalid(t *testing.T) {
	tests := []struct {
		flag Flag
		want string
	}{
		{Flag{"interval", "soon"}, `config: --interval must be a number of seconds like "60" or a duration like "90s", got "soon"`},
		{Flag{"interval", "0"}, `config: --interval must be more than 0 seconds, got "0"`},
		{Flag{"retry-delay", "-1s"}, `config: --retry-delay must not be negative, got "-1s"`},
		{Flag{"retries", "0"}, `config: --retries must be a whole number of at least 1, got "0"`},
		{Flag{"failure-threshold", "two"}, `config: --failure-threshold must be a whole number of at least 1, got "two"`},
		{Flag{"retention-days", ""}, `config: --retention-days must be a whole number of at least 1, got ""`},
		{Flag{"status-page-url", "status.example.org"}, `config: --status-page-url must be an absolute http or https URL like "https://example.org/health", got "status.example.org"`},
		{Flag{"timeout", "5s"}, `config: --timeout is not a setting a flag can set (--interval, --retries, --retry-delay, --failure-threshold, --retention-days, --status-page-url)`},
	}
	for _, tc := range tests {
		_, err := Parse("services.toml", []byte(minimal), env(map[string]string{"HEALTH_CHECK_RETRIES": "oops"}), tc.flag)
		want := `config: HEALTH_CHECK_RETRIES must be a whole number of at least 1, got "oops"` + "\n" + tc.want
		if err == nil || err.Error() != want {
			t.Errorf("Parse(flag %+v) = %v, want\n%s", tc.flag, err, want)
		}
	}
}

// TestProductionConfigPointsToFilesThatExist: the committed services.toml
// sends its reader to documents the repository has (it used to name a
// DESIGN.md that is not there).
func TestProductionConfigPointsToFilesThatExist(t *testing.T) {
	b, err := os.ReadFile("../../services.toml")
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`[A-Za-z0-9_./-]+\.md\b`).FindAllString(string(b), -1)
	if len(named) == 0 {
		t.Fatal("services.toml names no document to read about its keys")
	}
	for _, name := range named {
		if _, err := os.Stat(filepath.Join("../..", name)); err != nil {
			t.Errorf("services.toml points to %s: %v", name, err)
		}
	}
}
