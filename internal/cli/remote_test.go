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
	"time"

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
		votes         map[string][]string         // service → locations with a check recorded this cycle
		pages         map[string][]*regexp.Regexp // site file → what it must say
	}{
		{name: "all up",
			// The exporter cannot check API (it sends a header): it is out
			// of API's vote, never a missing one.
			notWant: res(`DOWN`, `RECOVERED`, `missing`, `no answer`),
			votes:   map[string][]string{"Web": {"eu-west", "us-east", "ap-south", "bbx"}, "API": {"eu-west", "us-east", "ap-south"}},
			pages: map[string][]*regexp.Regexp{
				"services/api.html": res(`<bdi>bbx</bdi></th><td data-label="Status"><span class="s-unknown"><span class="icon" aria-hidden="true">–</span> Not checked from here</span>`,
					`<bdi>ap-south</bdi></th><td data-label="Status"><span class="s-up">`),
				"services/web.html": res(`<bdi>bbx</bdi></th><td data-label="Status"><span class="s-up">`),
			}},
		{name: "only the exporter sees Web fail", picky: true,
			want:    res(`(?m)^Web\s+up\b`, `Web: Down from 1 of 4 locations: bbx`),
			notWant: res(`DOWN`),
			votes:   map[string][]string{"Web": {"eu-west", "us-east", "ap-south", "bbx"}, "API": {"eu-west", "us-east", "ap-south"}},
			pages: map[string][]*regexp.Regexp{
				"services/web.html": res(`<p class="state s-up">.*Operational</p>`, `<span class="watch">Down from 1 of 4 locations: bbx</span>`,
					`<bdi>bbx</bdi></th><td data-label="Status"><span class="s-down"><span class="icon" aria-hidden="true">✖</span> Down</span> · Unexpected response \(HTTP 503\)`),
				"index.html": res(`<span class="watch">Down from 1 of 4 locations: bbx</span>`, `All systems operational`),
			}},
		{name: "everyone sees it fail", down: true,
			want: res(`DOWN Web since \S+ \(1 failed checks, status, from eu-west, us-east, ap-south, bbx\)`,
				`DOWN API since \S+ \(1 failed checks, status, from eu-west, us-east, ap-south\)`)},
		{name: "an agent is killed, then the target recovers", kill: "ap-south",
			want:    res(`RECOVERED Web`, `RECOVERED API`, `locations missing from the vote.*ap-south`, `location did not answer some checks.*location=ap-south`),
			notWant: res(`DOWN`),
			votes:   map[string][]string{"Web": {"eu-west", "us-east", "bbx"}, "API": {"eu-west", "us-east"}},
			pages: map[string][]*regexp.Regexp{
				"services/api.html": res(`<span class="watch">No answer from ap-south</span>`,
					`<bdi>ap-south</bdi></th><td data-label="Status"><span class="s-unknown"><span class="icon" aria-hidden="true">–</span> No answer</span>.*last answered <time`),
			}},
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
		checkPages(t, fmt.Sprintf("cycle %d (%s)", i, step.name), w.site, step.pages)
		for _, secret := range []string{agentToken, "api-key-secret-9"} {
			if strings.Contains(all, secret) || strings.Contains(strings.Join(mapValues(dataTree(t, w.data)), ""), secret) {
				t.Errorf("cycle %d: %q in the output or data/", i, secret)
			}
		}
	}
}

// checkPages reads the site files once wrote and wants each pattern in
// its file.
func checkPages(t *testing.T, what, site string, pages map[string][]*regexp.Regexp) {
	t.Helper()
	for name, want := range pages {
		b, err := os.ReadFile(filepath.Join(site, name))
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		for _, re := range want {
			if !re.Match(b) {
				t.Errorf("%s: %s lacks %q", what, name, re)
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

// `run` with agents at urls asks every location for each service's check
// in its spread cycle: the real binary, two real agents and this machine,
// quorum 2, 1 s cycles. An outage all see is one DOWN naming the three; a
// killed agent is logged once and its vote is missing; the recovery is
// decided by the two left.
func TestRunAsksAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs for a few seconds")
	}
	bin := buildStatusgen(t)
	var down atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(target.Close)
	free := func() string { return fmt.Sprintf("127.0.0.1:%d", realserver.FreePort(t, "127.0.0.1")) }
	usEast, apSouth := free(), free()
	w := newWorkspace(t, fmt.Sprintf(`[settings]
interval = "1s"
retries = 1
failure_threshold = 1
quorum = 2

[[service]]
name = "Web"
url = "%[1]s/web"
headers = { "X-Api-Key" = "${API_KEY}" }

[[location]]
name = "eu-west"

[[location]]
name = "us-east"
url = "http://%[2]s"

[[location]]
name = "ap-south"
url = "http://%[3]s"
`, target.URL, usEast, apSouth))
	environ := []string{AgentTokenEnv + "=" + agentToken, "API_KEY=api-key-secret-9", "PATH=" + os.Getenv("PATH")}
	agents := map[string]*exec.Cmd{}
	for name, addr := range map[string]string{"us-east": usEast, "ap-south": apSouth} {
		cmd := exec.Command(bin, "agent", "--config", w.config, "--listen", addr, "--location", name)
		cmd.Env = environ
		startAgent(t, cmd, addr)
		agents[name] = cmd
	}
	run := exec.Command(bin, "run", "--config", w.config, "--data", w.data, "--site", w.site)
	run.Env = environ
	logs := &realserver.SyncBuffer{}
	run.Stderr = logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	var runErr error
	exited := make(chan struct{})
	go func() { runErr = run.Wait(); close(exited) }()
	t.Cleanup(func() {
		run.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("run's log:\n%s", logs)
		}
	})
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s after 20 s", what)
			}
		}
	}
	fromAll := func(want ...string) func() bool {
		return func() bool {
			got := located(t, w.data)["Web"]
			for _, l := range want {
				if !slices.Contains(got, l) {
					return false
				}
			}
			return true
		}
	}
	waitFor("check of Web from every location", fromAll("eu-west", "us-east", "ap-south"))
	down.Store(true)
	waitFor("DOWN naming the three locations", func() bool {
		return regexp.MustCompile(`DOWN Web since \S+ \(1 failed checks, status, from eu-west, us-east, ap-south\)`).MatchString(logs.String())
	})
	agents["ap-south"].Process.Kill()
	agents["ap-south"].Process.Wait()
	down.Store(false)
	waitFor("RECOVERED", func() bool { return strings.Contains(logs.String(), "RECOVERED Web") })
	waitFor("a log of the killed agent", func() bool {
		return regexp.MustCompile(`location stopped answering.*location=ap-south`).MatchString(logs.String())
	})

	run.Process.Signal(os.Interrupt)
	select {
	case <-exited:
		if runErr != nil {
			t.Errorf("run after SIGINT: %v, want exit 0", runErr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop within 15 s of SIGINT")
	}
	out := logs.String()
	if n := strings.Count(out, "DOWN Web"); n != 1 {
		t.Errorf("%d DOWN alerts for Web, want 1", n)
	}
	if n := strings.Count(out, "location stopped answering"); n != 1 {
		t.Errorf("the killed agent was logged %d times, want once until it answers again", n)
	}
	for _, secret := range []string{agentToken, "api-key-secret-9"} {
		if strings.Contains(out, secret) || strings.Contains(strings.Join(mapValues(dataTree(t, w.data)), ""), secret) {
			t.Errorf("%q in run's log or data/", secret)
		}
	}
}
