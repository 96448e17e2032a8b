package deploy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSiteOnBindMount is compose.yaml without Docker: the host's site/ is
// bind-mounted where the runner writes its site and, read-only, where
// Caddy serves it, in a private mount namespace (unshare -m); the folder
// around the runner's site/ and data/ is read-only. `once`, then
// `run`, render into the mount; the host's folder, the read-only mount and
// a real Caddy serving it must each show every render, and a reader
// polling them meanwhile must never see a half-written index or a link to
// a missing page.
func TestSiteOnBindMount(t *testing.T) {
	c := readCompose(t)
	caddy := tool(t, "caddy") // compose's web server; Debian's package
	bin := statusgenBinary(t)
	root := t.TempDir()
	host := filepath.Join(root, "host") // the folder beside compose.yaml
	ctr := filepath.Join(root, "runner")
	web := filepath.Join(root, "web")
	work := filepath.Join(ctr, c.workdir) // the runner's WORKDIR
	mnt := filepath.Join(ctr, c.siteMount)
	roMnt := filepath.Join(web, c.webMount)
	for _, d := range []string{filepath.Join(host, "site"), filepath.Join(host, "data"), mnt, filepath.Join(work, "data"), roMnt} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tg := newFlipper(t)
	writeFile(t, filepath.Join(work, "services.toml"), tg.config())

	ns := newMountNamespace(t,
		// The runner's folder is read-only but for data/ and site/, as
		// systemd's ProtectSystem=strict with ReadWritePaths leaves it.
		[]string{"--bind", work, work},
		[]string{"-o", "remount,bind,ro", work},
		[]string{"--bind", filepath.Join(host, "site"), mnt},
		[]string{"--bind", filepath.Join(host, "data"), filepath.Join(work, "data")},
		[]string{"-o", "bind,ro", filepath.Join(host, "site"), roMnt},
	)
	if err := ns.command(work, "touch", "beside-the-site").Run(); err == nil {
		t.Fatalf("%s is writable in the namespace, want it read-only around data/ and site/", work)
	}
	views := []view{
		fileView("the host's site/", filepath.Join(host, "site")),
		fileView("the read-only mount", ns.path(roMnt)),
		ns.caddy(t, caddy, roMnt),
	}

	// `once`, twice: the second render's new content must be seen.
	once := func() {
		t.Helper()
		out, err := ns.command(work, bin, "once").CombinedOutput()
		if err != nil {
			t.Fatalf("statusgen once in the runner's namespace: %v\n%s", err, out)
		}
	}
	once()
	first := readIndex(t, filepath.Join(host, "site"))
	tg.set("beta", false)
	once()
	second := readIndex(t, filepath.Join(host, "site"))
	if bytes.Equal(first, second) {
		t.Fatalf("the host's site/index.html did not change after a second once (beta went down):\n%s", second)
	}
	for _, v := range views {
		if got, err := v.read("index.html"); err != nil || !bytes.Equal(got, second) {
			t.Errorf("after the second once, %s serves an index.html other than the render's (%v)", v.name, err)
		}
		if err := v.complete("services/beta.html"); err != nil {
			t.Errorf("after the second once, %s: %v", v.name, err)
		}
	}

	// `run`, while readers poll every view. The kernel counts the renders:
	// each replaces the index once.
	renders := watchRenames(t, filepath.Join(host, "site"), "index.html")
	tg.alternate("beta")
	ctx, stop := context.WithCancel(context.Background())
	pollers := make([]*poller, len(views))
	var wg sync.WaitGroup
	for i, v := range views {
		pollers[i] = &poller{v: v}
		wg.Go(func() { pollers[i].run(ctx) })
	}
	for _, p := range pollers { // each has read the second once's index
		for start := time.Now(); p.started() == 0 && time.Since(start) < 10*time.Second; {
			time.Sleep(10 * time.Millisecond)
		}
	}
	cmd := ns.command(work, bin, "run")
	var log lockedBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	const want = 5
	for deadline := time.Now().Add(30 * time.Second); renders() < want && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("statusgen run: %v\n%s", err, log.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("statusgen run did not stop on SIGTERM\n%s", log.String())
	}
	time.Sleep(100 * time.Millisecond) // a last poll of the final render
	stop()
	wg.Wait()

	n := renders()
	final := readIndex(t, filepath.Join(host, "site"))
	t.Logf("run rendered %d times", n)
	if n < want {
		t.Errorf("run rendered %d times into the mount, want %d or more\n%s", n, want, log.String())
	}
	for _, p := range pollers {
		for _, problem := range p.problems {
			t.Errorf("%s, during run: %s", p.v.name, problem)
		}
		if seen := p.seen(); len(seen) != n {
			t.Errorf("%s showed %d of run's %d renders: %v", p.v.name, len(seen), n, seen)
		}
		if got, err := p.v.read("index.html"); err != nil || !bytes.Equal(got, final) {
			t.Errorf("after run, %s serves an index.html other than the last render's (%v)", p.v.name, err)
		}
	}
	if strings.Contains(log.String(), "render failed") {
		t.Errorf("run logged a failed render:\n%s", log.String())
	}
}

