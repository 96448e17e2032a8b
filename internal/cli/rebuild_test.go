package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/runner"
)

// TestRebuildCountsMergedLines merges the lines of another runner's cycle
// into today's check file, as deploy/commit-data.sh does after a lost
// push race: the rollup misses them until `statusgen rebuild` recounts.
func TestRebuildCountsMergedLines(t *testing.T) {
	f := newFakeSefaria(t)
	w := newWorkspace(t, f.config())
	other := newWorkspace(t, f.config())
	for _, ws := range []workspace{w, other, w} {
		if code, _, errOut := ws.run(t, nil, "once"); code != ExitOK {
			t.Fatalf("once: exit %d:\n%s", code, errOut)
		}
	}
	today := time.Now().UTC().Format(time.DateOnly)
	checks := filepath.Join(history.ChecksDir, today+".jsonl")
	theirs, err := os.ReadFile(filepath.Join(other.data, checks))
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.OpenFile(filepath.Join(w.data, checks), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.Write(theirs); err != nil {
		t.Fatal(err)
	}
	file.Close()
	lines := bytes.Count(theirs, []byte("\n")) * 3 // each workspace's cycle wrote as many

	if got := rolledUp(t, w.data); got == lines {
		t.Fatalf("before the rebuild the rollup already counts %d checks; the test would prove nothing", got)
	}
	code, out, errOut := w.run(t, nil, "rebuild")
	if code != ExitOK {
		t.Fatalf("rebuild: exit %d:\n%s", code, errOut)
	}
	if got := rolledUp(t, w.data); got != lines {
		t.Errorf("after rebuild the rollup counts %d checks, want the %d lines of %s", got, lines, checks)
	}
	if !strings.Contains(out, "rebuilt the rollups of 1 day(s)") {
		t.Errorf("rebuild printed %q, want how many days it rebuilt", out)
	}

	lock, err := runner.AcquireLock(w.data)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if code, _, _ := w.run(t, nil, "rebuild"); code != ExitLocked {
		t.Errorf("rebuild beside a runner: exit %d, want %d", code, ExitLocked)
	}
}

// rolledUp is the number of checks today's rollup counts over all services.
func rolledUp(t *testing.T, dataDir string) int {
	t.Helper()
	now := time.Now().UTC()
	days, err := history.New(dataDir).Rollups(now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range days {
		for _, sd := range d.Services {
			n += sd.Checks
		}
	}
	return n
}
