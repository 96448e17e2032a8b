package site

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/templates"
)

// TestNuHTMLChecker runs the Nu HTML Checker (the npm package vnu-jar) on
// every rendered page, the stylesheet and the SVG badges when VNU_JAR names
// vnu.jar; CI sets it. Any error fails the test.
func TestNuHTMLChecker(t *testing.T) {
	jar := os.Getenv("VNU_JAR")
	if jar == "" {
		t.Skip("VNU_JAR is not set: Nu HTML Checker skipped (npm install vnu-jar; VNU_JAR=node_modules/vnu-jar/build/dist/vnu.jar)")
	}
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("VNU_JAR: %v", err)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatal("VNU_JAR is set but java is not on PATH")
	}
	// The full fixture, with incident timelines: every page kind, the
	// history pages among them.
	dir := filepath.Join(t.TempDir(), "site")
	if err := Render(templates.FS, dir, hebrew(timelineInput(t))); err != nil { // Hebrew pages under he/ too
		t.Fatal(err)
	}
	if err := Render(templates.FS, filepath.Join(dir, "locations"), locationsInput(t)); err != nil {
		t.Fatal(err)
	}
	var files []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".html") || strings.HasSuffix(path, ".css") || strings.HasSuffix(path, ".svg")) {
			files = append(files, path)
		}
		return err
	})
	if len(files) < 10 {
		t.Fatalf("found %d files to check, want every page, badge and the stylesheet", len(files))
	}
	args := append([]string{"-jar", jar, "--errors-only", "--format", "gnu", "--also-check-css", "--also-check-svg"}, files...)
	out, err := exec.Command(java, args...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("vnu found errors (%v):\n%s", err, strings.ReplaceAll(string(out), dir+string(filepath.Separator), ""))
	}
}
