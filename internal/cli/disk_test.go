package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDiskTrouble breaks the data folder in the ways a real disk breaks —
// a path that cannot be a folder, a folder that became a file, a full
// disk (/dev/full answers every write with ENOSPC) — and requires once to
// exit 1 with a message naming the problem, leave the previous state.json
// byte for byte, leave no temporary file, and, once the trouble is gone,
// carry on without losing the outage in progress.
func TestDiskTrouble(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full to play a full disk")
	}
	today := func(data string) string {
		return filepath.Join(data, "checks", time.Now().UTC().Format("2006-01-02")+".jsonl")
	}
	tests := []struct {
		name string
		// healthy is web's health for the broken cycle; before it, web was
		// down twice, so an outage was announced and is in progress.
		healthy bool
		break_  func(t *testing.T, w workspace) (undo func())
		want    string // in stderr
	}{
		{"checks folder is a file", false, func(t *testing.T, w workspace) func() {
			checks := filepath.Join(w.data, "checks")
			moveAside(t, checks)
			writeOrFail(t, checks, "not a folder")
			return func() { os.Remove(checks); os.Rename(checks+".aside", checks) }
		}, "record checks"},
		{"disk full writing checks", false, func(t *testing.T, w workspace) func() {
			file := today(w.data)
			moveAside(t, file)
			symlinkOrFail(t, "/dev/full", file)
			return func() { os.Remove(file); os.Rename(file+".aside", file) }
		}, "no space left on device"},
		{"disk full writing the ended outage", true, func(t *testing.T, w workspace) func() {
			file := filepath.Join(w.data, "incidents.jsonl")
			symlinkOrFail(t, "/dev/full", file)
			return func() { os.Remove(file) }
		}, "record incidents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSefaria(t)
			w := newWorkspace(t, f.config())
			f.healthy.Store(false)
			for range 2 {
				if code, _, errOut := w.run(t, nil, "once"); code != ExitOK {
					t.Fatalf("once before the trouble: exit %d: %s", code, errOut)
				}
			}
			state := filepath.Join(w.data, "state.json")
			before := readOrFail(t, state)

			undo := tt.break_(t, w)
			f.healthy.Store(tt.healthy)
			code, _, errOut := w.run(t, nil, "once")
			if code != ExitFailed || !strings.Contains(errOut, tt.want) {
				t.Errorf("once on a broken disk: exit %d, stderr %q; want 1 and %q", code, errOut, tt.want)
			}
			if after := readOrFail(t, state); after != before {
				t.Errorf("state.json changed by a failed cycle:\n%s\nwant\n%s", after, before)
			}
			noTempFiles(t, w.data)

			// The trouble passes: the outage goes on and ends as it should.
			undo()
			f.healthy.Store(true)
			code, _, errOut = w.run(t, nil, "once")
			if code != ExitOK || !strings.Contains(errOut, "RECOVERED web") {
				t.Errorf("once after the trouble: exit %d, stderr %q; want 0 and RECOVERED web", code, errOut)
			}
			if inc := readOrFail(t, filepath.Join(w.data, "incidents.jsonl")); strings.Count(inc, "\n") != 1 {
				t.Errorf("incidents.jsonl = %q, want the one outage", inc)
			}
			noTempFiles(t, w.data)
		})
	}
}

// TestDataFolderUnusable points --data where no folder can be: under a
// regular file. Every command that writes exits 1 naming the path, and
// creates nothing.
func TestDataFolderUnusable(t *testing.T) {
	f := newFakeSefaria(t)
	w := newWorkspace(t, f.config())
	file := filepath.Join(w.dir, "plain-file")
	writeOrFail(t, file, "x")
	w.data = filepath.Join(file, "data")
	for _, cmd := range []string{"once", "run", "prune"} {
		code, _, errOut := w.run(t, nil, cmd)
		if code != ExitFailed || !strings.Contains(errOut, w.data) {
			t.Errorf("%s with --data under a file: exit %d, stderr %q; want 1 naming %s", cmd, code, errOut, w.data)
		}
	}
	if b := readOrFail(t, file); b != "x" {
		t.Errorf("the file in the way = %q, want it untouched", b)
	}
}

func moveAside(t *testing.T, path string) {
	t.Helper()
	if err := os.Rename(path, path+".aside"); err != nil {
		t.Fatal(err)
	}
}

func writeOrFail(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlinkOrFail(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

func readOrFail(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noTempFiles fails if a temporary file (atomicfile's ".NAME.tmp-*")
// was left anywhere under dir.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", path)
		}
		return nil
	})
}
