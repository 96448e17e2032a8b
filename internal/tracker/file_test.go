package tracker

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// sample is a state with every kind of field set: two services, one of
// them in an announced outage, an alert in the outbox and a prune time.
func sample() *State {
	st := New()
	th := map[string]int{"sefaria.org": 2, "Linker": 2}
	st.Apply(results(0, "sefaria.org:U", "Linker:D"), Policy{Thresholds: th})
	st.Apply(results(1, "sefaria.org:G", "Linker:D"), Policy{Thresholds: th})
	st.Apply(results(2, "sefaria.org:I", "Linker:I"), Policy{Thresholds: th})
	st.Outbox[0].Detail = `<html> & "quotes"`
	st.LastPrune = time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	return st
}

func TestSaveGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := sample().Save(path); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	golden := filepath.Join("testdata", "state.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readFile(t, golden); got != want {
		t.Errorf("Save(sample) =\n%s\nwant (%s, refresh with -update)\n%s", got, golden, want)
	}
}

func TestSaveIsStable(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "c.json")
	if err := sample().Save(a); err != nil {
		t.Fatal(err)
	}
	if err := sample().Save(b); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Save(c); err != nil {
		t.Fatal(err)
	}
	first := readFile(t, a)
	if second := readFile(t, b); second != first {
		t.Errorf("Save twice: second file =\n%s\nwant byte-identical to the first\n%s", second, first)
	}
	if resaved := readFile(t, c); resaved != first {
		t.Errorf("Save(Load(f)) =\n%s\nwant f unchanged\n%s", resaved, first)
	}
	if !strings.HasSuffix(first, "}\n") || strings.HasSuffix(first, "\n\n") {
		t.Errorf("Save output ends %q, want exactly one trailing newline", first[max(len(first)-5, 0):])
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("files after three saves = %d, want 3 (no temporary files left)", len(entries))
	}
}

func TestSaveEmpty(t *testing.T) {
	tests := []struct {
		name string
		st   *State
	}{
		{"New", New()},
		{"zero value", &State{}},
		{"everything acked", func() *State {
			s := sample()
			s.Ack(slices.Repeat([]bool{true}, len(s.Outbox)))
			s.Services = nil
			s.LastPrune = time.Time{}
			return s
		}()},
	}
	const want = "{\n  \"version\": 1,\n  \"services\": {},\n  \"outbox\": []\n}\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := tt.st.Save(path); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != want {
				t.Errorf("Save(%s) =\n%s\nwant\n%s", tt.name, got, want)
			}
		})
	}
}

func TestSaveError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "state.json")
	err := New().Save(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Save into a missing directory = %v, want an error naming %s", err, path)
	}
}

func TestLoadMissingFile(t *testing.T) {
	st, err := Load(filepath.Join(t.TempDir(), "state.json"))
	if err != nil {
		t.Fatalf("Load(missing file) error = %v, want nil", err)
	}
	if !reflect.DeepEqual(st, New()) {
		t.Errorf("Load(missing file) = %+v, want New() %+v", st, New())
	}
}

