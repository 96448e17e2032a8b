package cli

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/realserver"
)

// `once` with [[location]]s at urls asks them all each cycle: this
// machine, two real `statusgen agent`s and Debian's blackbox_exporter,
// quorum 2. A failure only the exporter sees is a note; one all see is a
// DOWN naming every location; a killed agent's vote is missing and
// nothing else changes.
func TestOnceAsksAgentsAndBlackbox(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts agents")
	}
	bbxBin := realserver.Tool(t, "prometheus-blackbox-exporter", "prometheus-blackbox-exporter")
	bin := buildStatusgen(t)

	// The target fails everyone while down, and, while picky, any client
	// that is not statusgen: the exporter alone.
	var down, picky atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() || picky.Load() && !strings.HasPrefix(r.UserAgent(), "statusgen/") {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(target.Close)

	free := func() string { return fmt.Sprintf("127.0.0.1:%d", realserver.FreePort(t, "127.0.0.1")) }
	usEast, apSouth, bbx := free(), free(), free()
	conf := filepath.Join(t.TempDir(), "blackbox.yml")
	if err := os.WriteFile(conf, []byte("modules:\n  http_2xx:\n    prober: http\n    http:\n      preferred_ip_protocol: ip4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	realserver.Start(t, "blackbox_exporter", exec.Command(bbxBin, "--config.file="+conf, "--web.listen-address="+bbx), bbx)

	w := newWorkspace(t, fmt.Sprintf(`[settings]
interval = "10s"
retries = 1
failure_threshold = 1
quorum = 2

[[service]]
name = "Web"
url = "%[1]s/web"

[[service]]
name = "API"
url = "%[1]s/api"
headers = { "X-Api-Key" = "${API_KEY}" }

[[location]]
name = "eu-west"

[[location]]
name = "us-east"
url = "http://%[2]s"

[[location]]
name = "ap-south"
url = "http://%[3]s/"

[[location]]
name = "bbx"
kind = "blackbox"
url = "http://%[4]s"
module = "http_2xx"
`, target.URL, usEast, apSouth, bbx))
	env := map[string]string{AgentTokenEnv: agentToken, "API_KEY": "api-key-secret-9"}
	agents := map[string]*exec.Cmd{}
	for name, addr := range map[string]string{"us-east": usEast, "ap-south": apSouth} {
		cmd := exec.Command(bin, "agent", "--config", w.config, "--listen", addr, "--location", name)
		cmd.Env = []string{AgentTokenEnv + "=" + agentToken, "API_KEY=api-key-secret-9", "PATH=" + os.Getenv("PATH")}
		startAgent(t, cmd, addr)
		agents[name] = cmd
	}

	for i, step := range []struct {
		name          string
		down, picky   bool
		kill          string
		want, notWant []*regexp.Regexp
		votes         map[string][]string // service → locations with a check recorded this cycle
	}{
		{name: "all up",
			notWant: res(`DOWN`, `RECOVERED`, `missing`),
			votes:   map[string][]string{"Web": {"eu-west", "us-east", "ap-south", "bbx"}, "API": {"eu-west", "us-east", "ap-south"}}},
		{name: "only the exporter sees Web fail", picky: true,
			want:    res(`(?m)^Web\s+up\b`, `Web: Down from 1 of 4 locations: bbx`),
			notWant: res(`DOWN`),
			votes:   map[string][]string{"Web": {"eu-west", "us-east", "ap-south", "bbx"}, "API": {"eu-west", "us-east", "ap-south"}}},
		{name: "everyone sees it fail", down: true,
			want: res(`DOWN Web since \S+ \(1 failed checks, status, from eu-west, us-east, ap-south, bbx\)`,
				`DOWN API since \S+ \(1 failed checks, status, from eu-west, us-east, ap-south\)`)},
		{name: "an agent is killed, then the target recovers", kill: "ap-south",
			want:    res(`RECOVERED Web`, `RECOVERED API`, `locations missing from the vote.*ap-south`, `location did not answer some checks.*location=ap-south`),
			notWant: res(`DOWN`),
			votes:   map[string][]string{"Web": {"eu-west", "us-east", "bbx"}, "API": {"eu-west", "us-east"}}},
	} {
		down.Store(step.down)
		picky.Store(step.picky)
		if step.kill != "" {
			agents[step.kill].Process.Kill()
			agents[step.kill].Process.Wait()
		}
		before := located(t, w.data)
		code, out, errOut := w.run(t, env, "once")
		if code != ExitOK {
			t.Fatalf("cycle %d (%s): once exit %d\n%s%s", i, step.name, code, out, errOut)
		}
		all := out + errOut
		for _, re := range step.want {
			if !re.MatchString(all) {
				t.Errorf("cycle %d (%s): want %q in\n%s", i, step.name, re, all)
			}
		}
		for _, re := range step.notWant {
			if re.MatchString(all) {
				t.Errorf("cycle %d (%s): did not want %q in\n%s", i, step.name, re, all)
			}
		}
		if step.votes != nil {
			after := located(t, w.data)
			for svc, want := range step.votes {
				got := after[svc][len(before[svc]):]
				if !slices.Equal(sorted(got), sorted(want)) {
					t.Errorf("cycle %d (%s): %s's recorded checks came from %v, want %v", i, step.name, svc, got, want)
				}
			}
		}
		for _, secret := range []string{agentToken, "api-key-secret-9"} {
			if strings.Contains(all, secret) || strings.Contains(strings.Join(mapValues(dataTree(t, w.data)), ""), secret) {
				t.Errorf("cycle %d: %q in the output or data/", i, secret)
			}
		}
	}
}

func res(patterns ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		out[i] = regexp.MustCompile(p)
	}
	return out
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// located is, for each service, the locations of its recorded checks, in
// the order of the check files.
func located(t *testing.T, data string) map[string][]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, history.ChecksDir, "*.jsonl"))
	out := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for line := range bytes.SplitSeq(b, []byte("\n")) {
			if r, ok := history.DecodeLine(line); ok && r.Location != "" {
				out[r.Service] = append(out[r.Service], r.Location)
			}
		}
	}
	return out
}
