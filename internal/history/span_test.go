package history

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

func TestSpanCap(t *testing.T) {
	for _, tc := range []struct{ cadence, want time.Duration }{
		{300 * time.Second, 10 * time.Minute},
		{60 * time.Second, 2 * time.Minute},
		{10 * time.Second, 20 * time.Second},
		{0, 2 * time.Minute},
	} {
		if got := SpanCap(tc.cadence); got != tc.want {
			t.Errorf("SpanCap(%v) = %v, want %v", tc.cadence, got, tc.want)
		}
	}
}

type piece struct {
	day  string
	span time.Duration
}

func TestCarry(t *testing.T) {
	const limit = 10 * time.Minute // a 300 s cadence
	for _, tc := range []struct {
		name            string
		last, next, now string // next "": none yet
		want            []piece
	}{
		{"next check on time", "2026-11-24T10:00:00Z", "2026-11-24T10:05:00Z", "2026-11-24T12:00:00Z",
			[]piece{{"2026-11-24", 5 * time.Minute}}},
		{"next check late, within the cap", "2026-11-24T10:00:00Z", "2026-11-24T10:08:30.5Z", "2026-11-24T12:00:00Z",
			[]piece{{"2026-11-24", 8*time.Minute + 30*time.Second + 500*time.Millisecond}}},
		{"an hour's gap: capped, the rest no data", "2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z", "2026-11-24T12:00:00Z",
			[]piece{{"2026-11-24", limit}}},
		{"across midnight", "2026-11-24T23:57:00Z", "2026-11-25T00:02:00Z", "2026-11-25T01:00:00Z",
			[]piece{{"2026-11-24", 3 * time.Minute}, {"2026-11-25", 2 * time.Minute}}},
		{"across midnight, capped", "2026-11-24T23:55:00Z", "2026-11-25T03:00:00Z", "2026-11-25T04:00:00Z",
			[]piece{{"2026-11-24", 5 * time.Minute}, {"2026-11-25", 5 * time.Minute}}},
		{"newest check: until now", "2026-11-24T10:00:00Z", "", "2026-11-24T10:03:00Z",
			[]piece{{"2026-11-24", 3 * time.Minute}}},
		{"newest check: until the cap", "2026-11-24T10:00:00Z", "", "2026-11-24T18:00:00Z",
			[]piece{{"2026-11-24", limit}}},
		{"newest check, now after midnight", "2026-11-24T23:58:00Z", "", "2026-11-25T00:01:00Z",
			[]piece{{"2026-11-24", 2 * time.Minute}, {"2026-11-25", time.Minute}}},
		{"a clock behind the check", "2026-11-24T10:00:00Z", "", "2026-11-24T09:00:00Z", nil},
		{"next check before it", "2026-11-24T10:00:00Z", "2026-11-24T09:59:00Z", "2026-11-24T12:00:00Z", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var next time.Time
			if tc.next != "" {
				next = at(t, tc.next)
			}
			var got []piece
			Carry(at(t, tc.last), next, at(t, tc.now), limit, func(day time.Time, span time.Duration) {
				got = append(got, piece{day.Format(dateLayout), span})
			})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Carry = %v, want %v", got, tc.want)
			}
		})
	}
}