// compose is what the mount test takes from compose.yaml and the Dockerfile.
type compose struct {
	workdir   string // the image's WORKDIR, where `run` finds site/ by default
	siteMount string // where compose mounts ./site for the runner
	webMount  string // where compose mounts ./site, read-only, for Caddy
}

// readCompose reads the site's two mounts from compose.yaml and checks
// that they meet: the runner's is its default --site, Caddy serves the
// read-only one.
func readCompose(t *testing.T) compose {
	t.Helper()
	y, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	for _, m := range regexp.MustCompile(`(?m)^\s*-\s*"?\./site:(/[^:"\s]+)(:ro)?"?\s*$`).FindAllStringSubmatch(string(y), -1) {
		if m[2] == "" {
			c.siteMount = m[1]
		} else {
			c.webMount = m[1]
		}
	}
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^WORKDIR\s+(\S+)\s*$`).FindAllStringSubmatch(string(df), -1) {
		c.workdir = m[1] // the last stage's
	}
	if c.siteMount == "" || c.webMount == "" || c.workdir == "" {
		t.Fatalf("compose.yaml and the Dockerfile: want ./site mounted read-write and read-only, and a WORKDIR; found %+v", c)
	}
	if c.siteMount != c.workdir+"/site" {
		t.Errorf("compose.yaml mounts ./site at %s, but the runner writes %s/site (its --site default in WORKDIR)", c.siteMount, c.workdir)
	}
	if !strings.Contains(string(y), `"--root", "`+c.webMount+`"`) {
		t.Errorf("compose.yaml's Caddy does not serve %s, where it mounts ./site", c.webMount)
	}
	return c
}

// mountNamespace is a private mount namespace held open by a sleeping
// process, in which the test's bind mounts exist; nothing leaks to the
// machine's own mounts.
type mountNamespace struct {
	pid int
}

// newMountNamespace makes the mounts (each a list of `mount` arguments) in
// a new namespace. It needs root: without it the test skips, or under
// CI=true (where the tests run as root) fails.
func newMountNamespace(t *testing.T, mounts ...[]string) *mountNamespace {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format+" (CI runs as root with util-linux's unshare)", args...)
		}
		t.Skipf(format+"; skipping", args...)
	}
	if os.Geteuid() != 0 {
		unavailable("bind mounts in a mount namespace need root")
	}
	for _, name := range []string{"unshare", "nsenter", "mount"} {
		if _, err := exec.LookPath(name); err != nil {
			unavailable("%s is not installed", name)
		}
	}
	script := "set -e\n"
	for _, m := range mounts {
		script += "mount"
		for _, a := range m {
			script += " '" + a + "'"
		}
		script += "\n"
	}
	script += "echo ready\nexec sleep 600\n"
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		unavailable("unshare: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		cmd.Wait()
		unavailable("unshare --mount: %s", strings.TrimSpace(stderr.String()))
	}
	return &mountNamespace{pid: cmd.Process.Pid}
}

// command runs name in the namespace, in dir. The folder is entered from
// inside (env -C), not with nsenter --wd, which opens it outside, where a
// relative path would miss the mounts.
func (ns *mountNamespace) command(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{fmt.Sprintf("--mount=/proc/%d/ns/mnt", ns.pid), "--", "env", "-C", dir, name}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	return cmd
}

// path is p as the namespace sees it, for this process to read.
func (ns *mountNamespace) path(p string) string {
	return fmt.Sprintf("/proc/%d/root%s", ns.pid, p)
}

// caddy starts Caddy's file server on root in the namespace, as compose
// does, and returns the view of the site it serves.
func (ns *mountNamespace) caddy(t *testing.T, caddy, root string) view {
	t.Helper()
	home := t.TempDir()
	return serveView(t, "Caddy serving the read-only mount", home, func(addr string) *exec.Cmd {
		cmd := ns.command(home, caddy, "file-server", "--root", root, "--listen", addr)
		cmd.Env = append(cmd.Env, "XDG_CONFIG_HOME="+home, "XDG_DATA_HOME="+home)
		return cmd
	})
}

// view is one way to read the site: a folder, or a server.
type view struct {
	name string
	read func(name string) ([]byte, error) // fs.ErrNotExist when missing
}

func fileView(name, dir string) view {
	return view{name, func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, filepath.FromSlash(name))) }}
}

func httpView(name, base string) view {
	client := &http.Client{Timeout: 5 * time.Second}
	return view{name, func(name string) ([]byte, error) {
		resp, err := client.Get(base + "/" + name)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		switch {
		case err != nil:
			return nil, err
		case resp.StatusCode == http.StatusNotFound:
			return nil, fmt.Errorf("GET /%s: %s: %w", name, resp.Status, fs.ErrNotExist)
		case resp.StatusCode != http.StatusOK:
			return nil, fmt.Errorf("GET /%s: %s", name, resp.Status)
		}
		return b, nil
	}}
}

// complete reads a page and checks it is whole.
func (v view) complete(name string) error {
	b, err := v.read(name)
	if err != nil {
		return err
	}
	if !wholePage(b) {
		return fmt.Errorf("%s is not a whole page (%d bytes)", name, len(b))
	}
	return nil
}

func wholePage(b []byte) bool {
	return bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) && bytes.HasSuffix(b, []byte("</html>\n"))
}

var (
	generatedRe = regexp.MustCompile(`data-generated="([^"]+)"`)
	pageLinkRe  = regexp.MustCompile(`href="(services/[^"#]+\.html)"`)
)

