package history

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestDeferSync: with DeferSync, appends sync nothing; the next Sync syncs
// every file written since (and the folder of a new one) once, a file
// pruned meanwhile is no error, and the lines were there all along.
func TestDeferSync(t *testing.T) {
	synced := recordSyncs(t)

	dir := t.TempDir()
	s := New(dir)
	s.DeferSync()
	checks := filepath.Join(dir, ChecksDir)
	a := result(t, "2026-11-24T23:59:00Z", "a", uptime.Up, 10)
	b := result(t, "2026-11-25T00:00:30Z", "b", uptime.Down, 20)
	if err := s.Append([]uptime.Result{a, b}); err != nil {
		t.Fatal(err)
	}
	if err := s.Append([]uptime.Result{b}); err != nil {
		t.Fatal(err)
	}
	inc := uptime.Incident{ID: "b-1", Service: "b", Since: b.Time, Until: b.Time.Add(60e9)}
	if err := s.AppendIncidents([]uptime.Incident{inc}); err != nil {
		t.Fatal(err)
	}
	if len(*synced) != 0 {
		t.Fatalf("appends synced %v; want nothing before Sync", *synced)
	}
	if got := readFile(t, filepath.Join(checks, "2026-11-25.jsonl")); got != line(b)+line(b) {
		t.Errorf("before Sync the file holds %q, want both appends", got)
	}

	if err := os.Remove(filepath.Join(checks, "2026-11-24.jsonl")); err != nil { // pruned
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	want := []string{
		dir, checks,
		filepath.Join(checks, "2026-11-24.jsonl"),
		filepath.Join(checks, "2026-11-25.jsonl"),
		filepath.Join(dir, IncidentsFile),
	}
	if !reflect.DeepEqual(*synced, want) {
		t.Errorf("Sync synced %q, want %q", *synced, want)
	}
	*synced = nil
	if err := s.Sync(); err != nil || len(*synced) != 0 {
		t.Errorf("a second Sync synced %v (err %v); want nothing", *synced, err)
	}
}

// TestAppendSyncsWithoutDeferSync: `statusgen once` appends and syncs at
// once, leaving nothing for Sync.
func TestAppendSyncsWithoutDeferSync(t *testing.T) {
	synced := recordSyncs(t)
	s := New(t.TempDir())
	if err := s.Append([]uptime.Result{result(t, "2026-11-24T12:00:00Z", "a", uptime.Up, 10)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil || len(*synced) != 0 {
		t.Errorf("Sync after a synced Append synced %v (err %v); want nothing", *synced, err)
	}
}

// recordSyncs notes every path Sync syncs, for the test's duration.
func recordSyncs(t *testing.T) *[]string {
	var synced []string
	syncPathFunc = func(path string) error {
		synced = append(synced, path)
		return syncPath(path)
	}
	t.Cleanup(func() { syncPathFunc = syncPath })
	return &synced
}
