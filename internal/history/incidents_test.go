package history

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/Sefaria/statusgen/internal/uptime"
)

func TestIncidentsDeduplicatedAndSorted(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	a := uptime.Incident{ID: "a", Service: "sefaria.org", Since: at(t, "2026-11-24T10:00:00Z"),
		Until: at(t, "2026-11-24T10:05:00Z"), Seconds: 300, Error: uptime.ErrTimeout}
	b := uptime.Incident{ID: "b", Service: "Linker \"async\"", Since: at(t, "2026-11-23T08:00:00Z"),
		Until: at(t, "2026-11-23T09:00:00Z"), Seconds: 3600, Error: uptime.ErrTaskFailed}
	aAgain := a
	aAgain.Until, aAgain.Seconds = at(t, "2026-11-24T11:00:00Z"), 3600
	if err := s.AppendIncidents([]uptime.Incident{a, b}); err != nil {
		t.Fatal(err)
	}
	// A torn line from a crash, then the same outage written again after the restart.
	f, err := os.OpenFile(filepath.Join(dir, IncidentsFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"id":"c","serv`)
	f.Close()
	if err := New(dir).AppendIncidents([]uptime.Incident{aAgain}); err != nil {
		t.Fatal(err)
	}
	got, st, err := s.Incidents()
	if err != nil {
		t.Fatal(err)
	}
	if want := []uptime.Incident{b, a}; !reflect.DeepEqual(got, want) {
		t.Errorf("Incidents() = %+v, want %+v", got, want)
	}
	if want := (ScanStats{Files: 1, Lines: 3}); st != want {
		t.Errorf("Incidents() stats = %+v, want %+v (torn line repaired away)", st, want)
	}
}

func TestIncidentsMissingFile(t *testing.T) {
	got, st, err := New(t.TempDir()).Incidents()
	if err != nil || len(got) != 0 || st.Files != 0 {
		t.Errorf("Incidents() without a file = %v, %+v, %v, want nothing", got, st, err)
	}
}

func TestIncidentsSkipsGarbage(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, IncidentsFile), "garbage\n\n{\"id\":\"\",\"service\":\"x\"}\n"+
		`{"id":"x","service":"s","since":"2026-11-24T10:00:00Z","until":"2026-11-24T10:01:00Z","seconds":60,"error":"dns"}`+"\n")
	got, st, err := New(dir).Incidents()
	if err != nil || len(got) != 1 || got[0].ID != "x" || st.Skipped != 3 {
		t.Errorf("Incidents() = %+v, %+v, %v, want incident x and 3 skipped", got, st, err)
	}
}
