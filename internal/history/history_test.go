package history

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/Sefaria/statusgen/internal/uptime"
)

func TestAppendReadRoundTrip(t *testing.T) {
	tests := []struct {
		name, service, detail string
		wantDetail            string // "" means the same as detail
	}{
		{name: "plain", service: "sefaria.org", detail: "HTTP 503"},
		{name: "quotes", service: `the "main" site`, detail: `body lacks "allReady": true`},
		{name: "backslash", service: `C:\path`, detail: `a\b\\c\"`},
		{name: "hebrew", service: "ספריא", detail: "שגיאה: בראשית 1:1"},
		{name: "markup", service: "</script><b>&amp;", detail: "<script>alert(1)</script>"},
		{name: "control characters", service: "tab\there", detail: "a\x00b\x1fc\nd\re\u007f"},
		{name: "line separators", service: "x\u2028y", detail: "p\u2029q"},
		{name: "invalid utf-8", service: "bad\xffname", detail: "\xc3\x28", wantDetail: "\ufffd("},
		{name: "emoji and long", service: "🙂", detail: strings.Repeat("é", 200)},
	}
	dir := t.TempDir()
	s := New(dir)
	base := at(t, "2026-11-24T10:15:00.123Z")
	var in []uptime.Result
	for i, tt := range tests {
		in = append(in, uptime.Result{
			Time: base.Add(time.Duration(i) * time.Second), Service: tt.service, Status: uptime.Down,
			Code: 503, MS: int64(1000 + i), Attempts: 3, Error: uptime.ErrStatus, Detail: tt.detail, Polls: i,
		})
	}
	if err := s.Append(in); err != nil {
		t.Fatalf("Append: %v", err)
	}
	got, st, err := s.Read(base, base.Add(time.Hour))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if st.Skipped != 0 || st.Lines != len(tests) || st.Files != 1 {
		t.Errorf("Read stats = %+v, want %d lines, 1 file, none skipped", st, len(tests))
	}
	if len(got) != len(tests) {
		t.Fatalf("Read returned %d results, want %d", len(got), len(tests))
	}
	raw := strings.Split(strings.TrimSuffix(readFile(t, s.checkFile(base)), "\n"), "\n")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := in[i]
			if !utf8.ValidString(want.Service) {
				want.Service = strings.ToValidUTF8(want.Service, "\ufffd")
			}
			if tt.wantDetail != "" {
				want.Detail = tt.wantDetail
			}
			if !reflect.DeepEqual(got[i], want) {
				t.Errorf("Read()[%d] = %+v, want %+v", i, got[i], want)
			}
			if !utf8.ValidString(raw[i]) || strings.ContainsAny(raw[i], "\r\u2028\u2029") {
				t.Errorf("line %q is not one line of valid UTF-8", raw[i])
			}
			var viaJSON uptime.Result
			if err := json.Unmarshal([]byte(raw[i]), &viaJSON); err != nil || !reflect.DeepEqual(viaJSON, got[i]) {
				t.Errorf("json.Unmarshal(%s) = %+v, %v, want %+v", raw[i], viaJSON, err, got[i])
			}
		})
	}
}

func TestAppendLineFormat(t *testing.T) {
	r := uptime.Result{Time: at(t, "2026-11-24T10:15:00.1239Z"), Service: "Linker", Status: uptime.Down,
		Code: 500, MS: 42, Attempts: 3, Error: uptime.ErrTaskFailed, Detail: "state FAILURE", Polls: 2}
	want := `{"time":"2026-11-24T10:15:00.123Z","service":"Linker","status":"down","code":500,"ms":42,"attempts":3,"error":"task_failed","detail":"state FAILURE","polls":2}` + "\n"
	if got := line(r); got != want {
		t.Errorf("line(%+v) = %s, want %s", r, got, want)
	}
	up := uptime.Result{Time: at(t, "2026-01-02T03:04:05Z"), Service: "a", Status: uptime.Up, Code: 200, MS: 7, Attempts: 1}
	want = `{"time":"2026-01-02T03:04:05.000Z","service":"a","status":"up","code":200,"ms":7,"attempts":1}` + "\n"
	if got := line(up); got != want {
		t.Errorf("line(%+v) = %s, want %s", up, got, want)
	}
}