// poller reads a view's index over and over, noting each render it shows
// (a new index, named by its data-generated time) and anything a reader
// should never see.
type poller struct {
	v        view
	mu       sync.Mutex
	last     []byte
	renders  []string
	problems []string
}

func (p *poller) run(ctx context.Context) {
	for ; ctx.Err() == nil; time.Sleep(time.Millisecond) {
		b, err := p.v.read("index.html")
		if err != nil {
			p.problem("index.html: %v", err)
			continue
		}
		if !wholePage(b) {
			p.problem("index.html is not a whole page (%d bytes)", len(b))
			continue
		}
		for _, m := range pageLinkRe.FindAllSubmatch(b, -1) {
			if err := p.v.complete(string(m[1])); err != nil {
				p.problem("the index links to %s: %v", m[1], err)
			}
		}
		p.mu.Lock()
		if !bytes.Equal(b, p.last) {
			p.last = b
			stamp := "?"
			if m := generatedRe.FindSubmatch(b); m != nil {
				stamp = string(m[1])
			}
			p.renders = append(p.renders, stamp)
		}
		p.mu.Unlock()
	}
}

func (p *poller) problem(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.problems) < 10 {
		p.problems = append(p.problems, fmt.Sprintf(format, args...))
	}
}

// seen is the renders shown, in order; the one shown when polling began
// (the second once's) is left out.
func (p *poller) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.renders) == 0 {
		return nil
	}
	return slices.Clone(p.renders[1:])
}

func (p *poller) started() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.renders)
}

// watchRenames counts the files renamed onto name in dir, from now on
// (inotify's IN_MOVED_TO, which sees renames made through any mount).
func watchRenames(t *testing.T, dir, name string) func() int {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	f := os.NewFile(uintptr(fd), "inotify") // non-blocking: Close ends a Read
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_MOVED_TO); err != nil {
		f.Close()
		t.Fatalf("inotify %s: %v", dir, err)
	}
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			k, err := f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= k; {
				size := int(binary.NativeEndian.Uint32(buf[off+12:]))
				start := off + syscall.SizeofInotifyEvent
				if string(bytes.TrimRight(buf[start:start+size], "\x00")) == name {
					n.Add(1)
				}
				off = start + size
			}
		}
	}()
	t.Cleanup(func() {
		f.Close()
		<-done
	})
	return func() int { return int(n.Load()) }
}

