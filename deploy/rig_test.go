// Package deploy holds no Go code: its tests drive the deployment files in
// this folder against the real things they meet in production (git, a
// bare remote, the statusgen binary, actionlint, shellcheck).
package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The statusgen binary, built once for all tests.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func statusgenBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "statusgen-deploy-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "statusgen")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/statusgen").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// rig is one deployment: a bare repository standing in for GitHub, the
// services the runs check and a Slack webhook, all on this machine.
type rig struct {
	t       *testing.T
	dir     string
	remote  string // the bare repository
	script  string // the commit step under test
	bin     string
	targets *targets
	slack   *slackFake
}

func newRig(t *testing.T) *rig {
	t.Helper()
	for _, tool := range []string{"git", "bash", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run the commit step: %v", tool, err)
		}
	}
	script, err := filepath.Abs("commit-data.sh")
	if err != nil {
		t.Fatal(err)
	}
	// COMMIT_DATA_SCRIPT runs these tests against another commit step, e.g.
	// testdata/inline-commit-step.sh, the workflow's inline shell before.
	if s := os.Getenv("COMMIT_DATA_SCRIPT"); s != "" {
		if script, err = filepath.Abs(s); err != nil {
			t.Fatal(err)
		}
	}
	r := &rig{t: t, dir: t.TempDir(), script: script, bin: statusgenBinary(t),
		targets: newTargets(t), slack: newSlackFake(t)}
	r.remote = filepath.Join(r.dir, "remote.git")
	if err := os.MkdirAll(filepath.Join(r.dir, "home"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.git(r.dir, "init", "-q", "--bare", "-b", "main", r.remote)

	seed := filepath.Join(r.dir, "seed")
	r.git(r.dir, "init", "-q", "-b", "main", seed)
	gitignore, err := os.ReadFile("../.gitignore")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(seed, ".gitignore"), string(gitignore))
	writeFile(t, filepath.Join(seed, "README.md"), "# status\n")
	writeFile(t, filepath.Join(seed, "data", "README.md"), "# data/\n")
	writeFile(t, filepath.Join(seed, "services.toml"), fmt.Sprintf(`[settings]
title = "Deploy test"
interval = "6s"
retries = 1
retry_delay = "0s"
failure_threshold = 2

[[service]]
name = "alpha"
url = "%[1]s/alpha"
expected_status = 200
timeout = "2s"

[[service]]
name = "beta"
url = "%[1]s/beta"
expected_status = 200
timeout = "2s"
`, r.targets.srv.URL))
	r.git(seed, "add", "-A")
	r.human(seed, "commit", "-q", "-m", "statusgen for the test")
	r.git(seed, "remote", "add", "origin", r.remote)
	r.git(seed, "push", "-q", "origin", "main")
	return r
}

// env is what the commit step and git see: no global or system git
// configuration of the machine running the tests.
func (r *rig) env(extra ...string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(r.dir, "home"),
		"TMPDIR=" + os.TempDir(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"LANG=C.UTF-8",
	}, extra...)
}

func (r *rig) git(dir string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = dir, r.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return strings.TrimSpace(string(out))
}

// human runs git as a person would, with a name.
func (r *rig) human(dir string, args ...string) string {
	r.t.Helper()
	return r.git(dir, append([]string{"-c", "user.name=Ada", "-c", "user.email=ada@example.org"}, args...)...)
}

// humanPush clones the branch's tip, lets edit change the work tree and
// pushes the result as one commit, as someone editing the repository
// meanwhile would.
func (r *rig) humanPush(what string, edit func(dir string)) {
	r.t.Helper()
	dir := filepath.Join(r.dir, fmt.Sprintf("human-%d", time.Now().UnixNano()))
	r.git(r.dir, "clone", "-q", r.remote, dir)
	edit(dir)
	r.git(dir, "add", "-A")
	r.human(dir, "commit", "-q", "-m", what)
	r.git(dir, "push", "-q", "origin", "main")
}

// clone is a runner's checkout: a shallow clone (as actions/checkout
// makes) with the binary in bin/, as `make build` leaves it.
type clone struct {
	r     *rig
	name  string
	dir   string
	slack string // the webhook path: "/ok" or "/fail"
}

func (r *rig) clone(name, slackPath string) *clone {
	r.t.Helper()
	c := &clone{r: r, name: name, dir: filepath.Join(r.dir, name), slack: slackPath}
	r.git(r.dir, "clone", "-q", "--depth", "1", "file://"+r.remote, c.dir)
	bin, err := os.ReadFile(r.bin)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(c.dir, "bin"), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, "bin", "statusgen"), bin, 0o755); err != nil {
		r.t.Fatal(err)
	}
	return c
}

// seedCycle is a cycle of an earlier run, committed and pushed without
// the script: the history a run starts from.
func (r *rig) seedCycle() {
	r.t.Helper()
	c := r.clone(fmt.Sprintf("earlier-%d", time.Now().UnixNano()), "/ok")
	cmd := exec.Command("./bin/statusgen", "once")
	cmd.Dir, cmd.Env = c.dir, r.env("SLACK_WEBHOOK_URL="+r.slack.srv.URL+c.slack)
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("seed cycle: %v\n%s", err, out)
	}
	r.git(c.dir, "add", "data")
	r.human(c.dir, "commit", "-q", "-m", "status: an earlier cycle")
	r.git(c.dir, "push", "-q", "origin", "main")
}

