package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSiteFolderIsOutputOnly: the status workflow uploads site/ to GitHub
// Pages as it is, compose's Caddy and the dir publisher serve or copy it
// whole, so the repository keeps nothing in it (it once kept a README.md
// that every deployment published) and git ignores what a render writes
// there, so a local render leaves the clone clean.
func TestSiteFolderIsOutputOnly(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git: %v", err)
	}
	if _, err := exec.Command("git", "-C", "..", "rev-parse", "--git-dir").Output(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI runs in a git clone: %v", err)
		}
		t.Skip("not in a git clone; skipping")
	}
	tracked, err := exec.Command("git", "-C", "..", "ls-files", "--", "site").Output()
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.TrimSpace(string(tracked)); s != "" {
		t.Errorf("the repository keeps files in site/, which every deployment publishes:\n%s", s)
	}
	bin := statusgenBinary(t)
	dir := t.TempDir()
	tg := newFlipper(t)
	writeFile(t, filepath.Join(dir, "services.toml"), tg.config())
	cmd := exec.Command(bin, "once")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("statusgen once: %v\n%s", err, out)
	}
	files, err := filepath.Glob(filepath.Join(dir, "site", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("once rendered nothing into site/ (%v)", err)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		if filepath.Base(f) == "README.md" {
			t.Errorf("a render writes %s, which would be published", rel)
		}
		// Each path a render writes, as it would be in the clone.
		if err := exec.Command("git", "-C", "..", "check-ignore", "-q", "--no-index", rel).Run(); err != nil {
			t.Errorf("git does not ignore %s: a render in the clone would leave it dirty", rel)
		}
	}
}