func TestAppendRefusesInvalidResults(t *testing.T) {
	good := result(t, "2026-11-24T10:00:00Z", "a", uptime.Up, 5)
	tests := []struct {
		name string
		edit func(*uptime.Result)
	}{
		{"no service", func(r *uptime.Result) { r.Service = "" }},
		{"unknown status", func(r *uptime.Result) { r.Status = "sideways" }},
		{"zero time", func(r *uptime.Result) { r.Time = time.Time{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bad := good
			tt.edit(&bad)
			if err := New(dir).Append([]uptime.Result{good, bad}); err == nil {
				t.Fatalf("Append(%+v) = nil, want an error", bad)
			}
			if _, err := os.Stat(filepath.Join(dir, ChecksDir)); !os.IsNotExist(err) {
				t.Errorf("Append wrote something before refusing: stat = %v", err)
			}
		})
	}
}

func TestAppendStraddlingMidnight(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	before := result(t, "2026-11-24T23:59:59.999Z", "a", uptime.Up, 10)
	after := result(t, "2026-11-25T00:00:00.000Z", "b", uptime.Up, 20)
	// A local time zone must not move a result to another UTC day.
	local := result(t, "2026-11-25T00:00:00.500Z", "c", uptime.Up, 30)
	local.Time = local.Time.In(time.FixedZone("IST", 2*3600))
	if err := s.Append([]uptime.Result{before, after, local}); err != nil {
		t.Fatal(err)
	}
	local.Time = local.Time.UTC()
	files := map[string]string{
		"2026-11-24.jsonl": line(before),
		"2026-11-25.jsonl": line(after) + line(local),
	}
	for name, want := range files {
		if got := readFile(t, filepath.Join(dir, ChecksDir, name)); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	days, err := s.Days()
	want := []time.Time{at(t, "2026-11-24T00:00:00Z"), at(t, "2026-11-25T00:00:00Z")}
	if err != nil || !reflect.DeepEqual(days, want) {
		t.Errorf("Days() = %v, %v, want %v", days, err, want)
	}
}

func TestAppendRepairsTornLastLine(t *testing.T) {
	first := line(result(t, "2026-11-24T10:00:00Z", "a", uptime.Up, 10))
	second := line(result(t, "2026-11-24T10:01:00Z", "a", uptime.Down, 20))
	next := result(t, "2026-11-24T10:02:00Z", "a", uptime.Up, 30)
	tests := []struct {
		name, content, want string
	}{
		{"intact", first + second, first + second + line(next)},
		{"torn last line", first + second[:37], first + line(next)},
		{"torn just before the newline", first + strings.TrimSuffix(second, "\n"), first + line(next)},
		{"only a torn line", second[:10], line(next)},
		{"torn line longer than the read chunk", first + strings.Repeat("x", 200<<10), first + line(next)},
		{"empty file", "", line(next)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := New(dir)
			path := s.checkFile(next.Time)
			writeFile(t, path, tt.content)
			if err := s.Append([]uptime.Result{next}); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != tt.want {
				t.Errorf("after Append, file = %q, want %q", got, tt.want)
			}
			// Later appends by the same Store do not need to check again.
			if err := s.Append([]uptime.Result{next}); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != tt.want+line(next) {
				t.Errorf("after a second Append, file = %q, want %q", got, tt.want+line(next))
			}
		})
	}
}

func TestReadSkipsBadLines(t *testing.T) {
	good1 := result(t, "2026-11-24T10:00:00Z", "a", uptime.Up, 10)
	good2 := result(t, "2026-11-24T10:01:00Z", "b", uptime.Down, 20)
	longGood := result(t, "2026-11-24T10:02:00Z", "c", uptime.Up, 30)
	longGood.Detail = strings.Repeat("long detail ", 20000) // ~240 KiB: beyond bufio.Scanner's 64 KiB
	// A hand-edited line: other key order and spacing, read by the slow path.
	handEdited := `{ "service": "d", "status": "degraded", "time": "2026-11-24T12:01:00+02:00", "ms": 5 }` + "\n"
	wantHand := uptime.Result{Time: at(t, "2026-11-24T10:01:00Z"), Service: "d", Status: uptime.Degraded, MS: 5}
	bad := []string{
		"\n",
		"   \n",
		"not json at all\n",
		`{"time":"2026-11-24T10:00:00.000Z","service":"a","status":"sideways","code":200,"ms":1,"attempts":1}` + "\n",
		`{"time":"2026-11-24T10:00:00.000Z","status":"up","code":200,"ms":1,"attempts":1}` + "\n",
		`{"service":"a","status":"up","code":200,"ms":1,"attempts":1}` + "\n",
		`{"time":"2026-11-31T10:00:00.000Z","service":"a","status":"up","code":200,"ms":1,"attempts":1}` + "\n",
		`{"time":"2026-11-24T10:00:00.000Z","service":"a","status":"up","code":"200","ms":1,"attempts":1}` + "\n",
		"[1,2,3]\n",
		"null\n",
		`{"time":"2026-11-24T10:00:00.000Z","service":"` + strings.Repeat("g", 1<<20) + `","status":"up"}` + "\n",
		`{"time":"2026-11-24T10:00:00.000Z","service":"a","st`, // torn last line
	}
	content := line(good1) + bad[0] + bad[1] + bad[2] + line(longGood) + bad[3] + bad[4] + bad[5] +
		bad[6] + bad[7] + handEdited + bad[8] + bad[9] + bad[10] + line(good2) + bad[11]
	dir := t.TempDir()
	s := New(dir)
	writeFile(t, s.checkFile(good1.Time), content)

	got, st, err := s.Read(at(t, "2026-11-24T00:00:00Z"), at(t, "2026-11-25T00:00:00Z"))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	want := []uptime.Result{good1, longGood, wantHand, good2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Read() returned %d results, want %d (%v)", len(got), len(want), summarize(got))
	}
	wantStats := ScanStats{Files: 1, Lines: len(want) + len(bad), Skipped: len(bad)}
	if st != wantStats {
		t.Errorf("Read() stats = %+v, want %+v", st, wantStats)
	}
}

func summarize(rs []uptime.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Time.Format(time.RFC3339)+" "+r.Service)
	}
	return out
}

