package deploy

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// maxExposure is the highest overall exposure `systemd-analyze security`
// may give deploy/statusgen.service (0 is fully locked down, 10 unsafe;
// under 2 is rated OK).
const maxExposure = 2.0

// TestSystemdUnitSecurity rates the unit with systemd-analyze, offline
// (no running systemd needed).
func TestSystemdUnitSecurity(t *testing.T) {
	analyze := tool(t, "systemd-analyze")
	out, err := exec.Command(analyze, "security", "--offline=yes", "statusgen.service").CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for statusgen\.service: (\d+(?:\.\d+)?)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security gave no overall exposure:\n%s", out)
	}
	exposure, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("systemd-analyze security: overall exposure %.1f", exposure)
	if exposure > maxExposure {
		var exposed []string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "✗") {
				exposed = append(exposed, line)
			}
		}
		t.Errorf("deploy/statusgen.service is rated %.1f, want %.1f or less; exposed:\n%s", exposure, maxExposure, strings.Join(exposed, "\n"))
	}
}

// TestSystemdUnitVerify runs systemd-analyze verify on the unit with a
// statusgen binary at its ExecStart (a copy of the unit pointing at a
// fresh build): it must say nothing, since an unknown or misspelled
// setting is only a warning that leaves the service less protected.
func TestSystemdUnitVerify(t *testing.T) {
	analyze := tool(t, "systemd-analyze")
	u := readUnit(t)
	bin := staticBinary(t)
	dir := t.TempDir()
	unit := filepath.Join(dir, "statusgen.service")
	text := strings.Replace(u.text, "ExecStart="+u.execStart[0], "ExecStart="+bin, 1)
	writeFile(t, unit, text)
	if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify deploy/statusgen.service: %v\n%s", err, out)
	}
	// The same with a misspelled setting must not pass, or the check
	// proves nothing.
	bad := filepath.Join(t.TempDir(), "statusgen.service")
	writeFile(t, bad, strings.Replace(text, "ProtectClock=", "ProtectClok=", 1))
	if out, _ := exec.Command(analyze, "verify", bad).CombinedOutput(); !strings.Contains(string(out), "ProtectClok") {
		t.Errorf("systemd-analyze verify said nothing of a misspelled setting:\n%s", out)
	}
}

