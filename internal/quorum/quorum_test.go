package quorum

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
)

var three = []string{"us-east", "eu-west", "ap-south"}

// votes is one cycle of one service: each location's status, "" for a
// location that did not answer.
type votes [3]uptime.Status

const (
	U = uptime.Up
	G = uptime.Degraded
	D = uptime.Down
	I = uptime.Inconclusive
	X = uptime.Status("") // no answer
)

// cycle is what one cycle must decide and fire.
type cycle struct {
	votes  votes
	status uptime.Status
	note   string
	fired  string // "" or "down by us-east,eu-west" or "recovered"
}

// TestQuorumOverCycles runs each scenario cycle by cycle through Decide and
// the tracker, with the state saved to a file and loaded again between any
// two cycles, as `once` does in CI.
func TestQuorumOverCycles(t *testing.T) {
	tests := []struct {
		name      string
		quorum    int
		threshold int
		cycles    []cycle
	}{
		{
			name: "one region down is a note, never an alert", quorum: 2, threshold: 2,
			cycles: []cycle{
				{votes{U, D, U}, U, "Down from 1 of 3 locations: eu-west", ""},
				{votes{U, D, U}, U, "Down from 1 of 3 locations: eu-west", ""},
				{votes{U, D, U}, U, "Down from 1 of 3 locations: eu-west", ""},
			},
		},
		{
			name: "two of three agree: DOWN after the threshold names them, then RECOVERED", quorum: 2, threshold: 2,
			cycles: []cycle{
				{votes{D, D, U}, D, "", ""},
				{votes{D, U, D}, D, "", "down by us-east,ap-south"},
				{votes{D, D, D}, D, "", ""},
				{votes{U, U, D}, U, "Down from 1 of 3 locations: ap-south", "recovered"},
			},
		},
		{
			name: "a missing location does not vote: 1 down, 1 up, 1 silent is up", quorum: 2, threshold: 1,
			cycles: []cycle{
				{votes{D, X, U}, U, "Down from 1 of 3 locations: us-east; no answer from eu-west", ""},
			},
		},
		{
			name: "too few answers is inconclusive and neither advances nor resets the streak", quorum: 2, threshold: 2,
			cycles: []cycle{
				{votes{D, D, X}, D, "no answer from ap-south", ""},
				{votes{D, X, X}, I, "Only 1 of 3 locations could tell, quorum 2; down from us-east; no answer from eu-west, ap-south", ""},
				{votes{X, D, D}, D, "no answer from us-east", "down by eu-west,ap-south"},
			},
		},
		{
			name: "an inconclusive location (its canary failed) does not vote", quorum: 2, threshold: 1,
			cycles: []cycle{
				{votes{I, D, U}, U, "Down from 1 of 3 locations: eu-west", ""},
				{votes{I, I, D}, I, "Only 1 of 3 locations could tell, quorum 2; down from ap-south", ""},
			},
		},
		{
			name: "quorum 1 of 3: any location's failure counts", quorum: 1, threshold: 1,
			cycles: []cycle{
				{votes{U, U, D}, D, "", "down by ap-south"},
				{votes{U, U, U}, U, "", "recovered"},
			},
		},
		{
			name: "quorum 3: all must agree", quorum: 3, threshold: 1,
			cycles: []cycle{
				{votes{D, D, U}, U, "Down from 2 of 3 locations: us-east, eu-west", ""},
				{votes{D, D, D}, D, "", "down by us-east,eu-west,ap-south"},
			},
		},
		{
			name: "degraded only when a quorum found it slow", quorum: 2, threshold: 1,
			cycles: []cycle{
				{votes{G, U, U}, U, "", ""},
				{votes{G, G, U}, G, "", ""},
			},
		},
		{
			name: "nobody answered: nothing is recorded", quorum: 2, threshold: 1,
			cycles: []cycle{
				{votes{X, X, X}, "", "", ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := uptime.Service{Name: "sefaria.org", Quorum: tt.quorum, FailureThreshold: tt.threshold}
			path := filepath.Join(t.TempDir(), "state.json")
			start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			for n, c := range tt.cycles {
				at := start.Add(time.Duration(n) * time.Minute)
				var results []uptime.Result
				for i, st := range c.votes {
					if st == X {
						continue
					}
					r := uptime.Result{Time: at.Add(time.Duration(i) * time.Second), Service: svc.Name, Status: st, Code: 200,
						MS: int64(100 + i), Attempts: 1, Location: three[i]}
					if st == D {
						r.Code, r.Error, r.Detail, r.Attempts = 503, uptime.ErrStatus, "HTTP 503 from "+three[i], 3
					}
					results = append(results, r)
				}
				verdicts := Decide([]uptime.Service{svc}, three, results)
				if c.status == "" {
					if len(verdicts) != 0 {
						t.Fatalf("cycle %d: Decide = %+v, want no verdict", n, verdicts)
					}
					continue
				}
				if len(verdicts) != 1 {
					t.Fatalf("cycle %d: Decide gave %d verdicts, want 1", n, len(verdicts))
				}
				v := verdicts[0]
				if v.Status == uptime.Inconclusive && v.Error != uptime.ErrNoQuorum {
					t.Errorf("cycle %d: inconclusive verdict's error = %q, want no_quorum", n, v.Error)
				}
				if v.Status != c.status || v.Note != c.note || v.Location != "" {
					t.Errorf("cycle %d %v: verdict = %s, note %q, location %q; want %s, note %q, no location",
						n, c.votes, v.Status, v.Note, v.Location, c.status, c.note)
				}
				if last := results[len(results)-1].Time; !v.Time.Equal(last) {
					t.Errorf("cycle %d: verdict time = %v, want the latest check's %v", n, v.Time, last)
				}

				st := loadState(t, path)
				fired := st.Apply(verdicts, tracker.Policy{Thresholds: map[string]int{svc.Name: tt.threshold}})
				if got := describe(fired); got != c.fired {
					t.Errorf("cycle %d %v: fired %q, want %q", n, c.votes, got, c.fired)
				}
				if err := st.Save(path); err != nil {
					t.Fatal(err)
				}
				// The agreeing locations survive the state file, for a DOWN
				// delivered in a later cycle.
				for _, q := range loadState(t, path).Outbox {
					if q.Kind == uptime.WentDown && len(q.Locations) == 0 {
						t.Errorf("cycle %d: DOWN in the saved outbox lost its locations: %+v", n, q)
					}
				}
			}
		})
	}
}

func loadState(t *testing.T, path string) *tracker.State {
	t.Helper()
	st, err := tracker.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func describe(ts []uptime.Transition) string {
	var out []string
	for _, tr := range ts {
		switch tr.Kind {
		case uptime.WentDown:
			var names []string
			for _, l := range tr.Locations {
				if l.Error != uptime.ErrStatus || l.Code != 503 || l.Detail != "HTTP 503 from "+l.Location {
					names = append(names, "(wrong error for "+l.Location+")")
				}
				names = append(names, l.Location)
			}
			out = append(out, "down by "+strings.Join(names, ","))
		default:
			out = append(out, string(tr.Kind))
		}
	}
	return strings.Join(out, " ")
}

// One location with quorum 1 is the single-location check itself: the
// verdict is the check, field for field, without a location and a note.
func TestOneLocationIsTheCheck(t *testing.T) {
	svc := uptime.Service{Name: "Linker", Quorum: 1}
	checks := []uptime.Result{
		{Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Service: "Linker", Status: uptime.Down, Code: 500, MS: 42, Attempts: 3,
			Error: uptime.ErrTaskFailed, Detail: "state FAILURE", Polls: 2, Location: "here"},
		{Time: time.Date(2026, 3, 1, 12, 1, 0, 0, time.UTC), Service: "Linker", Status: uptime.Degraded, Code: 200, MS: 4200, Attempts: 1, Location: "here"},
		{Time: time.Date(2026, 3, 1, 12, 2, 0, 0, time.UTC), Service: "Linker", Status: uptime.Inconclusive, Error: uptime.ErrCanary, Detail: "canary", Location: "here"},
	}
	for _, c := range checks {
		got := Decide([]uptime.Service{svc}, []string{"here"}, []uptime.Result{c})
		want := c
		want.Location = ""
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Errorf("Decide(one location, %+v) = %+v, want the check itself %+v", c, got, want)
		}
	}
}

// Checks of unconfigured services or locations, and a location's second
// check of a service, are ignored rather than counted twice.
func TestDecideIgnoresStrayChecks(t *testing.T) {
	svc := uptime.Service{Name: "a", Quorum: 2}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	down := func(loc, service string) uptime.Result {
		return uptime.Result{Time: at, Service: service, Status: uptime.Down, Error: uptime.ErrConnect, Location: loc}
	}
	results := []uptime.Result{
		down("us-east", "a"), down("us-east", "a"), // the same location twice
		down("mars", "a"),       // no such location
		down("eu-west", "gone"), // no such service
		{Time: at, Service: "a", Status: uptime.Up, Location: "eu-west"},
	}
	got := Decide([]uptime.Service{svc}, three, results)
	if len(got) != 1 || got[0].Status != uptime.Up {
		t.Fatalf("Decide = %+v, want one up verdict (one down vote, one up)", got)
	}
	if want := "Down from 1 of 3 locations: us-east; no answer from ap-south"; got[0].Note != want {
		t.Errorf("note = %q, want %q", got[0].Note, want)
	}
}

// A location that cannot check a service (a blackbox_exporter and the
// async Linker) is out of that service's vote: never "no answer", not in
// a note's "of N", and the quorum shrinks to the locations that can.
func TestDecideAmongLeavesOutLocationsThatCannotCheck(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	linker := uptime.Service{Name: "Linker", Quorum: 3, CheckType: uptime.CheckAsyncTwoPhase}
	web := uptime.Service{Name: "Web", Quorum: 3}
	checkers := func(svc uptime.Service) []bool {
		return []bool{true, true, svc.Name != "Linker"} // ap-south is a blackbox_exporter
	}
	check := func(service, loc string, st uptime.Status) uptime.Result {
		r := uptime.Result{Time: at, Service: service, Status: st, Location: loc}
		if st == uptime.Down {
			r.Error = uptime.ErrConnect
		}
		return r
	}
	tests := []struct {
		name    string
		results []uptime.Result
		status  uptime.Status
		note    string
	}{
		{"both that can check agree: down at quorum 2 of 2", []uptime.Result{
			check("Linker", "us-east", D), check("Linker", "eu-west", D)}, D, ""},
		{"one of the two down: a note of 2", []uptime.Result{
			check("Linker", "us-east", U), check("Linker", "eu-west", D)}, U, "Down from 1 of 2 locations: eu-west"},
		{"the one that cannot check is never missing", []uptime.Result{
			check("Linker", "us-east", U), check("Linker", "eu-west", U)}, U, ""},
		{"a stray check from it does not vote", []uptime.Result{
			check("Linker", "us-east", U), check("Linker", "eu-west", U), check("Linker", "ap-south", D)}, U, ""},
		{"one of the two silent: too few", []uptime.Result{
			check("Linker", "us-east", D)}, I, "Only 1 of 2 locations could tell, quorum 2; down from us-east; no answer from eu-west"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DecideAmong([]uptime.Service{linker}, three, checkers, tc.results)
			if len(got) != 1 || got[0].Status != tc.status || got[0].Note != tc.note {
				t.Fatalf("DecideAmong = %+v, want %s with note %q", got, tc.status, tc.note)
			}
		})
	}
	// A service every location checks keeps quorum 3 of 3.
	got := DecideAmong([]uptime.Service{web}, three, checkers, []uptime.Result{
		check("Web", "us-east", D), check("Web", "eu-west", D), check("Web", "ap-south", U)})
	if len(got) != 1 || got[0].Status != U || got[0].Note != "Down from 2 of 3 locations: us-east, eu-west" {
		t.Errorf("DecideAmong(Web) = %+v, want up with two of three down set aside", got)
	}
}
