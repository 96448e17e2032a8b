package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// settingLine is check's printout of one [settings] key: its value and
// where it came from.
func settingLine(t *testing.T, out, key string) (value, from string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, key+" ") {
			_, rest, _ := strings.Cut(line, " = ")
			value, from, _ = strings.Cut(rest, "  # ")
			return strings.TrimSpace(value), from
		}
	}
	t.Fatalf("check printed no %s:\n%s", key, out)
	return "", ""
}

// TestSettingFlagsWinOverTheEnvironment: the README's precedence, flags >
// environment > file > defaults, as check prints it and as once behaves.
func TestSettingFlagsWinOverTheEnvironment(t *testing.T) {
	w := newWorkspace(t, fmt.Sprintf(`[settings]
interval = "60s"
retries = 2
retention_days = 30

[[service]]
name = "closed"
url = "http://%s/healthz"
timeout = "2s"
`, closedPort(t)))
	env := map[string]string{"HEALTH_CHECK_INTERVAL": "45", "HEALTH_CHECK_RETRIES": "3", "HEALTH_CHECK_RETRY_DELAY": "0"}

	code, out, errOut := w.run(t, env, "check", "--interval", "90s", "--retries", "1")
	if code != ExitOK {
		t.Fatalf("check = %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []struct{ key, value, from string }{
		{"interval", `"90s"`, "--interval"},
		{"retries", "1", "--retries"},
		{"retry_delay", `"0s"`, "HEALTH_CHECK_RETRY_DELAY"},
		{"retention_days", "30", "file"},
		{"failure_threshold", "2", "default"},
	} {
		if value, from := settingLine(t, out, want.key); value != want.value || from != want.from {
			t.Errorf("check prints %s = %s  # %s, want %s  # %s", want.key, value, from, want.value, want.from)
		}
	}

	// The attempts once makes: the environment's 3, the flag's 1.
	for _, tc := range []struct {
		args     []string
		attempts string
	}{
		{nil, "3"},
		{[]string{"--retries", "1"}, "1"},
	} {
		code, out, errOut := w.run(t, env, append([]string{"once"}, tc.args...)...)
		if code != ExitOK {
			t.Fatalf("once %v = %d, stderr:\n%s", tc.args, code, errOut)
		}
		row := strings.Fields(lineWith(out, "closed"))
		if len(row) < 6 || row[5] != tc.attempts { // "down (connect)" is two fields
			t.Errorf("once %v: row %q, want %s attempts", tc.args, row, tc.attempts)
		}
	}
}

// TestSettingFlagErrorsNameTheFlag: a bad flag value is a usage error that
// names the flag, and writes nothing.
func TestSettingFlagErrorsNameTheFlag(t *testing.T) {
	w := newWorkspace(t, cadenceConfig("http://127.0.0.1:9/", "60s"))
	for _, cmd := range []string{"once", "run", "check", "render", "prune", "rebuild"} {
		code, _, errOut := w.run(t, nil, cmd, "--interval", "soon")
		want := `statusgen: config: --interval must be a number of seconds like "60" or a duration like "90s", got "soon"` + "\n"
		if code != ExitUsage || errOut != want {
			t.Errorf("%s --interval soon: exit %d, stderr %q; want 2 and %q", cmd, code, errOut, want)
		}
	}
	// A command that does not use a setting does not take its flag.
	if code, _, errOut := w.run(t, nil, "render", "--retries", "2"); code != ExitUsage || !strings.Contains(errOut, "flag provided but not defined: -retries") {
		t.Errorf("render --retries 2: exit %d, stderr %q; want 2, an undefined flag", code, errOut)
	}
}

// TestRepositoryServicesAcceptAShortInterval: the repository's own
// services.toml with HEALTH_CHECK_INTERVAL=10 (or --interval 10) is valid;
// it used to give four errors about timeouts the file never set.
func TestRepositoryServicesAcceptAShortInterval(t *testing.T) {
	config, err := filepath.Abs("../../services.toml")
	if err != nil {
		t.Fatal(err)
	}
	w := newWorkspace(t, "")
	w.config = config
	for _, tc := range []struct {
		env  map[string]string
		args []string
	}{
		{map[string]string{"HEALTH_CHECK_INTERVAL": "10"}, nil},
		{nil, []string{"--interval", "10"}},
	} {
		code, out, errOut := w.run(t, tc.env, append([]string{"check"}, tc.args...)...)
		if code != ExitOK {
			t.Errorf("check %v with %v = %d, stderr:\n%s", tc.args, tc.env, code, errOut)
			continue
		}
		if v, _ := settingLine(t, out, "check_deadline"); v != `"8s"` {
			t.Errorf("check_deadline = %s, want \"8s\"", v)
		}
		if v, _ := settingLine(t, out, "timeout"); v != `"6.4s"` {
			t.Errorf("[settings] timeout = %s, want \"6.4s\" (4/5 of the deadline)", v)
		}
	}
}

// TestShortIntervalErrorsNameTheVariable: timeouts a file sets that the
// environment's interval leaves no room for are each reported on their own
// "statusgen:" line, naming the variable that shortened the deadline.
func TestShortIntervalErrorsNameTheVariable(t *testing.T) {
	w := newWorkspace(t, `[[service]]
name = "a"
url = "http://127.0.0.1:9/"
timeout = "10s"

[[service]]
name = "b"
url = "http://127.0.0.1:9/"
timeout = "9s"
`)
	code, out, errOut := w.run(t, map[string]string{"HEALTH_CHECK_INTERVAL": "10"}, "check")
	want := fmt.Sprintf(`statusgen: config %[1]s:4: service "a": timeout must be shorter than the check deadline (8s: 4/5 of HEALTH_CHECK_INTERVAL=10s), got "10s"
statusgen: config %[1]s:9: service "b": timeout must be shorter than the check deadline (8s: 4/5 of HEALTH_CHECK_INTERVAL=10s), got "9s"
`, w.config)
	if code != ExitUsage || out != "" || errOut != want {
		t.Errorf("check = %d, stdout %q, stderr\n%s\nwant 2, nothing on stdout, stderr\n%s", code, out, errOut, want)
	}
}

// TestEveryConfigErrorIsStatusgens: with several problems, every line
// carries the "statusgen:" prefix, not only the first.
func TestEveryConfigErrorIsStatusgens(t *testing.T) {
	w := newWorkspace(t, "[settings]\nretries = 0\ncolour = \"red\"\n\n[[service]]\nname = \"a\"\nurl = \"/relative\"\n")
	for _, cmd := range []string{"once", "check", "render"} {
		code, _, errOut := w.run(t, map[string]string{"DEBUG": "maybe"}, cmd)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if code != ExitUsage || len(lines) != 4 {
			t.Errorf("%s: exit %d, stderr\n%s\nwant 2 and four problems", cmd, code, errOut)
		}
		for _, line := range lines {
			if !strings.HasPrefix(line, "statusgen: config") {
				t.Errorf("%s: stderr line %q lacks the statusgen: prefix", cmd, line)
			}
		}
	}
}

// TestCheckSlackWithoutWebhookSaysOnlyThat: check --slack without a
// webhook prints its error, not the whole configuration before it.
func TestCheckSlackWithoutWebhookSaysOnlyThat(t *testing.T) {
	w := newWorkspace(t, newFakeSefaria(t).config())
	code, out, errOut := w.run(t, nil, "check", "--slack")
	const want = "statusgen: check --slack: no Slack webhook configured: set SLACK_WEBHOOK_URL\n"
	if code != ExitUsage || out != "" || errOut != want {
		t.Errorf("check --slack = %d, stdout %d lines, stderr %q; want 2, nothing on stdout, %q",
			code, strings.Count(out, "\n"), errOut, want)
	}
}
