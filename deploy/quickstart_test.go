package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// inGitClone fails the test under CI (which runs in a git clone) and
// skips it elsewhere when the repository is not one.
func inGitClone(t *testing.T) {
	t.Helper()
	tool(t, "git")
	if err := exec.Command("git", "-C", "..", "rev-parse", "--git-dir").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI runs in a git clone: %v", err)
		}
		t.Skip("not in a git clone; skipping")
	}
}

// cloneWorkTree copies the files git would commit from the repository as
// it is now (tracked and untracked, not ignored) into a new repository
// with one commit, as a fresh clone would be, and returns its folder.
// replace holds files to write instead of the repository's.
func cloneWorkTree(t *testing.T, replace map[string]string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", "..", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join("..", name)
		info, err := os.Lstat(src)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the work tree, or not a file
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, name), string(b))
		os.Chmod(filepath.Join(dst, name), info.Mode().Perm())
	}
	for name, text := range replace {
		writeFile(t, filepath.Join(dst, name), text)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"},
		{"-c", "user.name=test", "-c", "user.email=test@statusgen.invalid", "commit", "-q", "-m", "clone"}} {
		if out, err := exec.Command("git", append([]string{"-C", dst}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return dst
}

// TestQuickStartLeavesTheCloneClean runs the README's `make run` in a fresh
// clone (its services.toml pointed at a local server): it writes only
// where git ignores, says where, and ends with the command that previews
// the page, which must serve what it wrote.
func TestQuickStartLeavesTheCloneClean(t *testing.T) {
	inGitClone(t)
	mk := tool(t, "make")
	tg := newFlipper(t)
	clone := cloneWorkTree(t, map[string]string{"services.toml": tg.config()})

	cmd := exec.Command(mk, "--no-print-directory", "run")
	cmd.Dir = clone
	cmd.Env = outsideMake()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("make run: %v\n%s", err, out.String())
	}
	status, err := exec.Command("git", "-C", clone, "status", "--porcelain", "--untracked-files=all").Output()
	if err != nil {
		t.Fatal(err)
	}
	if len(status) > 0 {
		t.Errorf("make run left the clone dirty:\n%s", status)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	preview := strings.TrimSpace(lines[len(lines)-1])
	if !strings.Contains(out.String(), ".run/data") || !strings.Contains(out.String(), ".run/site") ||
		preview != "./bin/statusgen serve --site .run/site" {
		t.Fatalf("make run does not say where it wrote and end with the preview command:\n%s", out.String())
	}
	written, err := os.ReadFile(filepath.Join(clone, ".run", "site", "index.html"))
	if err != nil {
		t.Fatalf("the page make run names: %v", err)
	}

	// The preview command, run as printed, serves that page.
	args := strings.Fields(preview)
	view := serveView(t, preview, clone, func(addr string) *exec.Cmd {
		return exec.Command(filepath.Join(clone, args[0]), append(args[1:], "--addr", addr)...)
	})
	if got, err := view.read("index.html"); err != nil || !bytes.Equal(got, written) {
		t.Errorf("%s serves another index.html than make run wrote (%v)", preview, err)
	}
}

// TestMakeBuildReportsVersionAndCommit: a binary from make build in a git
// clone says which commit it is (it used to say "commit unknown").
func TestMakeBuildReportsVersionAndCommit(t *testing.T) {
	inGitClone(t)
	mk := tool(t, "make")
	bin := filepath.Join(t.TempDir(), "statusgen")
	cmd := exec.Command(mk, "-s", "--no-print-directory", "build", "BIN="+bin)
	cmd.Env = outsideMake()
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", ".."}, args...)...).Output()
		if err != nil {
			t.Fatalf("git %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	want := "statusgen " + git("describe", "--tags", "--always", "--dirty") + " (commit " + git("rev-parse", "HEAD") + ","
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), want) {
		t.Errorf("statusgen version = %q (%v), want it to begin %q", out, err, want)
	}
}

// outsideMake is the environment without what a calling make passes down
// (CI runs these tests from `make test`): a sub-make would otherwise print
// "Entering directory" lines that a user running make never sees.
func outsideMake() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES":
		default:
			env = append(env, kv)
		}
	}
	return env
}
