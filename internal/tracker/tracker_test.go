package tracker

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// at is the start of cycle i; cycles are a minute apart.
func at(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }

// result is one check of service in cycle i: U up, G degraded, D down, I inconclusive.
func result(service string, c byte, i int) uptime.Result {
	r := uptime.Result{Time: at(i), Service: service, Attempts: 3}
	switch c {
	case 'U':
		r.Status, r.Code, r.MS, r.Attempts = uptime.Up, 200, 80, 1
	case 'G':
		r.Status, r.Code, r.MS, r.Attempts = uptime.Degraded, 200, 2500, 1
	case 'D':
		r.Status, r.Code, r.MS, r.Error, r.Detail = uptime.Down, 503, 120, uptime.ErrStatus, "HTTP 503"
	case 'I':
		r.Status, r.MS, r.Error, r.Detail = uptime.Inconclusive, 10000, uptime.ErrCanary, "canary failed"
	default:
		panic("unknown status letter " + string(c))
	}
	return r
}

// cycle is one call to Apply.
type cycle struct {
	results    []uptime.Result
	thresholds map[string]int
}

// sequence makes one cycle per letter of seq for one service.
func sequence(service, seq string, threshold int) []cycle {
	cs := make([]cycle, len(seq))
	for i := range seq {
		cs[i] = cycle{[]uptime.Result{result(service, seq[i], i)}, map[string]int{service: threshold}}
	}
	return cs
}

// runBothWays applies cycles to one state kept in memory, and again to a
// state saved and loaded between every pair of cycles (a restart each
// time). Both must fire the same transitions and end in the same file. It
// returns the transitions fired per cycle and the final state.
func runBothWays(t *testing.T, cycles []cycle) ([][]uptime.Transition, *State) {
	t.Helper()
	return runBothWaysWith(t, cycles, Policy{})
}

