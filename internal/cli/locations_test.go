package cli

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// With one [[location]], probing there and deciding from its file writes
// the data/ a plain `once` writes: the same files, lines and state, but for
// the times and latencies the real clock puts in them.
func TestOneLocationWritesWhatOnceWrites(t *testing.T) {
	f := newFakeSefaria(t)
	plain := newWorkspace(t, f.config())
	located := newWorkspace(t, f.config()+"\n[[location]]\nname = \"here\"\n")
	results := filepath.Join(located.dir, "results")
	for i, healthy := range []bool{true, false, false, false, true} {
		f.healthy.Store(healthy)
		if code, _, errOut := plain.run(t, nil, "once"); code != ExitOK {
			t.Fatalf("cycle %d: once exit %d:\n%s", i, code, errOut)
		}
		if code, _, errOut := located.run(t, nil, "probe", "--location", "here", "--out", filepath.Join(results, "here.jsonl")); code != ExitOK {
			t.Fatalf("cycle %d: probe exit %d:\n%s", i, code, errOut)
		}
		if code, _, errOut := located.run(t, nil, "once", "--results", results); code != ExitOK {
			t.Fatalf("cycle %d: once --results exit %d:\n%s", i, code, errOut)
		}
	}
	want, got := dataTree(t, plain.data), dataTree(t, located.data)
	if !slices.Equal(sortedKeys(got), sortedKeys(want)) {
		t.Fatalf("data/ files = %v, want those of a plain once: %v", sortedKeys(got), sortedKeys(want))
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("data/%s differs from a plain once's:\n%s\nwant\n%s", name, got[name], w)
		}
	}
	if strings.Contains(strings.Join(mapValues(got), ""), "location") {
		t.Errorf("a single-location setup wrote a location into data/")
	}
}

var (
	clockTimes = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	latencies  = regexp.MustCompile(`"(\w*ms|seconds)": ?\d+`)
	histogram  = regexp.MustCompile(`"latency":\[(\[\d+,\d+\],?)*\]`)
	dayNames   = regexp.MustCompile(`\d{4}-\d\d-\d\d`)
)

// dataTree is every file under dir, keyed by its path with the day masked,
// its content with the real clock's times and latencies masked.
func dataTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s := clockTimes.ReplaceAllString(string(b), "TIME")
		s = latencies.ReplaceAllString(s, `"$1":N`)
		s = histogram.ReplaceAllString(s, `"latency":N`)
		out[dayNames.ReplaceAllString(rel, "DAY")] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func mapValues(m map[string]string) []string {
	var vs []string
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}

// The usage errors of the locations' commands, each caught before anything
// is written.
func TestLocationCommandErrors(t *testing.T) {
	f := newFakeSefaria(t)
	multi := strings.Replace(f.config(), "retry_delay = \"0s\"", "retry_delay = \"0s\"\nquorum = 2", 1) +
		"\n[[location]]\nname = \"us-east\"\n[[location]]\nname = \"eu-west\"\n"
	remote := strings.Replace(multi, "name = \"us-east\"\n", "name = \"us-east\"\nurl = \"http://127.0.0.1:1\"\n", 1)
	twoLocal := multi + "[[location]]\nname = \"bbx\"\nkind = \"blackbox\"\nurl = \"http://127.0.0.1:1\"\n"
	tests := []struct {
		name   string
		config string
		args   []string
		want   string
	}{
		{"probe needs its flags", multi, []string{"probe"}, "--location and --out are required"},
		{"probe at an unknown location", multi, []string{"probe", "--location", "mars", "--out", "x.jsonl"},
			`--location "mars" is not a [[location]]`},
		{"several locations without url are not checked from here", multi, []string{"once"},
			"2 [[location]]s and none has a url: their checks are decided with `statusgen once --results DIR` after `statusgen probe` at each location, or give the agents' and blackbox_exporters' url for `once` and `run` to ask them"},
		{"an agent's url without the token", remote, []string{"once"},
			`location "us-east" is an agent: set STATUSGEN_AGENT_TOKEN to the token its agent was started with`},
		{"two locations would be this machine", twoLocal, []string{"once"},
			"locations us-east, eu-west have no url: only one location can be this machine"},
		{"run asks agents with the token only", remote, []string{"run"}, `location "us-east" is an agent: set STATUSGEN_AGENT_TOKEN`},
		{"run: two locations would be this machine", twoLocal, []string{"run"}, "locations us-east, eu-west have no url"},
		{"run without urls does not decide several locations", multi, []string{"run"}, "2 [[location]]s and none has a url"},
		{"--results without locations", f.config(), []string{"once", "--results", "results"}, "--results needs [[location]]s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorkspace(t, tt.config)
			code, out, errOut := w.run(t, nil, tt.args...)
			if code != ExitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("%v = exit %d, stderr:\n%s%s\nwant exit 2 and %q", tt.args, code, out, errOut, tt.want)
			}
			if _, err := os.Stat(w.data); !os.IsNotExist(err) {
				t.Errorf("%v wrote %s (err %v), want nothing written", tt.args, w.data, err)
			}
		})
	}
}

