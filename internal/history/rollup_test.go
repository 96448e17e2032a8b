package history

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// cycles makes n cycles, step apart, of the given services from start, with
// seeded random statuses and latencies spread over three orders of magnitude.
func cycles(start time.Time, n int, step time.Duration, services []string) [][]uptime.Result {
	rng := rand.New(rand.NewPCG(7, 11))
	out := make([][]uptime.Result, n)
	for c := range out {
		for _, name := range services {
			r := uptime.Result{Time: start.Add(time.Duration(c) * step), Service: name,
				Status: uptime.Up, Code: 200, MS: int64(math.Exp(rng.Float64()*7)) + rng.Int64N(3), Attempts: 1}
			switch p := rng.IntN(100); {
			case p < 10:
				r.Status, r.Code, r.Error = uptime.Down, 503, uptime.ErrStatus
			case p < 15:
				r.Status = uptime.Degraded
			case p < 18:
				r.Status, r.Error = uptime.Inconclusive, uptime.ErrCanary
			}
			out[c] = append(out[c], r)
		}
	}
	return out
}

// exact computes a day's expected rollup directly from the results.
type exact struct {
	checks, up, degraded, down, inconclusive int
	latencies                                []int64
	times                                    Times
	last                                     *uptime.Result // the day's last check so far
}

func nearestRank(sorted []int64, q float64) int64 {
	return sorted[int(math.Ceil(q*float64(len(sorted))))-1]
}

func TestAddToRollups(t *testing.T) {
	dir := t.TempDir()
	services := []string{"sefaria.org", "Linker", "ספריא \"AI\""}
	start := at(t, "2026-11-24T20:00:00Z") // the cycles run past midnight
	all := cycles(start, 150, 3*time.Minute, services)
	const interval = 60 * time.Second // checks come every 3 minutes: each stands for 2 (SpanCap), then no data

	s := New(dir)
	want := map[string]map[string]*exact{}
	for i, cycle := range all {
		if i == 75 { // a restarted runner continues from the files
			s = New(dir)
		}
		if err := s.AddToRollups(cycle, interval); err != nil {
			t.Fatalf("AddToRollups(cycle %d): %v", i, err)
		}
		for _, r := range cycle {
			date := r.Time.Format(dateLayout)
			if want[date] == nil {
				want[date] = map[string]*exact{}
			}
			e := want[date][r.Service]
			if e == nil {
				e = &exact{}
				want[date][r.Service] = e
			}
			e.checks++
			if e.last != nil {
				e.times.AddSpan(e.last.Status, min(r.Time.Sub(e.last.Time), 2*interval))
			}
			e.last = &r
			switch r.Status {
			case uptime.Up:
				e.up++
				e.latencies = append(e.latencies, r.MS)
			case uptime.Degraded:
				e.degraded++
				e.latencies = append(e.latencies, r.MS)
			case uptime.Down:
				e.down++
			case uptime.Inconclusive:
				e.inconclusive++
			}
		}
	}
	days, err := New(dir).Rollups(at(t, "2026-11-24T00:00:00Z"), at(t, "2026-11-26T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || days[0].Date != "2026-11-24" || days[1].Date != "2026-11-25" {
		t.Fatalf("Rollups() = %d days, want 2026-11-24 and 2026-11-25", len(days))
	}
	for _, day := range days {
		for _, name := range services {
			e, got := want[day.Date][name], day.Services[name]
			if got == nil {
				t.Fatalf("%s: no rollup for %q", day.Date, name)
			}
			counts := [5]int{got.Checks, got.Up, got.Degraded, got.Down, got.Inconclusive}
			if wantCounts := [5]int{e.checks, e.up, e.degraded, e.down, e.inconclusive}; counts != wantCounts {
				t.Errorf("%s %s: checks/up/degraded/down/inconclusive = %v, want %v", day.Date, name, counts, wantCounts)
			}
			if got := got.Times(); got != e.times {
				t.Errorf("%s %s: Times() = %+v, want %+v", day.Date, name, got, e.times)
			}
			if want := 2 * time.Minute * time.Duration(e.down); e.last.Status != uptime.Down && got.Times().Down != want {
				t.Errorf("%s %s: down for %v, want %v (%d down checks, none the day's last)", day.Date, name, got.Times().Down, want, e.down)
			}
			if !got.Last.Equal(e.last.Time) || got.LastStatus != e.last.Status {
				t.Errorf("%s %s: last check %v %s, want %v %s", day.Date, name, got.Last, got.LastStatus, e.last.Time, e.last.Status)
			}
			slices.Sort(e.latencies)
			if want := e.latencies[len(e.latencies)-1]; got.MaxMS != want {
				t.Errorf("%s %s: MaxMS = %d, want exactly %d", day.Date, name, got.MaxMS, want)
			}
			for _, p := range []struct {
				q   float64
				got int64
			}{{0.50, got.P50MS}, {0.95, got.P95MS}} {
				want := nearestRank(e.latencies, p.q)
				if tol := float64(want)/100 + 1; math.Abs(float64(p.got-want)) > tol {
					t.Errorf("%s %s: p%.0f = %d, want %d ± %.1f", day.Date, name, p.q*100, p.got, want, tol)
				}
			}
			ratio, ok := got.Uptime()
			if want := float64(e.times.Up+e.times.Degraded) / float64(e.times.Up+e.times.Degraded+e.times.Down); !ok || ratio != want {
				t.Errorf("%s %s: Uptime() = %v, %v, want %v", day.Date, name, ratio, ok, want)
			}
		}
	}
}

func TestUptimeWithoutConclusiveChecks(t *testing.T) {
	d := ServiceDay{Checks: 3, Inconclusive: 3, InconclusiveTimeMS: 120_000}
	if r, ok := d.Uptime(); ok {
		t.Errorf("Uptime() of only inconclusive checks = %v, true, want ok false", r)
	}
}

// rollupFiles returns every rollup file's content by name.
func rollupFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, RollupsDir))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		out[e.Name()] = readFile(t, filepath.Join(dir, RollupsDir, e.Name()))
	}
	return out
}

