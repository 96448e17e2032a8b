package deploy

import (
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestActionlint lints every workflow with actionlint, which also runs
// shellcheck over their run: blocks when it is installed.
func TestActionlint(t *testing.T) {
	actionlint := tool(t, "actionlint")
	workflows, err := filepath.Glob("../.github/workflows/*.yml")
	if err != nil || len(workflows) < 2 {
		t.Fatalf("workflows found: %v (%v), want ci.yml and status.yml", workflows, err)
	}
	lint(t, actionlint, workflows...)

	// A workflow with a script injection must fail, or the lint proves nothing.
	bad := filepath.Join(t.TempDir(), "bad.yml")
	writeFile(t, bad, "on: issues\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.issue.title }}\"\n")
	if out, err := exec.Command(actionlint, bad).CombinedOutput(); err == nil {
		t.Errorf("actionlint passed a workflow that runs an issue's title as shell:\n%s", out)
	}
}

// TestShellcheck lints the shell scripts of the deployment and of CI.
func TestShellcheck(t *testing.T) {
	shellcheck := tool(t, "shellcheck")
	scripts, err := filepath.Glob("*.sh")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts found in deploy/: %v", err)
	}
	lint(t, shellcheck, append(scripts, "../.ci/run")...)

	bad := filepath.Join(t.TempDir(), "bad.sh")
	writeFile(t, bad, "#!/bin/sh\nrm -rf $1/data\n")
	if out, err := exec.Command(shellcheck, bad).CombinedOutput(); err == nil {
		t.Errorf("shellcheck passed an unquoted expansion:\n%s", out)
	}
}

// TestStatusWorkflow pins what the scheduled workflow must keep doing:
// start from the branch, set the schedule's cadence, and leave committing
// to the tested script rather than to inline shell.
func TestStatusWorkflow(t *testing.T) {
	b, err := os.ReadFile("../.github/workflows/status.yml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		"ref: ${{ github.ref_name }}",
		`HEALTH_CHECK_INTERVAL: "300"`,
		"deploy/commit-data.sh --branch",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status.yml lacks %q", want)
		}
	}
	for _, inline := range []string{"git push", "git pull", "git commit"} {
		if strings.Contains(text, inline) {
			t.Errorf("status.yml runs %q inline: committing belongs to deploy/commit-data.sh, which is tested", inline)
		}
	}
	info, err := os.Stat("commit-data.sh")
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&0o111 == 0 {
		t.Errorf("commit-data.sh is not executable; the workflow runs it directly")
	}
}

// tool finds a linter on PATH or in GOPATH/bin (where go install puts
// actionlint). Missing, it skips the test locally and fails it under CI=true.
func tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join(build.Default.GOPATH, "bin", name); fileExists(p) {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed; .ci/run installs it", name)
	}
	t.Skipf("%s is not installed (bash .ci/run installs it); skipping", name)
	return ""
}

func lint(t *testing.T, bin string, files ...string) {
	t.Helper()
	if out, err := exec.Command(bin, files...).CombinedOutput(); err != nil {
		t.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(files, " "), err, out)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