// runBothWaysWith is runBothWays with reminders and holds from extra; each
// cycle still brings its own thresholds.
func runBothWaysWith(t *testing.T, cycles []cycle, extra Policy) ([][]uptime.Transition, *State) {
	t.Helper()
	dir := t.TempDir()
	policy := func(c cycle) Policy {
		p := extra
		p.Thresholds = c.thresholds
		return p
	}

	mem := New()
	var memFired [][]uptime.Transition
	for _, c := range cycles {
		memFired = append(memFired, mem.Apply(c.results, policy(c)))
	}
	memPath := filepath.Join(dir, "memory.json")
	if err := mem.Save(memPath); err != nil {
		t.Fatal(err)
	}

	reloadPath := filepath.Join(dir, "state.json")
	var reloadFired [][]uptime.Transition
	for i, c := range cycles {
		st, err := Load(reloadPath)
		if err != nil {
			t.Fatalf("cycle %d: Load: %v", i, err)
		}
		reloadFired = append(reloadFired, st.Apply(c.results, policy(c)))
		if err := st.Save(reloadPath); err != nil {
			t.Fatalf("cycle %d: Save: %v", i, err)
		}
	}
	if len(cycles) == 0 {
		if err := New().Save(reloadPath); err != nil {
			t.Fatal(err)
		}
	}

	if !reflect.DeepEqual(reloadFired, memFired) {
		t.Errorf("transitions with a restart between cycles =\n%v\nwant (no restart)\n%v", reloadFired, memFired)
	}
	if got, want := readFile(t, reloadPath), readFile(t, memPath); got != want {
		t.Errorf("final state with restarts =\n%s\nwant (no restart)\n%s", got, want)
	}
	return memFired, mem
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fire is an expected transition of the single service "sefaria.org":
// fired in cycle at, for the streak that began in cycle since.
type fire struct {
	at       int
	kind     uptime.TransitionKind
	since    int
	failures int
}

const (
	down = uptime.WentDown
	rec  = uptime.Recovered
)

// expect builds the transitions the fires describe, cycle by cycle, with
// the codes and errors of result's fixtures.
func expect(seq string, fires []fire) [][]uptime.Transition {
	want := make([][]uptime.Transition, len(seq))
	for i := range want {
		want[i] = []uptime.Transition{}
	}
	for _, f := range fires {
		r := result("sefaria.org", seq[f.at], f.at)
		t := uptime.Transition{
			Kind:       f.kind,
			Service:    "sefaria.org",
			IncidentID: "sefaria-org-" + at(f.since).Format("20060102T150405Z"),
			Since:      at(f.since),
			At:         at(f.at),
			Failures:   f.failures,
			Code:       r.Code,
			Error:      uptime.ErrStatus,
		}
		if f.kind == down || f.kind == uptime.Reminder {
			t.Detail = r.Detail
		} else {
			t.MS = r.MS
		}
		want[f.at] = append(want[f.at], t)
	}
	return want
}

func TestApplySequences(t *testing.T) {
	tests := []struct {
		name      string
		threshold int
		seq       string
		fires     []fire
	}{
		{"threshold 1: one down fires at once", 1, "D", []fire{{0, down, 0, 1}}},
		{"threshold 1: down then up recovers", 1, "DU", []fire{{0, down, 0, 1}, {1, rec, 0, 1}}},
		{"threshold 1: degraded recovers like up", 1, "DG", []fire{{0, down, 0, 1}, {1, rec, 0, 1}}},
		{"threshold 1: up and degraded fire nothing", 1, "UGUG", nil},
		{"threshold 1: inconclusive fires nothing", 1, "IIII", nil},
		{"threshold 1: each outage is its own incident", 1, "DUD", []fire{{0, down, 0, 1}, {1, rec, 0, 1}, {2, down, 2, 1}}},

		{"threshold 2: one down is below it", 2, "D", nil},
		{"threshold 2: short streak ending up fires nothing", 2, "DU", nil},
		{"threshold 2: short streak ending degraded fires nothing", 2, "UDG", nil},
		{"threshold 2: streak reaches it", 2, "DD", []fire{{1, down, 0, 2}}},
		{"threshold 2: since is the first failed cycle", 2, "UUDD", []fire{{3, down, 2, 2}}},
		{"threshold 2: DOWN fires once", 2, "DDDDD", []fire{{1, down, 0, 2}}},
		{"threshold 2: recovered carries the streak length", 2, "DDDU", []fire{{1, down, 0, 2}, {3, rec, 0, 3}}},
		{"threshold 2: inconclusive does not advance", 2, "DIU", nil},
		{"threshold 2: inconclusive does not reset", 2, "DID", []fire{{2, down, 0, 2}}},
		{"threshold 2: inconclusive before a streak", 2, "IDD", []fire{{2, down, 1, 2}}},
		{"threshold 2: inconclusive during an outage", 2, "DDIIU", []fire{{1, down, 0, 2}, {4, rec, 0, 2}}},
		{"threshold 2: up resets the streak", 2, "DUD", nil},
		{"threshold 2: new streak after a reset", 2, "DUDD", []fire{{3, down, 2, 2}}},
		{"threshold 2: degraded resets the streak", 2, "DGD", nil},
		{"threshold 2: two outages", 2, "DDUDDG", []fire{{1, down, 0, 2}, {2, rec, 0, 2}, {4, down, 3, 2}, {5, rec, 3, 2}}},

		{"threshold 3: two downs are below it", 3, "DD", nil},
		{"threshold 3: short streak ending up fires nothing", 3, "DDU", nil},
		{"threshold 3: streak reaches it", 3, "DDD", []fire{{2, down, 0, 3}}},
		{"threshold 3: inconclusive between downs", 3, "DIDID", []fire{{4, down, 0, 3}}},
		{"threshold 3: long outage", 3, "DDDDDG", []fire{{2, down, 0, 3}, {5, rec, 0, 5}}},
		{"threshold 3: reset then a full streak", 3, "DDUDDD", []fire{{5, down, 3, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := runBothWays(t, sequence("sefaria.org", tt.seq, tt.threshold))
			want := expect(tt.seq, tt.fires)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Apply(%q, threshold %d) =\n%v\nwant\n%v", tt.seq, tt.threshold, got, want)
			}
		})
	}
}

func TestIncidentID(t *testing.T) {
	// Checks stamped in another zone still give UTC times and ids, so the
	// state file and the incident ids do not depend on the runner's zone.
	cycles := sequence("MCP Server", "UDD", 2)
	jerusalem := time.FixedZone("IST", 2*60*60)
	for i := range cycles {
		cycles[i].results[0].Time = cycles[i].results[0].Time.In(jerusalem)
	}
	got, _ := runBothWays(t, cycles)
	const want = "mcp-server-20260301T120100Z"
	if len(got[2]) != 1 || got[2][0].IncidentID != want {
		t.Fatalf("incident id of an outage from %s = %v, want %s", at(1).Format(time.RFC3339), got[2], want)
	}
	if since := got[2][0].Since; since != at(1) {
		t.Errorf("since = %v, want %v in UTC", since, at(1))
	}
}

func TestServiceStateAfterSequence(t *testing.T) {
	tests := []struct {
		name      string
		threshold int
		seq       string
		want      ServiceState
	}{
		{"only inconclusive: no status yet", 2, "I", ServiceState{LastCheck: at(0)}},
		{"inconclusive keeps the last conclusive check", 2, "UI", ServiceState{
			Status: uptime.Up, LastCheck: at(1), LastSuccess: at(0), LastCode: 200, LastMS: 80}},
		{"degraded counts as success", 2, "G", ServiceState{
			Status: uptime.Degraded, LastCheck: at(0), LastSuccess: at(0), LastCode: 200, LastMS: 2500}},
		{"a streak below the threshold", 2, "UD", ServiceState{
			Status: uptime.Down, Failures: 1, Since: at(1), LastCheck: at(1), LastSuccess: at(0),
			LastCode: 503, LastMS: 120, LastError: uptime.ErrStatus}},
		{"an announced outage", 2, "UDDI", ServiceState{
			Status: uptime.Down, Failures: 2, Since: at(1), Announced: true,
			IncidentID: "sefaria-org-20260301T120100Z", DownError: uptime.ErrStatus,
			LastCheck: at(3), LastSuccess: at(0), LastCode: 503, LastMS: 120, LastError: uptime.ErrStatus}},
		{"recovery resets the streak", 2, "DDG", ServiceState{
			Status: uptime.Degraded, LastCheck: at(2), LastSuccess: at(2), LastCode: 200, LastMS: 2500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, st := runBothWays(t, sequence("sefaria.org", tt.seq, tt.threshold))
			got := st.Services["sefaria.org"]
			if got == nil || *got != tt.want {
				t.Errorf("state after %q = %+v, want %+v", tt.seq, got, tt.want)
			}
		})
	}
}

func TestDownErrorIsTheConfirmingKind(t *testing.T) {
	r0 := result("Linker", 'D', 0)
	r0.Error = uptime.ErrTimeout
	r1 := result("Linker", 'D', 1)
	r1.Error, r1.Detail = uptime.ErrTaskFailed, "task FAILURE"
	th := map[string]int{"Linker": 2}
	got, _ := runBothWays(t, []cycle{{[]uptime.Result{r0}, th}, {[]uptime.Result{r1}, th}, {[]uptime.Result{result("Linker", 'U', 2)}, th}})
	if len(got[1]) != 1 || got[1][0].Error != uptime.ErrTaskFailed || got[1][0].Detail != "task FAILURE" {
		t.Errorf("DOWN after timeout then task_failed = %v, want error task_failed, detail %q", got[1], "task FAILURE")
	}
	if len(got[2]) != 1 || got[2][0].Error != uptime.ErrTaskFailed {
		t.Errorf("RECOVERED = %v, want error task_failed (the kind that confirmed the outage)", got[2])
	}
}

// results builds one cycle from "service:letter" pairs.
func results(i int, pairs ...string) []uptime.Result {
	var rs []uptime.Result
	for _, p := range pairs {
		rs = append(rs, result(p[:len(p)-2], p[len(p)-1], i))
	}
	return rs
}

// brief is a transition reduced to what the config-change tests check.
type brief struct {
	kind     uptime.TransitionKind
	service  string
	since    int
	failures int
}

func briefs(fired [][]uptime.Transition) [][]brief {
	out := make([][]brief, len(fired))
	for i, ts := range fired {
		out[i] = []brief{}
		for _, t := range ts {
			since := int(t.Since.Sub(t0) / time.Minute)
			out[i] = append(out[i], brief{t.Kind, t.Service, since, t.Failures})
		}
	}
	return out
}

func TestApplyConfigChanges(t *testing.T) {
	type th = map[string]int
	tests := []struct {
		name      string
		cycles    []cycle
		want      [][]brief
		wantNames []string // services left in the state
	}{
		{
			name: "service removed from config is dropped without an alert",
			cycles: []cycle{
				{results(0, "A:D", "B:D"), th{"A": 1, "B": 1}},
				{results(1, "A:U", "B:U"), th{"A": 1}},
			},
			want:      [][]brief{{{down, "A", 0, 1}, {down, "B", 0, 1}}, {{rec, "A", 0, 1}}},
			wantNames: []string{"A"},
		},
		{
			name: "results for services not in config are ignored",
			cycles: []cycle{
				{results(0, "A:U", "X:D"), th{"A": 1}},
			},
			want:      [][]brief{{}},
			wantNames: []string{"A"},
		},
		{
			name: "new service starts fresh",
			cycles: []cycle{
				{results(0, "A:D"), th{"A": 2}},
				{results(1, "A:D", "B:D"), th{"A": 2, "B": 2}},
				{results(2, "A:U", "B:D"), th{"A": 2, "B": 2}},
			},
			want:      [][]brief{{}, {{down, "A", 0, 2}}, {{rec, "A", 0, 2}, {down, "B", 1, 2}}},
			wantNames: []string{"A", "B"},
		},
		{
			name: "removed then re-added: no phantom RECOVERED",
			cycles: []cycle{
				{results(0, "A:D"), th{"A": 1}},
				{results(1), th{}},
				{results(2, "A:U"), th{"A": 1}},
			},
			want:      [][]brief{{{down, "A", 0, 1}}, {}, {}},
			wantNames: []string{"A"},
		},
		{
			name: "threshold lowered mid-streak fires on the next down",
			cycles: []cycle{
				{results(0, "A:D"), th{"A": 3}},
				{results(1, "A:D"), th{"A": 3}},
				{results(2, "A:I"), th{"A": 1}},
				{results(3, "A:D"), th{"A": 1}},
				{results(4, "A:U"), th{"A": 1}},
			},
			want:      [][]brief{{}, {}, {}, {{down, "A", 0, 3}}, {{rec, "A", 0, 3}}},
			wantNames: []string{"A"},
		},
		{
			name: "threshold lowered mid-streak, then up: nothing",
			cycles: []cycle{
				{results(0, "A:D"), th{"A": 3}},
				{results(1, "A:D"), th{"A": 3}},
				{results(2, "A:U"), th{"A": 1}},
			},
			want:      [][]brief{{}, {}, {}},
			wantNames: []string{"A"},
		},
		{
			name: "threshold raised after the DOWN: still recovers",
			cycles: []cycle{
				{results(0, "A:D"), th{"A": 1}},
				{results(1, "A:D"), th{"A": 5}},
				{results(2, "A:U"), th{"A": 5}},
			},
			want:      [][]brief{{{down, "A", 0, 1}}, {}, {{rec, "A", 0, 2}}},
			wantNames: []string{"A"},
		},
		{
			name: "threshold 0 acts as 1",
			cycles: []cycle{
				{results(0, "A:D"), th{"A": 0}},
			},
			want:      [][]brief{{{down, "A", 0, 1}}},
			wantNames: []string{"A"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fired, st := runBothWays(t, tt.cycles)
			if got := briefs(fired); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("transitions = %v, want %v", got, tt.want)
			}
			if got := slices.Sorted(maps.Keys(st.Services)); !slices.Equal(got, tt.wantNames) {
				t.Errorf("services in state = %v, want %v", got, tt.wantNames)
			}
		})
	}
}