// checksAt folds one service's checks at the given times and statuses
// into s, as a runner at that cadence would, and appends them to the raw
// files too.
func checksAt(t *testing.T, s *Store, cadence time.Duration, checks ...string) {
	t.Helper()
	for _, c := range checks {
		when, status, _ := strings.Cut(c, " ")
		r := []uptime.Result{result(t, when, "web", uptime.Status(status), 80)}
		if err := s.Append(r); err != nil {
			t.Fatal(err)
		}
		if err := s.AddToRollups(r, cadence); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTimesAtAFiveMinuteCadence is the scheduled runner's case: checks
// every 300 s, a service down for three of them is down for 15 minutes
// (not three), an hour without checks is no data, and the spans that
// cross midnight are split between the days.
func TestTimesAtAFiveMinuteCadence(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	const cadence = 300 * time.Second
	checksAt(t, s, cadence,
		"2026-11-24T10:00:00Z up",
		"2026-11-24T10:05:00Z down",
		"2026-11-24T10:10:00Z down",
		"2026-11-24T10:15:00Z down",
		"2026-11-24T10:20:00Z up",
		"2026-11-24T10:25:00Z up",
		// An hour with no checks (the scheduler skipped them): 10 minutes
		// of up from 10:25, then no data until 11:25.
		"2026-11-24T11:25:00Z up",
		"2026-11-24T23:57:00Z down", // 12½ hours of no data before it
		"2026-11-25T00:02:00Z down",
		"2026-11-25T00:07:00Z up",
	)
	now := at(t, "2026-11-25T00:09:00Z")
	days, err := s.Rollups(at(t, "2026-11-24T00:00:00Z"), at(t, "2026-11-26T00:00:00Z"))
	if err != nil || len(days) != 2 {
		t.Fatalf("Rollups() = %d days, %v, want 2", len(days), err)
	}
	got := ServiceTimes(nil, summaries(days, "web"), now, SpanCap(cadence))
	want := []Times{
		{Up: 5*time.Minute + 5*time.Minute + 10*time.Minute + 10*time.Minute, Down: 15*time.Minute + 3*time.Minute},
		{Down: 2*time.Minute + 5*time.Minute, Up: 2 * time.Minute},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ServiceTimes = %+v, want %+v", got, want)
	}
	if ratio, _ := got[0].Uptime(); ratio != 30.0/48 {
		t.Errorf("uptime on the 24th = %v, want 30 of 48 minutes", ratio)
	}
	if gap := 24*time.Hour - got[0].Covered(); gap != 24*time.Hour-48*time.Minute {
		t.Errorf("no data on the 24th = %v, want all but the 48 checked minutes", gap)
	}

	// The rollups alone hold the spans between each day's checks; the
	// reader adds the last one's.
	if d := days[0].Services["web"].Times(); d.Down != 15*time.Minute || d.Up != 30*time.Minute {
		t.Errorf("rollup of the 24th = %+v, want 15 min down and 30 min up between its checks", d)
	}
	// Rebuilt from the raw files, each day is the same.
	before := rollupFiles(t, dir)
	if err := os.RemoveAll(dir + "/" + RollupsDir); err != nil {
		t.Fatal(err)
	}
	if _, err := New(dir).RebuildRollups(cadence); err != nil {
		t.Fatal(err)
	}
	if after := rollupFiles(t, dir); !reflect.DeepEqual(after, before) {
		t.Errorf("rebuilt rollups differ:\n%v\nwant\n%v", after, before)
	}
}

// TestTimesAtAMinuteCadence: checks every 60 s measure what counting
// checks × interval did.
func TestTimesAtAMinuteCadence(t *testing.T) {
	s := New(t.TempDir())
	var checks []string
	start := at(t, "2026-11-24T10:00:00Z")
	for i := range 10 {
		status := "up"
		if i >= 4 && i < 7 {
			status = "down"
		}
		checks = append(checks, start.Add(time.Duration(i)*time.Minute).Format(time.RFC3339)+" "+status)
	}
	checksAt(t, s, time.Minute, checks...)
	days, _ := s.Rollups(start, start.Add(time.Hour))
	got := ServiceTimes(nil, summaries(days, "web"), start.Add(10*time.Minute), SpanCap(time.Minute))
	if want := (Times{Up: 7 * time.Minute, Down: 3 * time.Minute}); len(got) != 1 || got[0] != want {
		t.Errorf("ServiceTimes = %+v, want %+v", got, want)
	}
}

// TestServiceTimesAcrossDaysWithoutChecks: a day estimated from counts
// carries nothing; the last check of a day stands into the next day the
// service was checked, until that day's first check; a day without the
// service (others were checked) gets nothing of it.
func TestServiceTimesAcrossDaysWithoutChecks(t *testing.T) {
	day := func(date string, sd *ServiceDay) Day {
		return Day{Date: date, Version: RollupVersion, Services: map[string]*ServiceDay{"web": sd}}
	}
	last := &ServiceDay{Checks: 1, Up: 1, First: at(t, "2026-11-24T23:58:00Z"), Last: at(t, "2026-11-24T23:58:00Z"), LastStatus: uptime.Down}
	next := &ServiceDay{Checks: 1, Up: 1, First: at(t, "2026-11-25T00:05:00Z"), Last: at(t, "2026-11-25T00:05:00Z"), LastStatus: uptime.Up}
	other := Day{Date: "2026-11-26", Version: RollupVersion, Services: map[string]*ServiceDay{"other": {Checks: 1}}}
	days := []Day{
		{Date: "2026-11-23", Services: map[string]*ServiceDay{"web": {Checks: 10, Up: 9, Down: 1, legacyDowntimeSec: 60}}}, // no version: estimated
		day("2026-11-24", last),
		day("2026-11-25", next),
		other,
	}
	for _, d := range days {
		d.upgrade()
	}
	got := ServiceTimes(nil, summaries(days, "web"), at(t, "2026-11-26T12:00:00Z"), 10*time.Minute)
	want := []Times{{Up: 9 * time.Minute, Down: time.Minute}, {Down: 2 * time.Minute}, {Down: 5 * time.Minute, Up: 10 * time.Minute}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ServiceTimes = %+v, want %+v", got, want)
	}
}

// TestRebuildStaleRollups: after an upgrade, the days whose raw file is
// still there are measured again; an old day without one is read with
// the estimates its version made; a current one is left alone.
func TestRebuildStaleRollups(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	// A day the previous version rolled up (downtime = 1 check × 60 s)
	// from checks that really came every 5 minutes.
	raw := []uptime.Result{
		result(t, "2026-11-23T10:00:00Z", "web", uptime.Down, 0),
		result(t, "2026-11-23T10:05:00Z", "web", uptime.Up, 50),
	}
	if err := s.Append(raw); err != nil {
		t.Fatal(err)
	}
	writeFile(t, s.rollupFile("2026-11-23"), `{"date":"2026-11-23","services":{`+"\n"+
		`  "web":{"checks":2,"up":1,"degraded":0,"down":1,"inconclusive":0,"downtime_s":60,"p50_ms":50,"p95_ms":50,"max_ms":50,"latency":[[50,1]]}`+"\n}}\n")
	// An older day whose raw file is pruned.
	old := `{"date":"2026-11-01","services":{` + "\n" +
		`  "web":{"checks":4,"up":3,"degraded":0,"down":1,"inconclusive":0,"downtime_s":60,"p50_ms":50,"p95_ms":50,"max_ms":50,"latency":[[50,3]]}` + "\n}}\n"
	writeFile(t, s.rollupFile("2026-11-01"), old)
	// Today, current.
	checksAt(t, s, 300*time.Second, "2026-11-24T10:00:00Z up", "2026-11-24T10:05:00Z up")
	today := readFile(t, s.rollupFile("2026-11-24"))

	rebuilt, err := New(dir).RebuildStaleRollups(300 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Time{at(t, "2026-11-23T00:00:00Z")}; !reflect.DeepEqual(rebuilt, want) {
		t.Errorf("RebuildStaleRollups rebuilt %v, want %v", rebuilt, want)
	}
	if again, err := New(dir).RebuildStaleRollups(300 * time.Second); err != nil || len(again) != 0 {
		t.Errorf("a second RebuildStaleRollups rebuilt %v, %v, want nothing", again, err)
	}
	if got := readFile(t, s.rollupFile("2026-11-01")); got != old {
		t.Errorf("the rollup of a pruned day was rewritten:\n%s", got)
	}
	if got := readFile(t, s.rollupFile("2026-11-24")); got != today {
		t.Errorf("a current rollup was rewritten:\n%s\nwant\n%s", got, today)
	}
	days, err := New(dir).Rollups(at(t, "2026-11-01T00:00:00Z"), at(t, "2026-11-25T00:00:00Z"))
	if err != nil || len(days) != 3 {
		t.Fatalf("Rollups() = %d days, %v, want 3", len(days), err)
	}
	if d := days[0]; d.Timed() || d.Services["web"].Times() != (Times{Up: 3 * time.Minute, Down: time.Minute}) {
		t.Errorf("old day = timed %v, %+v, want the estimate of 3 up checks and 1 down, a minute each", d.Timed(), d.Services["web"].Times())
	}
	if d := days[1]; !d.Timed() || d.Services["web"].Times() != (Times{Down: 5 * time.Minute}) {
		t.Errorf("rebuilt day = timed %v, %+v, want 5 measured minutes down", d.Timed(), d.Services["web"].Times())
	}
}