func TestScanRange(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	var all []uptime.Result
	for _, ts := range []string{
		"2026-11-23T12:00:00Z", "2026-11-23T23:59:59.999Z",
		"2026-11-24T00:00:00Z", "2026-11-24T11:59:59.999Z", "2026-11-24T12:00:00Z", "2026-11-24T18:00:00Z",
		"2026-11-25T00:00:00Z",
	} {
		all = append(all, result(t, ts, "a", uptime.Up, 1))
	}
	if err := s.Append(all); err != nil {
		t.Fatal(err)
	}
	// Garbage in the outer days shows in the stats if their files are opened.
	for _, name := range []string{"2026-11-23.jsonl", "2026-11-25.jsonl"} {
		f, err := os.OpenFile(filepath.Join(dir, ChecksDir, name), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("garbage\n")
		f.Close()
	}
	tests := []struct {
		name     string
		from, to string
		want     []int // indexes into all
		files    int
		skipped  int // garbage lines of the outer days' files
	}{
		{"one day, half", "2026-11-24T12:00:00Z", "2026-11-24T18:00:00Z", []int{4}, 1, 0},
		{"one whole day", "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z", []int{2, 3, 4, 5}, 1, 0},
		{"across midnight", "2026-11-23T23:00:00Z", "2026-11-24T01:00:00Z", []int{1, 2}, 2, 1},
		{"everything", "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", []int{0, 1, 2, 3, 4, 5, 6}, 3, 2},
		{"empty range", "2026-11-24T12:00:00Z", "2026-11-24T12:00:00Z", nil, 0, 0},
		{"reversed range", "2026-11-25T12:00:00Z", "2026-11-23T12:00:00Z", nil, 0, 0},
		{"no files", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st, err := s.Read(at(t, tt.from), at(t, tt.to))
			if err != nil {
				t.Fatal(err)
			}
			var want []uptime.Result
			for _, i := range tt.want {
				want = append(want, all[i])
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Read(%s, %s) = %v, want %v", tt.from, tt.to, summarize(got), summarize(want))
			}
			if st.Files != tt.files {
				t.Errorf("Read(%s, %s) opened %d files, want %d", tt.from, tt.to, st.Files, tt.files)
			}
			if st.Skipped != tt.skipped {
				t.Errorf("Read(%s, %s) skipped %d lines, want %d", tt.from, tt.to, st.Skipped, tt.skipped)
			}
		})
	}
}

