package history

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// snapshot maps every file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		files[strings.TrimPrefix(path, dir)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestPruneAll(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	now := at(t, "2026-06-10T03:00:00Z")
	// Raw files from 2026-06-01 to today; rollups for each; one old rollup.
	for d := at(t, "2026-06-01T10:00:00Z"); !d.After(now.Add(8 * time.Hour)); d = d.Add(24 * time.Hour) {
		r := []uptime.Result{{Time: d, Service: "a", Status: uptime.Up, Code: 200, MS: 5, Attempts: 1}}
		if err := s.Append(r); err != nil {
			t.Fatal(err)
		}
		if err := s.AddToRollups(r, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, RollupsDir, "2026-05-01.json"), `{"date":"2026-05-01","services":{}}`+"\n")
	writeFile(t, filepath.Join(dir, ChecksDir, "notes.txt"), "keep me\n")
	writeFile(t, filepath.Join(dir, ChecksDir, "2026-06-0.jsonl"), "keep me too\n")
	oldInc := `{"id":"a-1","service":"a","since":"2026-04-01T00:00:00Z","until":"2026-04-01T01:00:00Z","seconds":3600,"error":"status"}` + "\n"
	newInc := `{"id":"a-2","service":"a","since":"2026-06-05T00:00:00Z","until":"2026-06-05T01:00:00Z","seconds":3600,"error":"status"}` + "\n"
	writeFile(t, filepath.Join(dir, IncidentsFile), oldInc+"not json\n"+newInc)

	keep := Retention{Checks: 3, Incidents: 30}
	before := snapshot(t, dir)
	dry, err := s.PruneAll(now, keep, time.Minute, true)
	if err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, dir); !reflect.DeepEqual(after, before) {
		t.Errorf("PruneAll(dry run) changed the folder")
	}
	wet, err := s.PruneAll(now, keep, time.Minute, false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dry, wet) {
		t.Errorf("PruneAll(dry run) = %+v, want what the real prune did, %+v", dry, wet)
	}

	var gotPaths []string
	for _, f := range wet.Files {
		gotPaths = append(gotPaths, f.Path)
		if f.Bytes <= 0 {
			t.Errorf("PruneAll: %s has %d bytes, want its size", f.Path, f.Bytes)
		}
	}
	// Today is 06-10; keeping 3 whole days before it keeps 06-07..06-10.
	wantPaths := []string{"checks/2026-06-01.jsonl", "checks/2026-06-02.jsonl", "checks/2026-06-03.jsonl",
		"checks/2026-06-04.jsonl", "checks/2026-06-05.jsonl", "checks/2026-06-06.jsonl", "rollups/2026-05-01.json"}
	if !reflect.DeepEqual(gotPaths, wantPaths) {
		t.Errorf("PruneAll removed %v, want %v", gotPaths, wantPaths)
	}
	if want := []string{"checks/2026-06-0.jsonl", "checks/notes.txt"}; !reflect.DeepEqual(wet.Left, want) {
		t.Errorf("PruneAll left %v, want %v", wet.Left, want)
	}
	if wet.IncidentLines != 1 || wet.IncidentBytes != int64(len(oldInc)) {
		t.Errorf("PruneAll dropped %d incident lines (%d bytes), want 1 (%d)", wet.IncidentLines, wet.IncidentBytes, len(oldInc))
	}
	if got := readFile(t, filepath.Join(dir, IncidentsFile)); got != "not json\n"+newInc {
		t.Errorf("incidents.jsonl after prune = %q, want the unreadable and the recent line", got)
	}
	for _, name := range []string{"notes.txt", "2026-06-0.jsonl", "2026-06-07.jsonl", "2026-06-10.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, ChecksDir, name)); err != nil {
			t.Errorf("PruneAll removed checks/%s, want it kept", name)
		}
	}
	rollups, _ := s.Rollups(at(t, "2026-01-01T00:00:00Z"), now.Add(48*time.Hour))
	if len(rollups) != 10 {
		t.Errorf("after PruneAll, %d rollups, want the 10 days of June kept", len(rollups))
	}
	var sum int64
	for _, f := range wet.Files {
		sum += f.Bytes
	}
	if got := wet.Bytes(); got != sum+wet.IncidentBytes {
		t.Errorf("Bytes() = %d, want %d", got, sum+wet.IncidentBytes)
	}
	if again, err := s.PruneAll(now, keep, time.Minute, false); err != nil || len(again.Files) != 0 || again.IncidentLines != 0 {
		t.Errorf("second PruneAll = %+v, %v, want nothing more to remove", again, err)
	}
}

func TestPruneAllNeverToday(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	now := at(t, "2026-06-10T23:59:59Z")
	for _, ts := range []string{"2026-06-09T12:00:00Z", "2026-06-10T00:00:00Z"} {
		if err := s.Append([]uptime.Result{{Time: at(t, ts), Service: "a", Status: uptime.Up, Attempts: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, keep := range []int{0, -5} {
		rep, err := s.PruneAll(now, Retention{Checks: keep, Incidents: keep}, time.Minute, true)
		var got []string
		for _, f := range rep.Files {
			got = append(got, f.Path)
		}
		if err != nil || !slices.Equal(got, []string{"checks/2026-06-09.jsonl"}) {
			t.Errorf("PruneAll(keep %d days) would remove %v, %v, want only yesterday's file", keep, got, err)
		}
	}
}

func TestPruneAllIncidentsTornTail(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	old := `{"id":"a-1","service":"a","since":"2025-01-01T00:00:00Z","until":"2025-01-01T01:00:00Z","seconds":3600,"error":"status"}` + "\n"
	torn := `{"id":"a-2","service":"a","since":"2025-01-02T00:00:00Z","until":"2025-01-02T0`
	writeFile(t, filepath.Join(dir, IncidentsFile), old+torn)
	if _, err := s.PruneAll(at(t, "2026-06-10T03:00:00Z"), Retention{Checks: 60, Incidents: 365}, time.Minute, false); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, IncidentsFile)); got != torn {
		t.Errorf("incidents.jsonl = %q, want only the torn tail %q", got, torn)
	}
	inc := uptime.Incident{ID: "b-1", Service: "b", Since: at(t, "2026-06-09T00:00:00Z"), Until: at(t, "2026-06-09T01:00:00Z"), Seconds: 3600}
	if err := s.AppendIncidents([]uptime.Incident{inc}); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Incidents()
	if err != nil || len(got) != 1 || got[0].ID != "b-1" {
		t.Errorf("Incidents() after prune and append = %v, %v, want b-1 alone (torn tail repaired)", got, err)
	}
}