func TestLoadMinimal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte(`{"version": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s) error = %v, want nil", `{"version": 1}`, err)
	}
	if !reflect.DeepEqual(st, New()) {
		t.Errorf("Load(%s) = %+v, want New() %+v", `{"version": 1}`, st, New())
	}
}

func TestLoadNormalizesToUTC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	data := `{"version":1,"last_prune":"2026-03-01T05:00:00+02:00","services":{"A":{"status":"down","failures":1,"since":"2026-03-01T14:00:00+02:00"}}}`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC); st.LastPrune != want {
		t.Errorf("Load: last_prune = %v, want %v", st.LastPrune, want)
	}
	if want := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC); st.Services["A"].Since != want {
		t.Errorf("Load: since = %v, want %v", st.Services["A"].Since, want)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	valid, err := sample().encode()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		want string // in the error, after "state <path>: "
	}{
		{"corrupt JSON", `{"version": 1, "services": {]}`, "not valid JSON at line 1"},
		{"corrupt JSON on a later line", strings.Replace(string(valid), `"outbox": [`, `"outbox": [,`, 1), "not valid JSON at line 26"},
		{"truncated", string(valid[:len(valid)/2]), "the file is truncated"},
		{"truncated after the last brace", strings.TrimSuffix(string(valid), "}\n"), "the file is truncated"},
		{"empty", "", "the file is empty"},
		{"only whitespace", " \n\t\n", "the file is empty"},
		{"trailing data", `{"version": 1} {"version": 1}`, "not valid JSON at line 1"},
		{"unknown version", `{"version": 7, "whatever": [1, 2]}`, "unknown version 7 (this statusgen reads version 1); refusing to overwrite it"},
		{"version 0", `{"version": 0, "services": {}, "outbox": []}`, "unknown version 0 (this statusgen reads version 1)"},
		{"no version", `{"services": {}, "outbox": []}`, "no version field (this statusgen reads version 1)"},
		{"null", `null`, "no version field"},
		{"an array", `[]`, "wrong type at line 1"},
		{"version as a string", `{"version": "1"}`, "wrong type at line 1"},
		{"unknown field", `{"version": 1, "servicez": {}}`, `unknown field "servicez"`},
		{"null service", `{"version": 1, "services": {"A": null}}`, `service "A": null instead of an object`},
		{"inconclusive status", `{"version": 1, "services": {"A": {"status": "inconclusive"}}}`, `service "A": status "inconclusive" is not up, degraded or down`},
		{"unknown status", `{"version": 1, "services": {"A": {"status": "sideways"}}}`, `service "A": status "sideways"`},
		{"negative failures", `{"version": 1, "services": {"A": {"failures": -1, "since": "2026-03-01T12:00:00Z"}}}`, `service "A": failures -1 is negative`},
		{"failures without since", `{"version": 1, "services": {"A": {"failures": 2}}}`, `service "A": 2 failures but no since`},
		{"announced without failures", `{"version": 1, "services": {"A": {"announced": true, "incident_id": "a-1"}}}`, `service "A": announced with no failures`},
		{"announced without incident", `{"version": 1, "services": {"A": {"failures": 2, "since": "2026-03-01T12:00:00Z", "announced": true}}}`, `service "A": announced with no incident_id`},
		{"unknown outbox kind", `{"version": 1, "outbox": [{"kind": "meh", "service": "A"}]}`, `outbox[0]: unknown kind "meh"`},
		{"outbox without service", `{"version": 1, "outbox": [{"kind": "down"}]}`, `outbox[0]: no service`},
		{"time that cannot be written back", `{"version": 1, "last_prune": "0000-01-01T00:00:00+01:00"}`, "it cannot be written back"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state.json")
			if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%q) = %+v, want an error", tt.data, st)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Load(%q) error %v does not match ErrCorrupt", tt.data, err)
			}
			prefix := "state " + path + ": "
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tt.want) || !strings.Contains(msg, "refusing to overwrite it") {
				t.Errorf("Load(%q) error = %q, want %q…%q…refusing to overwrite it", tt.data, msg, prefix, tt.want)
			}
			if got := readFile(t, path); got != tt.data {
				t.Errorf("file after a refused Load = %q, want unchanged %q", got, tt.data)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("files after a refused Load = %d, want 1", len(entries))
			}
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir() // a directory where the file should be: reading fails
	_, err := Load(dir)
	if err == nil || errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), dir) {
		t.Errorf("Load(a directory) = %v, want a read error naming %s that is not ErrCorrupt", err, dir)
	}
}

// FuzzLoad: whatever the bytes, Load does not panic, never changes the
// file, and either refuses it or returns a state that saves and reloads to
// the same bytes.
func FuzzLoad(f *testing.F) {
	valid, err := sample().encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte(`{"version": 1}`))
	f.Add([]byte(`{"version": 7}`))
	f.Add([]byte(`{"version":1,"last_prune":"2026-03-01T05:00:00+02:00","services":{"A":{"status":"down","failures":1,"since":"2026-03-01T14:00:00+02:00"}}}`))
	f.Add([]byte("garbage"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "state.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := Load(path)
		if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
			t.Fatalf("Load changed the file: %q, want %q", after, data)
		}
		if err != nil {
			return
		}
		// Save is encode plus atomicfile.Write (tested in its package); an
		// fsync per input would slow fuzzing a thousandfold.
		first, err := st.encode()
		if err != nil {
			t.Fatalf("Save of a loaded state: %v", err)
		}
		again, problem, _ := decode(first)
		if problem != "" {
			t.Fatalf("Load of a saved state: %s", problem)
		}
		second, err := again.encode()
		if err != nil {
			t.Fatalf("Save of a reloaded state: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("save, load, save =\n%s\nwant the first save\n%s", second, first)
		}
		if !reflect.DeepEqual(again, st) {
			t.Fatalf("Load(Save(st)) = %+v, want %+v", again, st)
		}
	})
}

// The outbox transitions keep every field through the file.
func TestOutboxRoundTrip(t *testing.T) {
	st := sample()
	st.Outbox = append(st.Outbox, uptime.Transition{
		Kind: uptime.Recovered, Service: "Linker", IncidentID: "linker-20260301T120000Z",
		Since: at(0), At: at(5), Failures: 5, Code: 200, Error: uptime.ErrTimeout, MS: 321,
	})
	path := filepath.Join(t.TempDir(), "state.json")
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Outbox, st.Outbox) {
		t.Errorf("Load(Save(outbox)) = %+v, want %+v", got.Outbox, st.Outbox)
	}
}

// referenceEncode is how the state file was written before encode.go:
// encoding/json, indented, without HTML escaping.
func referenceEncode(s *State) ([]byte, error) {
	c := *s
	c.Version = Version
	if c.Services == nil {
		c.Services = map[string]*ServiceState{}
	}
	if c.Outbox == nil {
		c.Outbox = []uptime.Transition{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// The hand-written encoder writes the bytes encoding/json wrote, so state
// files keep their git diffs across the change and any name round-trips.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 30, 0, 123456789, time.UTC)
	names := []string{"sefaria.org", "", `quote " and \ backslash`, "<html>&", "tab\there\nnewline", "ünïcödé ✓", "line\u2028sep\u2029", "bad\xffutf8", "\x00\x1f\x7f"}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		s := New()
		for i, name := range names {
			if rng.IntN(3) == 0 {
				continue
			}
			ss := &ServiceState{
				Status:    []uptime.Status{"", uptime.Up, uptime.Down, uptime.Degraded}[rng.IntN(4)],
				Failures:  rng.IntN(5),
				Announced: rng.IntN(2) == 0,
				Held:      rng.IntN(2) == 0,
				LastCode:  []int{0, 200, 503}[rng.IntN(3)],
				LastMS:    rng.Int64N(100000),
			}
			pick := func() time.Time {
				switch rng.IntN(4) {
				case 0:
					return time.Time{}
				case 1:
					return at.In(time.FixedZone("", 3600)).Add(time.Duration(i) * time.Minute)
				}
				return at.Add(time.Duration(rng.IntN(100000)) * time.Second).Truncate(time.Duration(rng.IntN(3)) * time.Second)
			}
			ss.Since, ss.LastReminder, ss.LastCheck, ss.LastSuccess = pick(), pick(), pick(), pick()
			if rng.IntN(2) == 0 {
				ss.IncidentID, ss.DownError, ss.LastError = names[rng.IntN(len(names))], uptime.ErrTimeout, uptime.ErrorKind(names[rng.IntN(len(names))])
			}
			s.Services[name] = ss
		}
		if round%7 == 0 {
			s.Services["nil entry"] = nil
		}
		if round%3 == 0 {
			s.Outbox = append(s.Outbox, uptime.Transition{Kind: uptime.WentDown, Service: names[round%len(names)], Since: at, At: at, Detail: "<b>HTTP 503</b>"})
			s.LastPrune = at
		}
		want, werr := referenceEncode(s)
		got, gerr := s.encode()
		if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("round %d: encode =\n%s (err %v)\nencoding/json =\n%s (err %v)", round, got, gerr, want, werr)
		}
	}
	// A time RFC 3339 cannot hold fails both ways, naming nothing secret.
	s := New()
	s.Services["x"] = &ServiceState{LastCheck: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := s.encode(); err == nil {
		t.Error("encode of the year 10000: want an error, like encoding/json")
	}
}

// BenchmarkSave10000 writes the state of 10,000 services, as a runner does
// after each batch that queues an alert and once a cycle.
func BenchmarkSave10000(b *testing.B) {
	s := New()
	at := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	for i := range 10000 {
		s.Services[fmt.Sprintf("service %05d", i)] = &ServiceState{Status: uptime.Up, LastCheck: at, LastSuccess: at, LastCode: 200, LastMS: int64(i % 400)}
	}
	path := filepath.Join(b.TempDir(), "state.json")
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Save(path); err != nil {
			b.Fatal(err)
		}
	}
}
