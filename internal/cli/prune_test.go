package cli

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/runner"
	"github.com/Sefaria/statusgen/internal/tracker"
)

const pruneConfig = `[settings]
retention_days = 10
incident_retention_days = 30

[[service]]
name = "web"
url = "https://example.org/"
`

// seedHistory writes check files for today and days before it, a rollup,
// an old and a recent incident, and names that are not dates.
func seedHistory(t *testing.T, data string) (now time.Time) {
	t.Helper()
	now = time.Now().UTC()
	day := func(n int) string { return now.AddDate(0, 0, -n).Format("2006-01-02") }
	files := map[string]string{
		"checks/" + day(0) + ".jsonl":  "{}\n",
		"checks/" + day(10) + ".jsonl": "{}\n",
		"checks/" + day(11) + ".jsonl": "{\"a\":1}\n",
		"checks/" + day(40) + ".jsonl": "{\"a\":22}\n",
		"checks/notes.txt":             "mine\n",
		"rollups/" + day(11) + ".json": "{}\n",
		"rollups/" + day(40) + ".json": "{\"date\":\"old\"}\n",
		"incidents.jsonl": `{"id":"w-1","service":"web","since":"2000-01-01T00:00:00Z","until":"2000-01-01T01:00:00Z"}` + "\n" +
			`{"id":"w-2","service":"web","since":"` + now.Format(time.RFC3339) + `","until":"` + now.Format(time.RFC3339) + `"}` + "\n",
	}
	for name, content := range files {
		p := filepath.Join(data, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return now
}

func folderContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		}
		return err
	})
	return out
}

func TestPruneCommand(t *testing.T) {
	w := newWorkspace(t, pruneConfig)
	now := seedHistory(t, w.data)
	day := func(n int) string { return now.AddDate(0, 0, -n).Format("2006-01-02") }

	before := folderContents(t, w.data)
	code, out, errOut := w.run(t, nil, "prune", "--dry-run")
	if code != ExitOK {
		t.Fatalf("prune --dry-run = exit %d, stderr %q", code, errOut)
	}
	if after := folderContents(t, w.data); !maps.Equal(after, before) {
		t.Errorf("prune --dry-run changed the data folder:\nbefore %v\nafter  %v", before, after)
	}
	for _, want := range []string{
		"would remove " + filepath.Join(w.data, "checks", day(11)+".jsonl") + " (8 bytes)",
		"would remove " + filepath.Join(w.data, "checks", day(40)+".jsonl") + " (9 bytes)",
		"would remove " + filepath.Join(w.data, "rollups", day(40)+".json") + " (15 bytes)",
		"would remove 1 lines of " + filepath.Join(w.data, "incidents.jsonl"),
		"left " + filepath.Join(w.data, "checks", "notes.txt") + ": not named by a date",
		"dry run: would prune 3 files and 1 incident lines",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("prune --dry-run output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, day(10)+".jsonl") || strings.Contains(out, day(0)+".jsonl") {
		t.Errorf("prune --dry-run would remove a file within retention:\n%s", out)
	}

	code, out, errOut = w.run(t, nil, "prune")
	if code != ExitOK {
		t.Fatalf("prune = exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "pruned 3 files and 1 incident lines") {
		t.Errorf("prune output lacks the total:\n%s", out)
	}
	for name, wantKept := range map[string]bool{
		"checks/" + day(0) + ".jsonl": true, "checks/" + day(10) + ".jsonl": true, "checks/notes.txt": true,
		"rollups/" + day(11) + ".json": true, "checks/" + day(11) + ".jsonl": false, "rollups/" + day(40) + ".json": false,
	} {
		_, err := os.Stat(filepath.Join(w.data, filepath.FromSlash(name)))
		if kept := err == nil; kept != wantKept {
			t.Errorf("after prune, %s kept = %v, want %v", name, kept, wantKept)
		}
	}
	st, err := tracker.Load(filepath.Join(w.data, runner.StateFile))
	if err != nil || st.LastPrune.Before(now.Add(-time.Minute)) {
		t.Errorf("after prune, state last_prune = %v (%v), want about %v", st.LastPrune, err, now)
	}
}

func TestPruneCommandLocked(t *testing.T) {
	w := newWorkspace(t, pruneConfig)
	seedHistory(t, w.data)
	lock, err := runner.AcquireLock(w.data)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	before := folderContents(t, w.data)
	if code, _, errOut := w.run(t, nil, "prune"); code != ExitLocked {
		t.Errorf("prune while locked = exit %d (%q), want %d", code, errOut, ExitLocked)
	}
	if !maps.Equal(folderContents(t, w.data), before) {
		t.Errorf("prune while locked changed the data folder")
	}
	// A dry run needs no lock.
	if code, _, errOut := w.run(t, nil, "prune", "--dry-run"); code != ExitOK {
		t.Errorf("prune --dry-run while locked = exit %d (%q), want 0", code, errOut)
	}
}

func TestPublishCommand(t *testing.T) {
	target := filepath.Join(t.TempDir(), "public")
	cases := []struct {
		name    string
		publish string
		env     map[string]string
		code    int
		out     string
	}{
		{"dir", "[publish]\ntarget = \"dir\"\ndir = \"" + target + "\"\n", nil, ExitOK, "published to " + target},
		{"no [publish]", "", nil, ExitUsage, "has no [publish] table"},
		{"github without a token", "[publish]\ntarget = \"github\"\nrepo = \"o/r\"\n", nil, ExitUsage, "needs GITHUB_TOKEN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorkspace(t, pruneConfig+"\n"+c.publish)
			if err := os.MkdirAll(w.site, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(w.site, "index.html"), []byte("<p>ok</p>"), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := w.run(t, c.env, "publish")
			if code != c.code || !strings.Contains(out+errOut, c.out) {
				t.Errorf("publish = exit %d, output %q%q, want %d and %q", code, out, errOut, c.code, c.out)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(target, "index.html")); err != nil || string(b) != "<p>ok</p>" {
		t.Errorf("published index.html = %q, %v, want the site's", b, err)
	}
}
