package history

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// slowDay is what encoding/json alone makes of a rollup file, the reference
// the fast decoder must match.
func slowDay(t *testing.T, data []byte, date string, latency bool) (*Day, error) {
	t.Helper()
	d := &Day{}
	if err := json.Unmarshal(data, d); err != nil {
		return nil, err
	}
	d.Date = date
	if d.Services == nil {
		d.Services = map[string]*ServiceDay{}
	}
	for name, sd := range d.Services {
		if sd == nil {
			delete(d.Services, name)
		} else if !latency {
			sd.Latency = Histogram{}
		}
	}
	d.upgrade()
	return d, nil
}

func TestDecodeDayMatchesEncodingJSON(t *testing.T) {
	const date = "2026-11-24"
	written := func(services ...string) string {
		s := New(t.TempDir())
		for _, cycle := range cycles(at(t, date+"T00:00:00Z"), 200, time.Minute, services) {
			if err := s.AddToRollups(cycle, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		return readFile(t, s.rollupFile(date))
	}
	// line is a service as the previous version wrote it (counts and
	// downtime_s, no version), line2 as this one does (times in ms).
	line := `{"checks":2,"up":1,"degraded":0,"down":1,"inconclusive":0,"downtime_s":60,"p50_ms":40,"p95_ms":41,"max_ms":41,"latency":[[40,1],[41,1]]}`
	line2 := `{"checks":2,"up":1,"degraded":0,"down":1,"inconclusive":0,"up_time_ms":300000,"degraded_time_ms":0,"down_time_ms":0,"inconclusive_time_ms":0,` +
		`"p50_ms":40,"p95_ms":41,"max_ms":41,"first":"2026-11-24T10:00:00.000Z","last":"2026-11-24T10:05:00.000Z","last_status":"down","latency":[[40,1],[41,1]]}`
	tests := []struct {
		name string
		data string
		fast bool // read by the fast decoder, not handed to encoding/json
	}{
		{"as written", written("sefaria.org", "Linker", "ספריא"), true},
		{"escaped name", written(`ספריא "AI"`, "a\tb"), false},
		{"no services", `{"date":"2026-11-24","services":{}}` + "\n", true},
		{"no final newline", `{"date":"2026-11-24","services":{` + "\n  \"a\":" + line + "\n}}", true},
		{"indented by hand", "{\n  \"date\": \"2026-11-24\",\n  \"services\": {\"a\": " + line + "}\n}\n", false},
		{"keys in another order", `{"services":{"a":` + line + `},"date":"2026-11-24"}`, false},
		{"null service", `{"date":"2026-11-24","services":{"a":null}}`, false},
		{"null services", `{"date":"2026-11-24","services":null}`, false},
		{"repeated service", `{"date":"2026-11-24","services":{` + "\n  \"a\":" + line + ",\n  \"a\":" + strings.Replace(line, `"checks":2`, `"checks":3`, 1) + "\n}}\n", false},
		{"repeated bound", `{"date":"2026-11-24","services":{` + "\n  \"a\":" + strings.Replace(line, `[41,1]`, `[40,1]`, 1) + "\n}}\n", true},
		{"other date inside", `{"date":"1999-01-01","services":{}}`, true},
		{"version 2 by hand", `{"date":"2026-11-24","version":2,"services":{` + "\n  \"a\":" + line2 + "\n}}\n", true},
		{"version 2, a time without milliseconds", `{"date":"2026-11-24","version":2,"services":{` + "\n  \"a\":" +
			strings.Replace(line2, `10:05:00.000Z`, `10:05:00Z`, 1) + "\n}}\n", false},
		{"version 2, an unknown last status", `{"date":"2026-11-24","version":2,"services":{` + "\n  \"a\":" +
			strings.Replace(line2, `"last_status":"down"`, `"last_status":"sideways"`, 1) + "\n}}\n", true},
	}
	for _, tt := range tests {
		for _, latency := range []bool{true, false} {
			want, err := slowDay(t, []byte(tt.data), date, latency)
			if err != nil {
				t.Fatalf("%s: encoding/json: %v", tt.name, err)
			}
			fast := &Day{Date: date, Services: map[string]*ServiceDay{}}
			if got := decodeDayFast([]byte(tt.data), fast, latency); got != tt.fast {
				t.Errorf("%s: decodeDayFast(latency %v) = %v, want %v", tt.name, latency, got, tt.fast)
			}
			got, err := decodeDay([]byte(tt.data), date, latency)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: decodeDay(latency %v) = %+v, %v, want %+v", tt.name, latency, got, err, want)
			}
		}
	}
}

func TestDecodeDayRefusesWhatEncodingJSONRefuses(t *testing.T) {
	good := `{"checks":1,"up":1,"degraded":0,"down":0,"inconclusive":0,"downtime_s":0,"p50_ms":5,"p95_ms":5,"max_ms":5,"latency":[[5,1]]}`
	for _, bad := range []string{
		"",
		"{not json",
		`{"date":"2026-11-24","services":{` + "\n  \"a\":" + good + "\n}}\nx",
		`{"date":"2026-11-24","services":{` + "\n  \"a\":" + good, // torn
		`{"date":"2026-11-24","services":{` + "\n  \"a\":" + strings.Replace(good, "[[5,1]]", "[[-1,1]]", 1) + "\n}}\n",
		`{"date":"2026-11-24","services":{` + "\n  \"a\":" + strings.Replace(good, "[[5,1]]", "[[5,-1]]", 1) + "\n}}\n",
		`{"date":"2026-11-24","services":{` + "\n  \"a\":" + strings.Replace(good, "[[5,1]]", "[[2199023255553,1]]", 1) + "\n}}\n",
		`{"date":"2026-11-24","services":{` + "\n  \"a\":" + strings.Replace(good, "[[5,1]]", "{}", 1) + "\n}}\n",
		`{"date":"2026-11-24","services":{` + "\n  \"a\":" + strings.Replace(good, `"up":1`, `"up":"1"`, 1) + "\n}}\n",
	} {
		for _, latency := range []bool{true, false} {
			if d, err := decodeDay([]byte(bad), "2026-11-24", latency); err == nil {
				t.Errorf("decodeDay(%q, latency %v) = %+v, nil, want an error", bad, latency, d)
			}
		}
	}
}

func TestRollupSummary(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	for _, cycle := range cycles(at(t, "2026-11-24T00:00:00Z"), 50, time.Minute, []string{"a", "b"}) {
		if err := s.AddToRollups(cycle, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	full, err := s.Rollups(at(t, "2026-11-24T00:00:00Z"), at(t, "2026-11-25T00:00:00Z"))
	if err != nil || len(full) != 1 {
		t.Fatalf("Rollups() = %v, %v, want one day", full, err)
	}
	got, err := s.RollupSummary(at(t, "2026-11-24T13:00:00Z"))
	if err != nil {
		t.Fatalf("RollupSummary() error %v", err)
	}
	want := full[0]
	for _, sd := range want.Services {
		if sd.Latency.Count() == 0 {
			t.Fatalf("Rollups() has an empty histogram; the test needs latencies")
		}
		sd.Latency = Histogram{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RollupSummary() = %+v, want %+v", got, want)
	}

	if _, err := s.RollupSummary(at(t, "2026-11-23T00:00:00Z")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RollupSummary(missing day) = %v, want fs.ErrNotExist", err)
	}
	writeFile(t, s.rollupFile("2026-11-25"), "{not json")
	if _, err := s.RollupSummary(at(t, "2026-11-25T00:00:00Z")); err == nil || !strings.Contains(err.Error(), "2026-11-25.json") {
		t.Errorf("RollupSummary(corrupt day) = %v, want an error naming the file", err)
	}
}

func TestScanDayResumes(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	day := at(t, "2026-11-24T00:00:00Z")
	services := func(rs []uptime.Result) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Service+"@"+r.Time.Format("15:04"))
		}
		return out
	}
	scan := func(from int64) (int64, []string) {
		t.Helper()
		var got []uptime.Result
		next, _, err := s.ScanDay(day, from, func(r uptime.Result) error {
			got = append(got, r)
			return nil
		})
		if err != nil {
			t.Fatalf("ScanDay(%d) error %v", from, err)
		}
		return next, services(got)
	}

	if next, got := scan(7); next != 7 || got != nil {
		t.Errorf("ScanDay(missing file, 7) = %d, %v, want 7 and nothing", next, got)
	}
	first := []uptime.Result{result(t, "2026-11-24T10:00:00Z", "a", uptime.Up, 5), result(t, "2026-11-24T10:00:00Z", "b", uptime.Down, 5)}
	if err := s.Append(first); err != nil {
		t.Fatal(err)
	}
	size := int64(len(readFile(t, s.checkFile(day))))
	next, got := scan(0)
	if want := []string{"a@10:00", "b@10:00"}; next != size || !slices.Equal(got, want) {
		t.Errorf("ScanDay(0) = %d, %v, want %d, %v", next, got, size, want)
	}

	// A crash tears a line, and a hand edit adds garbage: neither is a result.
	f, err := os.OpenFile(s.checkFile(day), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("garbage\n" + strings.Repeat("x", maxLine+10) + "\n" + `{"time":"2026-11-24T10:01:00.000Z","serv`)
	f.Close()
	torn := next + int64(len("garbage\n")+maxLine+11)
	if next, got = scan(next); next != torn || got != nil {
		t.Errorf("ScanDay past garbage and a torn line = %d, %v, want %d and nothing", next, got, torn)
	}
	// The next Append cuts the torn line off and adds whole ones.
	if err := New(dir).Append([]uptime.Result{result(t, "2026-11-24T10:02:00Z", "a", uptime.Up, 6)}); err != nil {
		t.Fatal(err)
	}
	size = int64(len(readFile(t, s.checkFile(day))))
	if next, got = scan(next); next != size || !slices.Equal(got, []string{"a@10:02"}) {
		t.Errorf("ScanDay after an Append = %d, %v, want %d, [a@10:02]", next, got, size)
	}
}

// ScanDay sets the single locations' checks aside; ScanDayAll gives them
// beside the verdicts, in file order, from the same offsets.
func TestScanDayAllKeepsLocatedChecks(t *testing.T) {
	s := New(t.TempDir())
	day := at(t, "2026-11-24T00:00:00Z")
	check := result(t, "2026-11-24T10:00:00Z", "a", uptime.Down, 5)
	check.Location = "eu-west"
	verdict := result(t, "2026-11-24T10:00:01Z", "a", uptime.Up, 5)
	verdict.Note = "Down from 1 of 3 locations: eu-west"
	if err := s.Append([]uptime.Result{check, verdict}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		scan func(time.Time, int64, func(uptime.Result) error) (int64, ScanStats, error)
		want []string
	}{
		{"ScanDay", s.ScanDay, []string{"@10:00:01 Down from 1 of 3 locations: eu-west"}},
		{"ScanDayAll", s.ScanDayAll, []string{"eu-west@10:00:00 ", "@10:00:01 Down from 1 of 3 locations: eu-west"}},
	} {
		var got []string
		next, _, err := tc.scan(day, 0, func(r uptime.Result) error {
			got = append(got, r.Location+"@"+r.Time.Format("15:04:05")+" "+r.Note)
			return nil
		})
		if err != nil || next != int64(len(readFile(t, s.checkFile(day)))) || !slices.Equal(got, tc.want) {
			t.Errorf("%s = %d, %q, %v; want the whole file and %q", tc.name, next, got, err, tc.want)
		}
	}
}