// run is the commit step running in a clone.
type run struct {
	c    *clone
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{}
	code int
}

// start runs the commit step as the workflow does, with a cycle of
// ./bin/statusgen once.
func (c *clone) start(extra ...string) *run {
	c.r.t.Helper()
	summary := filepath.Join(c.r.dir, c.name+"-summary.txt")
	args := append([]string{c.r.script, "--branch", "main", "--summary", summary}, extra...)
	args = append(args, "--", "./bin/statusgen", "once", "--summary", summary)
	p := &run{c: c, cmd: exec.Command("bash", args...), done: make(chan struct{})}
	p.cmd.Dir = c.dir
	p.cmd.Env = c.r.env("SLACK_WEBHOOK_URL="+c.r.slack.srv.URL+c.slack, "GITHUB_REF_NAME=main")
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	// Its own process group, so a test that gives up ends git and hooks too.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.WaitDelay = 10 * time.Second
	if err := p.cmd.Start(); err != nil {
		c.r.t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			p.code = exit.ExitCode()
		case err != nil:
			p.code = -1
		}
		close(p.done)
	}()
	c.r.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

// commit runs the commit step to its end.
func (c *clone) commit(extra ...string) *run {
	p := c.start(extra...)
	p.wait()
	return p
}

func (p *run) wait() int {
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		p.c.r.t.Fatalf("%s: the commit step did not end within 2 minutes:\n%s", p.c.name, p.out.String())
	}
	p.c.r.t.Logf("%s: commit step exited %d:\n%s", p.c.name, p.code, p.out.String())
	return p.code
}

// head is the clone's HEAD commit.
func (c *clone) head() string { return c.r.git(c.dir, "rev-parse", "HEAD") }

// gate holds a clone's first push until the test releases it: a pre-push
// hook, so the cycle is done and committed by then.
type gate struct {
	c       *clone
	arrive  *os.File
	arrived chan struct{}
	release string
}

func (c *clone) gateFirstPush() *gate {
	c.r.t.Helper()
	dir := filepath.Join(c.r.dir, c.name+"-gate")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.r.t.Fatal(err)
	}
	g := &gate{c: c, arrived: make(chan struct{}), release: filepath.Join(dir, "release")}
	for _, fifo := range []string{"arrive", "release"} {
		if err := syscall.Mkfifo(filepath.Join(dir, fifo), 0o600); err != nil {
			c.r.t.Fatal(err)
		}
	}
	// Read-write: opening never blocks, and the hook's write finds a reader.
	f, err := os.OpenFile(filepath.Join(dir, "arrive"), os.O_RDWR, 0)
	if err != nil {
		c.r.t.Fatal(err)
	}
	g.arrive = f
	c.r.t.Cleanup(func() { f.Close() })
	go func() {
		if _, err := bufio.NewReader(f).ReadString('\n'); err == nil {
			close(g.arrived)
		}
	}()
	hook := fmt.Sprintf(`#!/bin/sh
# Only the first push waits.
if [ ! -e %[3]q ]; then
	: >%[3]q
	exec 3<>%[1]q
	echo arrived >%[2]q
	read -r _ <&3
fi
exit 0
`, g.release, filepath.Join(dir, "arrive"), filepath.Join(dir, "used"))
	writeFile(c.r.t, filepath.Join(c.dir, ".git", "hooks", "pre-push"), hook)
	if err := os.Chmod(filepath.Join(c.dir, ".git", "hooks", "pre-push"), 0o755); err != nil {
		c.r.t.Fatal(err)
	}
	return g
}

// wait returns once p is about to push its first commit.
func (g *gate) wait(p *run) {
	g.c.r.t.Helper()
	select {
	case <-g.arrived:
	case <-p.done:
		g.c.r.t.Fatalf("%s: the commit step ended (exit %d) before pushing:\n%s", g.c.name, p.code, p.out.String())
	case <-time.After(2 * time.Minute):
		g.c.r.t.Fatalf("%s: no push within 2 minutes:\n%s", g.c.name, p.out.String())
	}
}