func TestScanStopsOnCallbackError(t *testing.T) {
	s := New(t.TempDir())
	rs := []uptime.Result{result(t, "2026-11-24T10:00:00Z", "a", uptime.Up, 1), result(t, "2026-11-24T10:01:00Z", "a", uptime.Up, 1)}
	if err := s.Append(rs); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	calls := 0
	_, err := s.Scan(rs[0].Time, rs[1].Time.Add(time.Hour), func(uptime.Result) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Scan with a failing callback = %v after %d calls, want %v after 1", err, calls, stop)
	}
}

func TestNonDateFilesIgnored(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	r := result(t, "2026-11-24T10:00:00Z", "a", uptime.Up, 1)
	if err := s.Append([]uptime.Result{r}); err != nil {
		t.Fatal(err)
	}
	junk := line(result(t, "2026-11-24T11:00:00Z", "junk", uptime.Up, 1))
	for _, name := range []string{"README.md", "2026-11-24.jsonl.bak", "2026-13-01.jsonl", "2026-1-2.jsonl",
		".2026-11-25.jsonl.tmp", "2026-11-24.json", "x2026-11-26.jsonl"} {
		writeFile(t, filepath.Join(dir, ChecksDir, name), junk)
	}
	if err := os.MkdirAll(filepath.Join(dir, ChecksDir, "2026-11-27.jsonl"), 0o755); err != nil {
		t.Fatal(err)
	}
	days, err := s.Days()
	if want := []time.Time{at(t, "2026-11-24T00:00:00Z")}; err != nil || !reflect.DeepEqual(days, want) {
		t.Errorf("Days() = %v, %v, want %v", days, err, want)
	}
	got, st, err := s.Read(at(t, "2026-01-01T00:00:00Z"), at(t, "2027-01-01T00:00:00Z"))
	if err != nil || !reflect.DeepEqual(got, []uptime.Result{r}) || st.Files != 1 {
		t.Errorf("Read() = %v, %+v, %v, want only %v from 1 file", summarize(got), st, err, summarize([]uptime.Result{r}))
	}
}

func TestReadMissingFolder(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "nothing-yet"))
	got, st, err := s.Read(at(t, "2026-01-01T00:00:00Z"), at(t, "2027-01-01T00:00:00Z"))
	if err != nil || len(got) != 0 || st != (ScanStats{}) {
		t.Errorf("Read() on a missing folder = %v, %+v, %v, want nothing and no error", got, st, err)
	}
}

// A cycle larger than one write batch, with a line larger than a batch,
// comes back whole and in order.
func TestAppendLargeCycle(t *testing.T) {
	s := New(t.TempDir())
	when := at(t, "2026-11-24T10:00:00Z")
	in := benchResults(5000, when)
	in[2500].Detail = strings.Repeat("d", 100<<10)
	if err := s.Append(in); err != nil {
		t.Fatal(err)
	}
	got, st, err := s.Read(when, when.Add(time.Second))
	if err != nil || st.Skipped != 0 || !reflect.DeepEqual(got, in) {
		t.Errorf("Read() after a 5000-line Append = %d results, %+v, %v, want the %d appended", len(got), st, err, len(in))
	}
}
