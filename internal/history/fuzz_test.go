package history

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// FuzzScan feeds arbitrary bytes as a day file of checks. Whatever they
// are, Scan does not panic or fail; every line is either delivered as a
// valid result or counted as skipped; the fast decoder never disagrees
// with encoding/json on a line it accepts; and the next Append cuts off a
// torn tail, so a later Scan delivers the same results plus the new one.
func FuzzScan(f *testing.F) {
	day := "2026-03-01"
	good := line(uptime.Result{Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Service: "web", Status: uptime.Up, Code: 200, MS: 12, Attempts: 1})
	down := line(uptime.Result{Time: time.Date(2026, 3, 1, 10, 1, 0, 0, time.UTC), Service: "Linker", Status: uptime.Down,
		Code: 500, MS: 3000, Attempts: 3, Error: uptime.ErrTaskFailed, Detail: `task "x" failed: <script> é`, Polls: 2})
	f.Add([]byte(good + down))
	f.Add([]byte(good + down[:len(down)/2])) // a torn last line
	f.Add([]byte(good + "\n\n" + "not json\n" + down))
	f.Add([]byte(`{"time":"2026-03-01T10:00:00Z","service":"a","status":"up"}` + "\n"))
	f.Add([]byte(`{"time":"2026-03-01T10:00:00.123+02:00","service":"a\u00e9\\\"","status":"down","code":1e2}` + "\n"))
	f.Add([]byte(`{"time":"2026-02-30T10:00:00Z","service":"a","status":"up"}` + "\n"))
	f.Add([]byte(`{"service":"a","status":"bogus","time":"2026-03-01T10:00:00Z"}` + "\n\xff\xfe\x00\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := New(t.TempDir())
		path := filepath.Join(s.dir, ChecksDir, day+".jsonl")
		writeFile(t, path, string(data))

		everything := func() ([]uptime.Result, ScanStats) {
			got, st, err := s.Read(time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatalf("Read = %v, want no error for any content", err)
			}
			return got, st
		}
		before, st := everything()
		if st.Lines != len(before)+st.Skipped+st.Located {
			t.Errorf("Scan read %d lines, delivered %d, skipped %d and set aside %d of single locations: a line is unaccounted for",
				st.Lines, len(before), st.Skipped, st.Located)
		}
		for _, r := range before {
			if r.Service == "" || !r.Status.Valid() || r.Time.IsZero() || r.Location != "" {
				t.Errorf("Scan delivered an invalid result %+v", r)
			}
		}

		// The fast decoder is an optimisation: where it accepts a line it
		// must read what encoding/json reads.
		for l := range bytes.SplitSeq(data, []byte("\n")) {
			var d decoder
			fast, ok := d.decode(l)
			if !ok || !parseFast(l, &d.raw) {
				continue
			}
			slow, sok := decodeSlow(l)
			if !sok {
				t.Errorf("fast decoder accepted %q, encoding/json refuses it", l)
				continue
			}
			if utf8.Valid(l) && !reflect.DeepEqual(fast, slow) {
				t.Errorf("line %q: fast decoder = %+v, encoding/json = %+v", l, fast, slow)
			}
		}

		next := uptime.Result{Time: time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC), Service: "after", Status: uptime.Up, Code: 200, Attempts: 1}
		if err := s.Append([]uptime.Result{next}); err != nil {
			t.Fatalf("Append after arbitrary content = %v", err)
		}
		after, _ := everything()
		if want := append(before, next); !reflect.DeepEqual(after, want) {
			t.Errorf("after Append, Scan = %+v\nwant the earlier results plus the new one: %+v", after, want)
		}
	})
}
