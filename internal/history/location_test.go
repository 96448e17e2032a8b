package history

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// A single-location setup writes the lines it always wrote; several
// locations add a "location" to each location's check and a "note" to a
// verdict that set a failure aside.
func TestLocationLineFormat(t *testing.T) {
	tests := []struct {
		name string
		r    uptime.Result
		want string
	}{
		{
			name: "single location: no location key",
			r:    uptime.Result{Time: at(t, "2026-01-02T03:04:05Z"), Service: "a", Status: uptime.Up, Code: 200, MS: 7, Attempts: 1},
			want: `{"time":"2026-01-02T03:04:05.000Z","service":"a","status":"up","code":200,"ms":7,"attempts":1}`,
		},
		{
			name: "one location's check",
			r: uptime.Result{Time: at(t, "2026-01-02T03:04:05Z"), Service: "a", Status: uptime.Down, Code: 503, MS: 9, Attempts: 3,
				Error: uptime.ErrStatus, Detail: "HTTP 503", Location: "eu-west"},
			want: `{"time":"2026-01-02T03:04:05.000Z","service":"a","status":"down","code":503,"ms":9,"attempts":3,"error":"status","detail":"HTTP 503","location":"eu-west"}`,
		},
		{
			name: "a verdict with a note; the agreeing locations stay out of the file",
			r: uptime.Result{Time: at(t, "2026-01-02T03:04:05Z"), Service: "a", Status: uptime.Up, Code: 200, MS: 7, Attempts: 1,
				Note: "Down from 1 of 3 locations: eu-west", Agreed: &uptime.Agreement{Locations: []uptime.LocationError{{Location: "eu-west"}}}},
			want: `{"time":"2026-01-02T03:04:05.000Z","service":"a","status":"up","code":200,"ms":7,"attempts":1,"note":"Down from 1 of 3 locations: eu-west"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := line(tt.r); got != tt.want+"\n" {
				t.Errorf("line = %s, want %s", got, tt.want)
			}
		})
	}
}

// A file begun by a single-location statusgen and continued by one with
// three locations reads as one history: old lines are the default
// location's checks, which were its verdicts; the locations' own checks
// are set aside from the uptime readers, so a failure seen from one place
// costs no uptime.
func TestMixedVersionFile(t *testing.T) {
	s := New(t.TempDir())
	old := []uptime.Result{
		result(t, "2026-03-01T10:00:00Z", "a", uptime.Up, 10),
		result(t, "2026-03-01T10:01:00Z", "a", uptime.Up, 11),
	}
	// The old statusgen's lines, written as it wrote them.
	path := filepath.Join(s.dir, ChecksDir, "2026-03-01.jsonl")
	writeFile(t, path, line(old[0])+line(old[1]))

	cycle := at(t, "2026-03-01T10:02:00Z")
	located := []uptime.Result{
		{Time: cycle, Service: "a", Status: uptime.Down, Code: 503, Attempts: 3, Error: uptime.ErrStatus, Location: "eu-west"},
		{Time: cycle, Service: "a", Status: uptime.Up, Code: 200, MS: 12, Attempts: 1, Location: "us-east"},
		{Time: cycle, Service: "a", Status: uptime.Up, Code: 200, MS: 13, Attempts: 1, Location: "ap-south"},
	}
	verdict := uptime.Result{Time: cycle, Service: "a", Status: uptime.Up, Code: 200, MS: 12, Attempts: 1,
		Note: "Down from 1 of 3 locations: eu-west"}
	if err := s.Append(append(located, verdict)); err != nil {
		t.Fatal(err)
	}

	got, st, err := s.Read(time.Time{}, at(t, "2026-03-02T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	want := append(old, verdict)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Read = %+v\nwant the old lines and the verdict: %+v", got, want)
	}
	if st.Located != 3 || st.Skipped != 0 {
		t.Errorf("Read stats = %+v, want 3 located lines set aside and none skipped", st)
	}

	// The locations' own checks are there for whoever shows them.
	gotLocated, _, err := collect(s.ScanLocated, time.Time{}, at(t, "2026-03-02T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotLocated, located) {
		t.Errorf("ScanLocated = %+v\nwant the three locations' checks %+v", gotLocated, located)
	}

	// The rollup rebuilt from the raw file counts the verdicts only: a day
	// without a down verdict has no down time.
	if _, err := s.RebuildRollups(time.Minute); err != nil {
		t.Fatal(err)
	}
	days, err := s.Rollups(at(t, "2026-03-01T00:00:00Z"), at(t, "2026-03-02T00:00:00Z"))
	if err != nil || len(days) != 1 {
		t.Fatalf("Rollups = %v, %v; want one day", days, err)
	}
	sd := days[0].Services["a"]
	if sd == nil || sd.Checks != 3 || sd.Down != 0 || sd.Up != 3 {
		t.Errorf("rollup of a = %+v, want 3 checks (2 old, 1 verdict), all up", sd)
	}
}

func collect(scan func(from, to time.Time, fn func(uptime.Result) error) (ScanStats, error), from, to time.Time) ([]uptime.Result, ScanStats, error) {
	var out []uptime.Result
	st, err := scan(from, to, func(r uptime.Result) error {
		out = append(out, r)
		return nil
	})
	return out, st, err
}