func manyServices(n int) []string {
	out := []string{"b <c>"}
	for i := 1; i < n; i++ {
		out = append(out, fmt.Sprintf("service %d", i))
	}
	return out
}

func TestRebuildEqualsIncrementalAndKeepsPrunedDays(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	const interval = 30 * time.Second
	for _, cycle := range cycles(at(t, "2026-11-23T12:00:00Z"), 150, 20*time.Minute, manyServices(20)) {
		if err := s.Append(cycle); err != nil {
			t.Fatal(err)
		}
		if err := s.AddToRollups(cycle, interval); err != nil {
			t.Fatal(err)
		}
	}
	incremental := rollupFiles(t, dir)
	if len(incremental) != 3 {
		t.Fatalf("incremental rollups = %d files, want 3", len(incremental))
	}

	// Rebuild from the raw files alone.
	if err := os.RemoveAll(filepath.Join(dir, RollupsDir)); err != nil {
		t.Fatal(err)
	}
	st, err := New(dir).RebuildRollups(interval)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ScanStats{Files: 3, Lines: 3000}); st != want {
		t.Errorf("RebuildRollups() stats = %+v, want %+v", st, want)
	}
	if got := rollupFiles(t, dir); !reflect.DeepEqual(got, incremental) {
		t.Errorf("rebuilt rollups differ from incremental ones:\n%v\nwant\n%v", got, incremental)
	}

	// Prune the first day's raw file and damage nothing else: its rollup survives a rebuild.
	if err := os.Remove(filepath.Join(dir, ChecksDir, "2026-11-23.jsonl")); err != nil {
		t.Fatal(err)
	}
	if _, err := New(dir).RebuildRollups(interval); err != nil {
		t.Fatal(err)
	}
	if got := rollupFiles(t, dir); !reflect.DeepEqual(got, incremental) {
		t.Errorf("after pruning a raw day, rebuilt rollups = %v, want %v", got, incremental)
	}
	days, err := New(dir).Rollups(at(t, "2026-11-23T06:00:00Z"), at(t, "2026-11-25T00:00:00Z"))
	if err != nil || len(days) != 2 || days[0].Date != "2026-11-23" {
		t.Errorf("Rollups() = %d days, %v, want 2026-11-23 and 2026-11-24", len(days), err)
	}
}