// Three locations, quorum 2: one location's failure is a note; a location
// whose file is missing, and one whose file is corrupt in part, do not stop
// the cycle; two agreeing locations make the verdict down.
func TestOnceDecidesFromResultsFiles(t *testing.T) {
	f := newFakeSefaria(t)
	cfg := strings.Replace(strings.Replace(f.config(), "retry_delay = \"0s\"", "retry_delay = \"0s\"\nquorum = 2", 1),
		"failure_threshold = 2", "failure_threshold = 1", 1) +
		"\n[[location]]\nname = \"us-east\"\n[[location]]\nname = \"eu-west\"\n[[location]]\nname = \"ap-south\"\n"
	w := newWorkspace(t, cfg)
	results := filepath.Join(w.dir, "results")
	probe := func(loc string) string {
		t.Helper()
		out := filepath.Join(results, loc+".jsonl")
		if code, _, errOut := w.run(t, nil, "probe", "--location", loc, "--out", out); code != ExitOK {
			t.Fatalf("probe %s: exit %d:\n%s", loc, code, errOut)
		}
		b, _ := os.ReadFile(out)
		return string(b)
	}

	// Cycle 1: us-east sees web down, the others up.
	f.healthy.Store(false)
	probe("us-east")
	f.healthy.Store(true)
	probe("eu-west")
	apSouth := probe("ap-south")
	if !strings.Contains(apSouth, `"location":"ap-south"`) {
		t.Fatalf("probe file lacks its location:\n%s", apSouth)
	}
	code, out, errOut := w.run(t, nil, "once", "--results", results)
	if code != ExitOK {
		t.Fatalf("once --results: exit %d:\n%s", code, errOut)
	}
	if row := lineWith(out, "web "); !strings.Contains(row, "up") {
		t.Errorf("cycle 1: web row = %q, want up (one location's failure is below the quorum)", row)
	}
	if !strings.Contains(out, "web: Down from 1 of 3 locations: us-east") || strings.Contains(errOut, "DOWN web") {
		t.Errorf("cycle 1: want the note and no DOWN; stdout:\n%s\nstderr:\n%s", out, errOut)
	}

	// Cycle 2: web down from two; ap-south's file gone, eu-west's half corrupt.
	f.healthy.Store(false)
	probe("us-east")
	euWest := probe("eu-west")
	if err := os.Remove(filepath.Join(results, "ap-south.jsonl")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(results, "eu-west.jsonl"), []byte("{torn\n\x00garbage\n"+euWest+`{"time":"2026-01-01T00:00:00Z","service":"web","status":"up","code":200,"ms":1,"attempts":1,"location":"us-east"}`+"\n"+
		`{"time":"2026-01-01T00:00:00Z","service":"removed since","status":"down","code":0,"ms":1,"attempts":1,"location":"eu-west"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = w.run(t, nil, "once", "--results", results)
	if code != ExitOK {
		t.Fatalf("once --results: exit %d:\n%s", code, errOut)
	}
	for _, want := range []string{"location missing from the vote: no results file", "location=ap-south", "skipped_lines=3", "DOWN web"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("cycle 2: stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "locations missing from the vote: ap-south") || !strings.Contains(out, "web: no answer from ap-south") {
		t.Errorf("cycle 2: table lacks the missing location:\n%s", out)
	}

	// The history holds each location's checks with its name, and one
	// verdict per service without; nothing of the corrupt lines, nor the
	// check of a service no longer configured.
	lines := readJSONL(t, filepath.Join(w.data, "checks"))
	byLoc := map[string]int{}
	for _, l := range lines {
		loc, _ := l["location"].(string)
		byLoc[loc]++
	}
	if want := map[string]int{"": 4, "us-east": 4, "eu-west": 4, "ap-south": 2}; !maps.Equal(byLoc, want) {
		t.Errorf("history lines per location = %v, want %v", byLoc, want)
	}

	// No file at all (every probe job failed): nothing decided, exit 1.
	code, _, errOut = w.run(t, nil, "once", "--results", filepath.Join(w.dir, "no-such-folder"))
	if code != ExitFailed || !strings.Contains(errOut, "no location reported") {
		t.Errorf("once --results with no file: exit %d, stderr:\n%s\nwant 1 and no location reported", code, errOut)
	}

	// The same files decided again (a rerun, a stale artifact) count for
	// nothing: their cycle is decided already.
	code, _, errOut = w.run(t, nil, "once", "--results", results)
	if code != ExitOK || !strings.Contains(errOut, "results of a cycle already decided set aside") {
		t.Errorf("once --results again: exit %d, stderr:\n%s\nwant 0 and the files set aside", code, errOut)
	}
	if n := len(readJSONL(t, filepath.Join(w.data, "checks"))); n != len(lines) {
		t.Errorf("deciding the same files again wrote %d more lines, want none", n-len(lines))
	}
}
