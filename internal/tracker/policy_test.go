package tracker

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

const remind = uptime.Reminder

// window holds service during cycles [from, to).
func window(service string, from, to int) func(string, time.Time) bool {
	return func(s string, t time.Time) bool {
		return s == service && !t.Before(at(from)) && t.Before(at(to))
	}
}

func TestApplyReminders(t *testing.T) {
	tests := []struct {
		name      string
		threshold int
		every     time.Duration
		seq       string
		fires     []fire
	}{
		{"off by default", 2, 0, "DDDDDDDD", []fire{{1, down, 0, 2}}},
		{"every 3m while down, then recovered", 2, 3 * time.Minute, "DDDDDDDDU",
			[]fire{{1, down, 0, 2}, {4, remind, 0, 5}, {7, remind, 0, 8}, {8, rec, 0, 8}}},
		{"inconclusive cycles fire none; the next down does", 2, 3 * time.Minute, "DDIIIID",
			[]fire{{1, down, 0, 2}, {6, remind, 0, 3}}},
		{"a new outage counts from its own DOWN", 2, 3 * time.Minute, "DDDDDUDDDDD",
			[]fire{{1, down, 0, 2}, {4, remind, 0, 5}, {5, rec, 0, 5}, {7, down, 6, 2}, {10, remind, 6, 5}}},
		{"threshold 1, every cycle", 1, time.Minute, "DDDU",
			[]fire{{0, down, 0, 1}, {1, remind, 0, 2}, {2, remind, 0, 3}, {3, rec, 0, 3}}},
		{"below the threshold nothing reminds", 3, time.Minute, "DDUDD", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := runBothWaysWith(t, sequence("sefaria.org", tt.seq, tt.threshold), Policy{RemindEvery: tt.every})
			if want := expect(tt.seq, tt.fires); !reflect.DeepEqual(got, want) {
				t.Errorf("Apply(%q, remind every %s) =\n%v\nwant\n%v", tt.seq, tt.every, got, want)
			}
		})
	}
}

func TestApplyMaintenanceHold(t *testing.T) {
	tests := []struct {
		name     string
		every    time.Duration
		seq      string
		from, to int // held during cycles [from, to)
		fires    []fire
	}{
		{"outage inside the window: nothing", 0, "UDDDU", 0, 5, nil},
		{"still down after the window: DOWN then, since the first failure", 0, "DDDDDU", 0, 3,
			[]fire{{3, down, 0, 4}, {5, rec, 0, 5}}},
		{"recovers on the first cycle after the window: nothing", 0, "DDDU", 0, 3, nil},
		{"inconclusive after the window waits for a down cycle", 0, "DDIDU", 0, 2,
			[]fire{{3, down, 0, 3}, {4, rec, 0, 3}}},
		{"below the threshold in the window: the normal DOWN after it", 0, "DDU", 0, 1,
			[]fire{{1, down, 0, 2}, {2, rec, 0, 2}}},
		{"DOWN sent before the window: its RECOVERED still goes out", 0, "DDDU", 2, 4,
			[]fire{{1, down, 0, 2}, {3, rec, 0, 3}}},
		{"reminders wait for the window to end", 3 * time.Minute, "DDDDDDDD", 3, 6,
			[]fire{{1, down, 0, 2}, {6, remind, 0, 7}}},
		{"a held DOWN starts the reminder clock when sent", 3 * time.Minute, "DDDDDDDD", 0, 3,
			[]fire{{3, down, 0, 4}, {6, remind, 0, 7}}},
		{"window in the middle of a healthy run: nothing", 3 * time.Minute, "UUUU", 1, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{RemindEvery: tt.every, Held: window("sefaria.org", tt.from, tt.to)}
			got, _ := runBothWaysWith(t, sequence("sefaria.org", tt.seq, 2), p)
			if want := expect(tt.seq, tt.fires); !reflect.DeepEqual(got, want) {
				t.Errorf("Apply(%q, held in cycles [%d, %d)) =\n%v\nwant\n%v", tt.seq, tt.from, tt.to, got, want)
			}
		})
	}
}

func TestHoldIsPerService(t *testing.T) {
	th := map[string]int{"A": 1, "B": 1}
	cycles := []cycle{
		{results(0, "A:D", "B:D"), th},
		{results(1, "A:U", "B:U"), th},
	}
	fired, _ := runBothWaysWith(t, cycles, Policy{Held: window("A", 0, 2)})
	want := [][]brief{{{down, "B", 0, 1}}, {{rec, "B", 0, 1}}}
	if got := briefs(fired); !reflect.DeepEqual(got, want) {
		t.Errorf("A held, B not: transitions = %v, want %v", got, want)
	}
}

func TestHeldStateIsTheTruth(t *testing.T) {
	// The page reads the state: during the hold it must show the outage.
	_, st := runBothWaysWith(t, sequence("sefaria.org", "DDD", 2), Policy{
		RemindEvery: time.Minute, Held: window("sefaria.org", 0, 10)})
	got := *st.Services["sefaria.org"]
	want := ServiceState{
		Status: uptime.Down, Failures: 3, Since: at(0), Announced: true, Held: true,
		IncidentID: "sefaria-org-20260301T120000Z", DownError: uptime.ErrStatus,
		LastCheck: at(2), LastCode: 503, LastMS: 120, LastError: uptime.ErrStatus,
	}
	if got != want {
		t.Errorf("state after a held outage = %+v, want %+v", got, want)
	}
	if len(st.Outbox) != 0 {
		t.Errorf("outbox after a held outage = %v, want empty", st.Outbox)
	}
}

func TestReminderStateRoundTrips(t *testing.T) {
	_, st := runBothWaysWith(t, sequence("sefaria.org", "DDDD", 2), Policy{RemindEvery: 2 * time.Minute})
	if got := st.Services["sefaria.org"].LastReminder; got != at(3) {
		t.Errorf("last_reminder after DOWN at 1 and a reminder at 3 = %v, want %v", got, at(3))
	}
	path := filepath.Join(t.TempDir(), "state.json")
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}
	if data := readFile(t, path); !strings.Contains(data, `"last_reminder": "2026-03-01T12:03:00Z"`) ||
		!strings.Contains(data, `"kind": "reminder"`) {
		t.Errorf("saved state lacks last_reminder or the queued reminder:\n%s", data)
	}
}

func TestLoadRefusesInconsistentHoldAndReminder(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"held without an announced outage", `{"version": 1, "services": {"A": {"held": true}}}`,
			`service "A": held with no announced outage`},
		{"last_reminder without an announced outage", `{"version": 1, "services": {"A": {"last_reminder": "2026-03-01T12:00:00Z"}}}`,
			`service "A": last_reminder with no announced outage`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%s) error = %v, want it to contain %q", tt.data, err, tt.want)
			}
		})
	}
}