func TestRebuildReadsSlowPathLines(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	writeFile(t, s.checkFile(at(t, "2026-11-24T00:00:00Z")),
		`{"time":"2026-11-24T10:00:00Z","service":"a","status":"up","ms":40}`+"\n"+ // no millis: slow path
			`{"time":"2026-11-24T10:01:00.000Z","service":"a","status":"down","code":0,"ms":10,"attempts":1}`+"\n"+
			`{"time":"2026-11-25T10:01:00.000Z","service":"a","status":"down","code":0,"ms":10,"attempts":1}`+"\n"+ // wrong day
			"garbage\n")
	st, err := s.RebuildRollups(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ScanStats{Files: 1, Lines: 4, Skipped: 2}); st != want {
		t.Errorf("RebuildRollups() stats = %+v, want %+v", st, want)
	}
	days, _ := s.Rollups(at(t, "2026-11-24T00:00:00Z"), at(t, "2026-11-25T00:00:00Z"))
	if len(days) != 1 {
		t.Fatalf("Rollups() = %d days, want 1", len(days))
	}
	got := *days[0].Services["a"]
	got.Latency = Histogram{}
	want := ServiceDay{Checks: 2, Up: 1, Down: 1, UpTimeMS: 60_000, P50MS: 40, P95MS: 40, MaxMS: 40,
		First: at(t, "2026-11-24T10:00:00Z"), Last: at(t, "2026-11-24T10:01:00Z"), LastStatus: uptime.Down}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rollup of a = %+v, want %+v", got, want)
	}
}

func TestRollupFileFormat(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	rs := []uptime.Result{
		result(t, "2026-11-24T10:00:00Z", "sefaria.org", uptime.Up, 87),
		result(t, "2026-11-24T10:00:00Z", "Linker", uptime.Down, 10000),
	}
	if err := s.AddToRollups(rs, time.Minute); err != nil {
		t.Fatal(err)
	}
	rs = append(rs, result(t, "2026-11-24T10:01:00.250Z", "Linker", uptime.Down, 10000))
	if err := s.AddToRollups(rs[2:], time.Minute); err != nil {
		t.Fatal(err)
	}
	want := `{"date":"2026-11-24","version":2,"services":{
  "Linker":{"checks":2,"up":0,"degraded":0,"down":2,"inconclusive":0,"up_time_ms":0,"degraded_time_ms":0,"down_time_ms":60250,"inconclusive_time_ms":0,"p50_ms":0,"p95_ms":0,"max_ms":0,"first":"2026-11-24T10:00:00.000Z","last":"2026-11-24T10:01:00.250Z","last_status":"down","latency":[]},
  "sefaria.org":{"checks":1,"up":1,"degraded":0,"down":0,"inconclusive":0,"up_time_ms":0,"degraded_time_ms":0,"down_time_ms":0,"inconclusive_time_ms":0,"p50_ms":87,"p95_ms":87,"max_ms":87,"first":"2026-11-24T10:00:00.000Z","last":"2026-11-24T10:00:00.000Z","last_status":"up","latency":[[87,1]]}
}}
`
	if got := readFile(t, s.rollupFile("2026-11-24")); got != want {
		t.Errorf("rollup file = %s, want %s", got, want)
	}
}