func readIndex(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatalf("the site was not rendered: %v", err)
	}
	return b
}

// serviceChecks counts service's lines in data/checks.
func serviceChecks(t *testing.T, data, service string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(data, "checks", "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n += bytes.Count(b, []byte(`"service":"`+service+`"`))
	}
	return n
}

// flipper serves /alpha (up) and /beta, up, down, or alternating from one
// request to the next, so that renders differ.
type flipper struct {
	srv  *httptest.Server
	mu   sync.Mutex
	down map[string]bool
	flip map[string]bool // alternate from one request to the next
}

func newFlipper(t *testing.T) *flipper {
	f := &flipper{down: map[string]bool{}, flip: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		f.mu.Lock()
		down := f.down[name]
		if f.flip[name] {
			f.down[name] = !down
		}
		f.mu.Unlock()
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *flipper) set(name string, up bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down[name], f.flip[name] = !up, false
}

func (f *flipper) alternate(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flip[name] = true
}

// config is a services.toml for the two services, a cycle a second.
func (f *flipper) config() string {
	return fmt.Sprintf(`[settings]
title = "Mount test"
interval = "1s"
retries = 1
retry_delay = "0s"
failure_threshold = 1

[[service]]
name = "alpha"
url = "%[1]s/alpha"
timeout = "300ms"

[[service]]
name = "beta"
url = "%[1]s/beta"
timeout = "300ms"
`, f.srv.URL)
}

// TestSiteServedFromItsFolder: servers started inside site/ (python3 -m
// http.server, the preview people reach for, which remembers the folder's
// path, and the same told to serve ".", which holds on to the folder itself
// as any server given a relative root does) and `statusgen serve` all show
// each new render; none is left serving a folder a render moved away.
func TestSiteServedFromItsFolder(t *testing.T) {
	python := tool(t, "python3")
	bin := statusgenBinary(t)
	dir := t.TempDir()
	site := filepath.Join(dir, "site")
	if err := os.Mkdir(site, 0o755); err != nil {
		t.Fatal(err)
	}
	tg := newFlipper(t)
	writeFile(t, filepath.Join(dir, "services.toml"), tg.config())
	once := func() []byte {
		t.Helper()
		cmd := exec.Command(bin, "once")
		cmd.Dir, cmd.Env = dir, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("statusgen once: %v\n%s", err, out)
		}
		return readIndex(t, site)
	}
	once()

	views := []view{
		serveView(t, "python3 -m http.server in site/", site, func(addr string) *exec.Cmd {
			_, port, _ := net.SplitHostPort(addr)
			return exec.Command(python, "-m", "http.server", "--bind", "127.0.0.1", port)
		}),
		serveView(t, "python3 -m http.server --directory . in site/", site, func(addr string) *exec.Cmd {
			_, port, _ := net.SplitHostPort(addr)
			return exec.Command(python, "-m", "http.server", "--bind", "127.0.0.1", "--directory", ".", port)
		}),
		serveView(t, "statusgen serve", dir, func(addr string) *exec.Cmd {
			return exec.Command(bin, "serve", "--addr", addr)
		}),
	}
	for i, change := range []func(){func() { tg.set("beta", false) }, func() { tg.set("beta", true) }} {
		change()
		want := once()
		for _, v := range views {
			if got, err := v.read("index.html"); err != nil || !bytes.Equal(got, want) {
				t.Errorf("after render %d, %s serves another index.html than the render's (%v)", i+2, v.name, err)
			}
		}
	}
}

// serveView starts a server in dir on a free port and returns its view.
func serveView(t *testing.T, name, dir string, server func(addr string) *exec.Cmd) view {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := server(addr)
	cmd.Dir = dir
	var log lockedBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s did not listen on %s:\n%s", name, addr, log.String())
		}
	}
	return httpView(name, "http://"+addr)
}