// open lets the held push go on.
func (g *gate) open() {
	g.c.r.t.Helper()
	f, err := os.OpenFile(g.release, os.O_WRONLY, 0) // the hook holds it open: no wait
	if err != nil {
		g.c.r.t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.WriteString(f, "go\n"); err != nil {
		g.c.r.t.Fatal(err)
	}
}

// remoteTip is the remote branch's commit.
func (r *rig) remoteTip() string { return r.git(r.dir, "--git-dir", r.remote, "rev-parse", "main") }

// onRemote reports whether commit (of clone c) is on the remote branch.
func (r *rig) onRemote(c *clone, commit string) bool {
	cmd := exec.Command("git", "--git-dir", r.remote, "merge-base", "--is-ancestor", commit, "main")
	cmd.Env = r.env()
	return cmd.Run() == nil
}

// historyLines is every line of data/checks/*.jsonl and
// data/incidents.jsonl in commit of the repository at gitDir, by path.
func (r *rig) historyLines(gitDir, commit string) map[string][]string {
	r.t.Helper()
	out := map[string][]string{}
	for _, path := range strings.Fields(r.git(r.dir, "--git-dir", gitDir, "ls-tree", "-r", "--name-only", commit, "data")) {
		if !strings.HasSuffix(path, ".jsonl") {
			continue
		}
		text := r.git(r.dir, "--git-dir", gitDir, "show", commit+":"+path)
		out[path] = strings.Split(text, "\n")
	}
	return out
}

// remoteState is data/state.json on the remote branch.
func (r *rig) remoteState() state {
	r.t.Helper()
	var st state
	text := r.git(r.dir, "--git-dir", r.remote, "show", "main:data/state.json")
	if err := json.Unmarshal([]byte(text), &st); err != nil {
		r.t.Fatalf("remote state.json: %v\n%s", err, text)
	}
	return st
}

type state struct {
	Services map[string]struct {
		Failures   int       `json:"failures"`
		Announced  bool      `json:"announced"`
		IncidentID string    `json:"incident_id"`
		LastCheck  time.Time `json:"last_check"`
	} `json:"services"`
	Outbox []struct {
		Kind       string `json:"kind"`
		Service    string `json:"service"`
		IncidentID string `json:"incident_id"`
	} `json:"outbox"`
}

// checkRemote asserts what must hold on the remote after any run: every
// history line the given commits added (by clone) is there, state.json is
// from the latest cycle there, and the rollups count every line there.
func (r *rig) checkRemote(t *testing.T, commits map[string]string) {
	t.Helper()
	remote := r.historyLines(r.remote, "main")
	for what, commit := range commits {
		gitDir := filepath.Join(r.dir, what, ".git")
		before := r.historyLines(gitDir, commit+"^")
		for path, lines := range r.historyLines(gitDir, commit) {
			have := map[string]bool{}
			for _, l := range remote[path] {
				have[l] = true
			}
			old := map[string]bool{}
			for _, l := range before[path] {
				old[l] = true
			}
			added, missing := 0, 0
			for _, l := range lines {
				if old[l] {
					continue
				}
				added++
				if !have[l] {
					missing++
				}
			}
			if missing > 0 {
				t.Errorf("%d of the %d lines %s's commit %.7s added to %s are not on the remote", missing, added, what, commit, path)
			}
		}
	}

	latest := map[string]time.Time{}
	for path, lines := range remote {
		if !strings.HasPrefix(path, "data/checks/") {
			continue
		}
		for _, l := range lines {
			var line struct {
				Time    time.Time `json:"time"`
				Service string    `json:"service"`
			}
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Errorf("%s on the remote: bad line %q: %v", path, l, err)
				continue
			}
			if line.Time.After(latest[line.Service]) {
				latest[line.Service] = line.Time
			}
		}
	}
	st := r.remoteState()
	for name, at := range latest {
		ss, ok := st.Services[name]
		if !ok || !ss.LastCheck.Truncate(time.Millisecond).Equal(at) {
			t.Errorf("remote state.json: %s last checked %v, but its latest check line on the remote is of %v: the state is not the latest cycle's",
				name, ss.LastCheck, at)
		}
	}

	// The rollups count every line: rebuilding them from the lines changes nothing.
	c := r.clone(fmt.Sprintf("verify-%d", time.Now().UnixNano()), "/ok")
	cmd := exec.Command("./bin/statusgen", "rebuild")
	cmd.Dir, cmd.Env = c.dir, r.env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("statusgen rebuild: %v\n%s", err, out)
	}
	if diff := r.git(c.dir, "status", "--porcelain"); diff != "" {
		t.Errorf("the rollups on the remote miss lines that are there: a rebuild changes\n%s", diff)
	}
}

// targets serves /alpha and /beta, each up (200) or down (503).
type targets struct {
	srv  *httptest.Server
	mu   sync.Mutex
	down map[string]bool
}

func newTargets(t *testing.T) *targets {
	tg := &targets{down: map[string]bool{}}
	tg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		down := tg.down[strings.TrimPrefix(r.URL.Path, "/")]
		tg.mu.Unlock()
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(tg.srv.Close)
	return tg
}

func (tg *targets) set(service string, up bool) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.down[service] = !up
}

// slackFake accepts messages posted to /ok and answers 500 to /fail.
type slackFake struct {
	srv      *httptest.Server
	mu       sync.Mutex
	accepted []string
}

func newSlackFake(t *testing.T) *slackFake {
	s := &slackFake{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/ok" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		s.mu.Lock()
		s.accepted = append(s.accepted, string(body))
		s.mu.Unlock()
		io.WriteString(w, "ok")
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// mentioning counts the accepted messages that name service.
func (s *slackFake) mentioning(service string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(slices.DeleteFunc(slices.Clone(s.accepted), func(m string) bool { return !strings.Contains(m, service) }))
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