func TestOutboxAndAck(t *testing.T) {
	th := map[string]int{"A": 1, "B": 1}
	st := New()
	var all []uptime.Transition
	all = append(all, st.Apply(results(0, "A:D", "B:D"), Policy{Thresholds: th})...)
	all = append(all, st.Apply(results(1, "A:U"), Policy{Thresholds: th})...)
	if len(all) != 3 || !reflect.DeepEqual(st.Outbox, all) {
		t.Fatalf("Outbox = %v, want every fired transition in order %v", st.Outbox, all)
	}

	held := st.Outbox
	st.Ack(nil)
	st.Ack([]bool{false, false, false})
	if !reflect.DeepEqual(st.Outbox, all) {
		t.Fatalf("Outbox after acking nothing = %v, want unchanged %v", st.Outbox, all)
	}
	st.Ack([]bool{true, false, true}) // out of order: A's DOWN and RECOVERED
	if want := all[1:2]; !reflect.DeepEqual(st.Outbox, want) {
		t.Fatalf("Outbox after Ack(true, false, true) = %v, want %v", st.Outbox, want)
	}
	if !reflect.DeepEqual(held, all) {
		t.Errorf("a batch held by the deliverer changed after Ack: %v, want %v", held, all)
	}

	more := st.Apply(results(2, "B:U"), Policy{Thresholds: th})
	if want := append(append([]uptime.Transition{}, all[1:2]...), more...); !reflect.DeepEqual(st.Outbox, want) {
		t.Fatalf("Outbox after another cycle = %v, want %v", st.Outbox, want)
	}
	st.Ack([]bool{true, true, true, true})
	if st.Outbox == nil || len(st.Outbox) != 0 {
		t.Fatalf("Outbox after Ack beyond its length = %#v, want empty, not nil", st.Outbox)
	}
}

func TestCloneIsIndependent(t *testing.T) {
	s := New()
	p := Policy{Thresholds: map[string]int{"web": 1}}
	down := uptime.Result{Time: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), Service: "web", Status: uptime.Down, Error: uptime.ErrStatus}
	s.Apply([]uptime.Result{down}, p)
	c := s.Clone()
	up := down
	up.Time, up.Status, up.Error = down.Time.Add(time.Minute), uptime.Up, ""
	s.Apply([]uptime.Result{up}, p)
	s.Ack([]bool{true})
	if ss := c.Services["web"]; ss.Status != uptime.Down || ss.Failures != 1 || !ss.Announced {
		t.Errorf("clone's web after the original recovered = %+v, want still down and announced", ss)
	}
	if len(c.Outbox) != 1 || c.Outbox[0].Kind != uptime.WentDown {
		t.Errorf("clone's outbox = %+v, want the one DOWN", c.Outbox)
	}
}
