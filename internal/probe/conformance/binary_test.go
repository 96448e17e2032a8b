package conformance

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/Sefaria/statusgen/internal/uptime"
)

var (
	binOnce sync.Once
	binDir  string // removed by TestMain
	binPath string
	binErr  error
)

// statusgenBinary builds cmd/statusgen once per test binary.
func statusgenBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "statusgen-conformance-"); binErr != nil {
			return
		}
		// Readable by root and by nobody alike: the binary also runs in a
		// network namespace.
		os.Chmod(binDir, 0o755)
		binPath = filepath.Join(binDir, "statusgen")
		if out, err := exec.Command("go", "build", "-o", binPath, "../../../cmd/statusgen").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func binaryCases(cases []tcase) []tcase {
	var out []tcase
	for _, c := range cases {
		if c.binary {
			out = append(out, c)
		}
	}
	return out
}

// runBinary runs one cycle of the real binary, `statusgen once`, over the
// cases, with prefix before it (ip netns exec …) and env added to a
// minimal environment, and holds the history lines it wrote to each
// case's verdict. The binary trusts the test's roots the way an operator
// would make it: SSL_CERT_FILE.
func (w *world) runBinary(t *testing.T, cases []tcase, prefix, env []string) {
	t.Helper()
	bin := statusgenBinary(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "services.toml")
	if err := os.WriteFile(conf, []byte(servicesTOML(cases)), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	args := append(append([]string{}, prefix...), bin, "once", "--config", conf, "--data", data, "--site", filepath.Join(dir, "site"))
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "SSL_CERT_FILE=" + w.caFile}, env...)
	names := make([]string, 0, len(w.env))
	for k := range w.env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		cmd.Env = append(cmd.Env, k+"="+w.env[k])
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("statusgen once: %v\n%s", err, out)
	}
	got := readResults(t, data)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, ok := got[c.name]
			if !ok {
				t.Fatalf("no history line for %q; statusgen once said:\n%s", c.name, out)
			}
			c.want.check(t, r)
		})
	}
}

// readResults reads the check lines of the history in data, by service.
func readResults(t *testing.T, data string) map[string]uptime.Result {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(data, "checks", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no history in %s (%v)", data, err)
	}
	got := map[string]uptime.Result{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var r uptime.Result
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			got[r.Service] = r
		}
		fh.Close()
	}
	return got
}

// TestMain removes the binary built for the cases that run it, and lets
// the test binary serve as net/http's default client inside a network
// namespace (see netHTTPChild).
func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(netHTTPChild(spec))
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