func TestRollupsSkipsCorruptFile(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	if err := s.AddToRollups([]uptime.Result{result(t, "2026-11-24T10:00:00Z", "a", uptime.Up, 1)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	writeFile(t, s.rollupFile("2026-11-25"), "{not json")
	days, err := s.Rollups(at(t, "2026-11-01T00:00:00Z"), at(t, "2026-12-01T00:00:00Z"))
	if err != nil || len(days) != 1 || days[0].Date != "2026-11-24" {
		t.Errorf("Rollups() = %v, %v, want only 2026-11-24", days, err)
	}
	if err := New(dir).AddToRollups([]uptime.Result{result(t, "2026-11-25T10:00:00Z", "a", uptime.Up, 1)}, time.Minute); err == nil {
		t.Errorf("AddToRollups onto a corrupt rollup = nil, want an error naming it")
	}
}

func TestMerge(t *testing.T) {
	var a, b ServiceDay
	a.add(at(t, "2026-11-24T10:00:00Z"), uptime.Up, 100, time.Hour)
	a.add(at(t, "2026-11-24T10:01:00Z"), uptime.Down, 0, time.Hour)
	a.add(at(t, "2026-11-24T10:03:00Z"), uptime.Up, 90, time.Hour)
	b.add(at(t, "2026-11-25T10:00:00Z"), uptime.Degraded, 300, time.Hour)
	b.add(at(t, "2026-11-25T10:00:30Z"), uptime.Inconclusive, 0, time.Hour)
	a.Merge(&b)
	a.Latency = Histogram{}
	if want := (ServiceDay{Checks: 5, Up: 2, Degraded: 1, Down: 1, Inconclusive: 1,
		UpTimeMS: 60_000, DownTimeMS: 120_000, DegradedTimeMS: 30_000,
		First: at(t, "2026-11-24T10:00:00Z"), Last: at(t, "2026-11-25T10:00:30Z"), LastStatus: uptime.Inconclusive,
		P50MS: 100, P95MS: 300, MaxMS: 300}); !reflect.DeepEqual(a, want) {
		t.Errorf("Merge = %+v, want %+v", a, want)
	}
}

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	for _, ts := range []string{"2026-11-21T10:00:00Z", "2026-11-22T10:00:00Z", "2026-11-23T10:00:00Z"} {
		r := []uptime.Result{result(t, ts, "a", uptime.Up, 5)}
		if err := s.Append(r); err != nil {
			t.Fatal(err)
		}
		if ts != "2026-11-21T10:00:00Z" { // the oldest day has no rollup yet
			if err := s.AddToRollups(r, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := at(t, "2026-11-23T12:00:00Z") // keeping no whole past day: the 21st and 22nd go
	keep := Retention{Checks: 0, Incidents: 365}
	want := []string{"2026-11-21.jsonl", "2026-11-22.jsonl"}
	removed := func(rep PruneReport) []string {
		var names []string
		for _, f := range rep.Files {
			names = append(names, filepath.Base(f.Path))
		}
		return names
	}
	rep, err := s.PruneAll(now, keep, time.Minute, true)
	if got := removed(rep); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("PruneAll(dry run) removed %v, %v, want %v", got, err, want)
	}
	if days, _ := s.Days(); len(days) != 3 {
		t.Errorf("dry run removed files: Days() = %v", days)
	}
	rep, err = s.PruneAll(now, keep, time.Minute, false)
	if got := removed(rep); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("PruneAll() removed %v, %v, want %v", got, err, want)
	}
	if days, _ := s.Days(); !reflect.DeepEqual(days, []time.Time{at(t, "2026-11-23T00:00:00Z")}) {
		t.Errorf("after PruneAll, Days() = %v, want only 2026-11-23", days)
	}
	rollups, err := s.Rollups(at(t, "2026-11-01T00:00:00Z"), at(t, "2026-12-01T00:00:00Z"))
	if err != nil || len(rollups) != 3 || rollups[0].Services["a"] == nil || rollups[0].Services["a"].Up != 1 {
		t.Errorf("after PruneAll, Rollups() = %v, %v, want 3 days, the oldest built before pruning", rollups, err)
	}
}