// TestSystemdSandboxAllowsRun traces `statusgen run`, started as the unit
// starts it (ExecStart's arguments in its WorkingDirectory), through
// cycles that check, alert Slack, render and save, and holds what it did
// to the unit's sandbox, which no test can start here (no running
// systemd): every system call in SystemCallFilter, every socket of a
// family in RestrictAddressFamilies, and every file it writes under
// ReadWritePaths (ProtectSystem=strict makes the rest read-only).
func TestSystemdSandboxAllowsRun(t *testing.T) {
	analyze := tool(t, "systemd-analyze")
	strace := tool(t, "strace")
	u := readUnit(t)
	allowed := u.syscalls(t, analyze)
	bin := staticBinary(t)

	root := t.TempDir()
	work := filepath.Join(root, u.workdir) // the unit's WorkingDirectory
	var writable []string
	for _, p := range u.readWrite {
		writable = append(writable, filepath.Join(root, p))
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tg := newFlipper(t)
	writeFile(t, filepath.Join(work, "services.toml"), tg.config())
	slack := newSlackFake(t)

	trace := filepath.Join(root, "trace")
	args := append([]string{"-f", "-qq", "-y", "-o", trace, "--", bin}, u.execStart[1:]...)
	cmd := exec.Command(strace, args...)
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "SLACK_WEBHOOK_URL=" + slack.srv.URL + "/ok"}
	var log lockedBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	tg.alternate("beta") // down, up, down: alerts to deliver
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && (serviceChecks(t, filepath.Join(work, "data"), "beta") < 3 || slack.mentioning("beta") < 2) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // the last cycle's render
	pid := tracedPID(t, trace)
	syscall.Kill(pid, syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("statusgen run under strace: %v\n%s", err, log.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("statusgen run did not stop on SIGTERM\n%s", log.String())
	}
	if _, err := os.Stat(filepath.Join(work, "site", "index.html")); err != nil {
		t.Errorf("run rendered no site: %v\n%s", err, log.String())
	}
	if slack.mentioning("beta") < 2 {
		t.Errorf("run delivered %d alerts for beta, want its DOWN and RECOVERED\n%s", slack.mentioning("beta"), log.String())
	}

	calls, families, writes := readTrace(t, trace)
	for _, name := range calls {
		if !allowed[name] {
			t.Errorf("statusgen run calls %s, which SystemCallFilter blocks", name)
		}
	}
	for _, fam := range families {
		if !slices.Contains(u.families, fam) {
			t.Errorf("statusgen run opens an %s socket, which RestrictAddressFamilies=%s blocks", fam, strings.Join(u.families, " "))
		}
	}
	for _, p := range writes {
		if !slices.ContainsFunc(writable, func(w string) bool { return p == w || strings.HasPrefix(p, w+"/") }) {
			t.Errorf("statusgen run writes %s, outside ReadWritePaths", p)
		}
	}
	t.Logf("traced: %d system calls, socket families %v, %d writes", len(calls), families, len(writes))
}

// unit is what the tests read of deploy/statusgen.service.
type unit struct {
	text      string
	execStart []string
	workdir   string
	readWrite []string
	filters   []string // SystemCallFilter= values, in order
	families  []string // RestrictAddressFamilies=
}

func readUnit(t *testing.T) unit {
	t.Helper()
	b, err := os.ReadFile("statusgen.service")
	if err != nil {
		t.Fatal(err)
	}
	u := unit{text: string(b)}
	for _, line := range strings.Split(u.text, "\n") {
		key, value, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		switch key {
		case "ExecStart":
			u.execStart = strings.Fields(value)
		case "WorkingDirectory":
			u.workdir = value
		case "ReadWritePaths":
			u.readWrite = append(u.readWrite, strings.Fields(value)...)
		case "SystemCallFilter":
			u.filters = append(u.filters, value)
		case "RestrictAddressFamilies":
			u.families = strings.Fields(value)
		}
	}
	if len(u.execStart) < 2 || u.workdir == "" || len(u.readWrite) == 0 || len(u.filters) == 0 || len(u.families) == 0 {
		t.Fatalf("statusgen.service lacks ExecStart, WorkingDirectory, ReadWritePaths, SystemCallFilter or RestrictAddressFamilies: %+v", u)
	}
	return u
}

// syscalls is the set of system calls the unit's SystemCallFilter lines
// allow, their groups expanded by systemd-analyze syscall-filter: an
// allow-list first, then ~ lists taken away.
func (u unit) syscalls(t *testing.T, analyze string) map[string]bool {
	t.Helper()
	out, err := exec.Command(analyze, "syscall-filter").Output()
	if err != nil {
		t.Fatalf("systemd-analyze syscall-filter: %v", err)
	}
	groups := map[string][]string{}
	var group string
	s := bufio.NewScanner(strings.NewReader(string(out)))
	for s.Scan() {
		line := s.Text()
		switch f := strings.TrimSpace(line); {
		case strings.HasPrefix(line, "@"):
			group = f
		case f == "" || strings.HasPrefix(f, "#"):
		case group != "":
			groups[group] = append(groups[group], f)
		}
	}
	var expand func(name string, into map[string]bool)
	expand = func(name string, into map[string]bool) {
		if !strings.HasPrefix(name, "@") {
			into[name] = true
			return
		}
		members, ok := groups[name]
		if !ok {
			t.Fatalf("systemd-analyze syscall-filter knows no group %s", name)
		}
		for _, m := range members {
			expand(m, into)
		}
	}
	allowed := map[string]bool{}
	for i, f := range u.filters {
		deny := strings.HasPrefix(f, "~")
		if i == 0 && deny {
			t.Fatalf("SystemCallFilter= starts with a deny list; the tests (and the rating) expect an allow-list")
		}
		set := map[string]bool{}
		for _, name := range strings.Fields(strings.TrimPrefix(f, "~")) {
			expand(name, set)
		}
		for name := range set {
			if deny {
				delete(allowed, name)
			} else {
				allowed[name] = true
			}
		}
	}
	return allowed
}

// staticBinary builds statusgen as `make build` does (CGO_ENABLED=0, the
// binary a server runs).
func staticBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "statusgen")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "../cmd/statusgen")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tracedPID is the traced program's process id: the first in the trace.
func tracedPID(t *testing.T, trace string) int {
	t.Helper()
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), " ")
	pid, err := strconv.Atoi(first)
	if err != nil {
		t.Fatalf("strace's trace starts with %q, want a process id", first)
	}
	return pid
}

var (
	callRe    = regexp.MustCompile(`^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>)`)
	familyRe  = regexp.MustCompile(`^\d+\s+socket\((AF_[A-Z0-9]+)`)
	writeRe   = regexp.MustCompile(`^\d+\s+(openat|mkdirat|renameat2?|unlinkat|linkat|symlinkat|fchmodat|utimensat)\((.*)`)
	atPathRe  = regexp.MustCompile(`(?:AT_FDCWD|\d+)<([^>]*)>, "((?:[^"\\]|\\.)*)"`)
	writeMode = regexp.MustCompile(`O_WRONLY|O_RDWR|O_CREAT`)
)

// readTrace reads strace -f -y output: the system calls made, the socket
// families opened and the paths written (opened for writing, created,
// renamed, removed, linked, changed).
func readTrace(t *testing.T, trace string) (calls, families, writes []string) {
	t.Helper()
	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	add := func(list *[]string, v string) {
		if key := fmt.Sprintf("%p %s", list, v); !seen[key] {
			seen[key] = true
			*list = append(*list, v)
		}
	}
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		line := s.Text()
		if m := callRe.FindStringSubmatch(line); m != nil {
			add(&calls, m[1])
		}
		if m := familyRe.FindStringSubmatch(line); m != nil {
			add(&families, m[1])
		}
		m := writeRe.FindStringSubmatch(line)
		if m == nil || (m[1] == "openat" && !writeMode.MatchString(m[2])) {
			continue
		}
		for _, p := range atPathRe.FindAllStringSubmatch(m[2], -1) {
			name := p[2]
			if !filepath.IsAbs(name) {
				name = filepath.Join(p[1], name)
			}
			add(&writes, filepath.Clean(name))
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(calls)
	slices.Sort(families)
	slices.Sort(writes)
	return calls, families, writes
}
