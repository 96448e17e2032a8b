package site

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sebdah/goldie/v2"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/quorum"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

// locationsTOML has three locations: this machine, an agent and a
// blackbox_exporter, which cannot check the async Linker.
const locationsTOML = `[settings]
title = "Sefaria Status"
interval = "60s"
quorum = 2

[[location]]
name = "us-east"

[[location]]
name = "eu-west"
url = "https://eu-west.example.org:9464"

[[location]]
name = "ap-south"
url = "http://10.0.0.3:9115"
kind = "blackbox"

[[service]]
name = "sefaria.org"
url = "https://www.sefaria.org/healthz"

[[service]]
name = "Linker"
url = "https://www.sefaria.org/api/find-refs"
method = "POST"
expected_status = 202
check_type = "async_two_phase"
request_body = '{"text": {"title": "", "body": "Job 1:1"}}'
[service.async_verification]
base_url = "https://www.sefaria.org/api/async/"
`

// locCycle is one location's check of one service in a cycle; X (no
// status) for one that sent nothing.
type locCycle map[string]uptime.Status

// locationsFixture writes cycles a minute apart, the last at
// fixedNow-30s, as the runner writes them: each location's checks, then
// the quorum's verdicts; it returns the configuration, the data folder and
// the state the tracker would hold (every verdict up).
func locationsFixture(t *testing.T, cycles []map[string]locCycle) (*config.Config, string, *tracker.State) {
	t.Helper()
	cfg, err := config.Parse("services.toml", []byte(locationsTOML), func(string) string { return "" })
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	dir := t.TempDir()
	store := history.New(dir)
	st := tracker.New()
	for k, cycle := range cycles {
		start := fixedNow.Add(-30*time.Second - time.Duration(len(cycles)-1-k)*time.Minute)
		for _, v := range writeLocationCycle(t, store, cfg, start, cycle) {
			if v.Status != uptime.Up {
				t.Fatalf("fixture cycle %d: %s is %s (%s), want every verdict up", k, v.Service, v.Status, v.Note)
			}
			st.Services[v.Service] = &tracker.ServiceState{Status: uptime.Up, LastCheck: v.Time, LastSuccess: v.Time, LastCode: v.Code, LastMS: v.MS}
		}
	}
	return cfg, dir, st
}

// writeLocationCycle appends one cycle starting at start, as the runner
// writes it: each location's checks, a second apart, then the quorum's
// verdicts, which it returns.
func writeLocationCycle(t *testing.T, store *history.Store, cfg *config.Config, start time.Time, cycle map[string]locCycle) []uptime.Result {
	t.Helper()
	var checks []uptime.Result
	for li, loc := range cfg.LocationNames() {
		for _, svc := range cfg.Services {
			status := cycle[svc.Name][loc]
			if status == "" {
				continue
			}
			r := uptime.Result{Time: start.Add(time.Duration(li) * time.Second), Service: svc.Name, Status: status,
				Code: 200, MS: 80 + int64(li)*70, Attempts: 1, Location: loc}
			if status == uptime.Down {
				r.Code, r.MS, r.Error, r.Detail, r.Attempts = 0, 3000, uptime.ErrConnect, xssDetail, 3
			}
			checks = append(checks, r)
		}
	}
	verdicts := quorum.DecideAmong(cfg.Services, cfg.LocationNames(), cfg.Checkers, checks)
	if err := store.Append(append(checks, verdicts...)); err != nil {
		t.Fatal(err)
	}
	if err := store.AddToRollups(verdicts, time.Minute); err != nil {
		t.Fatal(err)
	}
	return verdicts
}

// threeLocations: eu-west's route to sefaria.org is cut (down, below the
// quorum), ap-south stopped answering after the first cycle, and cannot
// check the Linker at all.
var threeLocations = []map[string]locCycle{
	{"sefaria.org": {"us-east": uptime.Up, "eu-west": uptime.Up, "ap-south": uptime.Up}, "Linker": {"us-east": uptime.Up, "eu-west": uptime.Up}},
	{"sefaria.org": {"us-east": uptime.Up, "eu-west": uptime.Down}, "Linker": {"us-east": uptime.Up, "eu-west": uptime.Degraded}},
	{"sefaria.org": {"us-east": uptime.Up, "eu-west": uptime.Down}, "Linker": {"us-east": uptime.Up, "eu-west": uptime.Up}},
}

// locationsInput is Load over threeLocations.
func locationsInput(t *testing.T) Input {
	t.Helper()
	cfg, dir, st := locationsFixture(t, threeLocations)
	in, err := Load(cfg, dir, st, fixedNow)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return in
}

func TestGoldenLocations(t *testing.T) {
	in := locationsInput(t)
	files, err := Files(templates.FS, in)
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	g := goldie.New(t, goldie.WithFixtureDir("testdata"), goldie.WithNameSuffix(".golden"))
	for _, name := range []string{"services/sefaria-org.html", "services/linker.html"} {
		t.Run(name, func(t *testing.T) { g.Assert(t, "locations_"+goldenName(name), files[name]) })
	}

	// The note is muted beside a status it does not change: not in the
	// status word, the banner, status.json or a badge.
	note := "Down from 1 of 3 locations: eu-west; no answer from ap-south"
	for _, name := range []string{"index.html", "services/sefaria-org.html"} {
		page := string(files[name])
		if !strings.Contains(page, `<span class="watch">`+note+`</span>`) {
			t.Errorf("%s lacks the muted note %q", name, note)
		}
		if !strings.Contains(page, "All systems operational") && name == "index.html" {
			t.Errorf("%s: banner is not operational", name)
		}
	}
	var sj struct {
		Status     struct{ Indicator string }
		Components []struct{ Name, Status string }
	}
	if err := json.Unmarshal(files["status.json"], &sj); err != nil {
		t.Fatalf("status.json: %v", err)
	}
	if sj.Status.Indicator != "none" || len(sj.Components) != 2 || sj.Components[0].Status != "operational" ||
		bytes.Contains(files["status.json"], []byte("eu-west")) {
		t.Errorf("status.json changed by a failure below the quorum:\n%s", files["status.json"])
	}
	if bytes.Contains(files["badges/sefaria-org.svg"], []byte("Down")) {
		t.Errorf("badge says Down for a failure below the quorum")
	}
	for name, b := range files {
		if bytes.Contains(b, []byte(xssDetail)) || bytes.Contains(b, []byte("alert(")) {
			t.Errorf("%s shows a location's remote detail", name)
		}
	}
}

// Load gives every configured location its latest check, says whether it
// answered in the latest cycle, and leaves out of the vote one that
// cannot check the service.
func TestLoadLocations(t *testing.T) {
	cfg, dir, st := locationsFixture(t, threeLocations)
	in, err := Load(cfg, dir, st, fixedNow)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	first := fixedNow.Add(-30*time.Second - 2*time.Minute)
	last := fixedNow.Add(-30 * time.Second)
	type want struct {
		name     string
		checks   bool
		answered bool
		status   uptime.Status
		at       time.Time
	}
	for _, tc := range []struct {
		service string
		note    string
		want    []want
	}{
		{"sefaria.org", "Down from 1 of 3 locations: eu-west; no answer from ap-south", []want{
			{"us-east", true, true, uptime.Up, last},
			{"eu-west", true, true, uptime.Down, last.Add(time.Second)},
			{"ap-south", true, false, uptime.Up, first.Add(2 * time.Second)}, // its last answer, two cycles ago
		}},
		{"Linker", "", []want{
			{"us-east", true, true, uptime.Up, last},
			{"eu-west", true, true, uptime.Up, last.Add(time.Second)},
			{"ap-south", false, false, "", time.Time{}}, // a blackbox_exporter cannot run an async check
		}},
	} {
		t.Run(tc.service, func(t *testing.T) {
			var s *Service
			for i := range in.Services {
				if in.Services[i].Name == tc.service {
					s = &in.Services[i]
				}
			}
			if s == nil {
				t.Fatalf("no service %q", tc.service)
			}
			if s.Note != tc.note {
				t.Errorf("Note = %q, want %q", s.Note, tc.note)
			}
			if len(s.Locations) != len(tc.want) {
				t.Fatalf("Locations = %+v, want %d", s.Locations, len(tc.want))
			}
			for i, w := range tc.want {
				got := s.Locations[i]
				if got.Name != w.name || got.Checks != w.checks || got.Answered != w.answered || got.Last.Status != w.status || !got.Last.Time.Equal(w.at) {
					t.Errorf("Locations[%d] = %s checks=%v answered=%v %s at %v; want %s checks=%v answered=%v %s at %v",
						i, got.Name, got.Checks, got.Answered, got.Last.Status, got.Last.Time, w.name, w.checks, w.answered, w.status, w.at)
				}
			}
		})
	}
}

// A Loader called every cycle reads only what was appended, and knows
// what a fresh Load knows: ap-south answering again, eu-west going quiet.
func TestLoaderLocationsResume(t *testing.T) {
	cfg, dir, st := locationsFixture(t, threeLocations)
	var loader Loader
	if _, err := loader.Load(cfg, dir, st, fixedNow); err != nil {
		t.Fatal(err)
	}
	store := history.New(dir)
	next := map[string]locCycle{"sefaria.org": {"us-east": uptime.Up, "ap-south": uptime.Down}, "Linker": {"us-east": uptime.Up, "eu-west": uptime.Up}}
	writeLocationCycle(t, store, cfg, fixedNow.Add(30*time.Second), next)
	later := fixedNow.Add(time.Minute)
	got, err := loader.Load(cfg, dir, st, later)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Load(cfg, dir, st, later)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Services {
		g, w := got.Services[i], want.Services[i]
		if !reflect.DeepEqual(g.Locations, w.Locations) || g.Note != w.Note {
			t.Errorf("%s: the Loader's\n%+v %q\nwant a fresh Load's\n%+v %q", w.Name, g.Locations, g.Note, w.Locations, w.Note)
		}
	}
	web := want.Services[0]
	if web.Note != "Down from 1 of 3 locations: ap-south; no answer from eu-west" ||
		!web.Locations[2].Answered || web.Locations[1].Answered || web.Locations[1].Last.Status != uptime.Down {
		t.Errorf("sefaria.org a cycle later: %+v %q", web.Locations, web.Note)
	}
	// A check file replaced (a checkout of data/) is read again.
	path := filepath.Join(dir, history.ChecksDir, fixedNow.Format(time.DateOnly)+".jsonl")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := loader.Load(cfg, dir, st, later)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Services[0].Locations, web.Locations) {
		t.Errorf("after the file was replaced: %+v, want %+v", again.Services[0].Locations, web.Locations)
	}
}

// A location that never answered in the last 24 hours reads "No answer"
// without a time; an inconclusive verdict's kind reads as the monitor's
// shortfall, never the service's.
func TestLocationViews(t *testing.T) {
	at := fixedNow.Add(-time.Hour)
	got := locationViews(Service{Locations: []LocationCheck{
		{Name: "us-east", Checks: true, Answered: true, Last: uptime.Result{Time: at, Status: uptime.Up, Code: 200, MS: 120}},
		{Name: "eu-west", Checks: true, Answered: true, Last: uptime.Result{Time: at, Status: uptime.Down, Error: uptime.ErrTimeout, MS: 10000}},
		{Name: "ap-south", Checks: true},
		{Name: "sa-east", Checks: true, Last: uptime.Result{Time: at, Status: uptime.Up, MS: 90}},
		{Name: "bb", Checks: false},
		{Name: "canary", Checks: true, Answered: true, Last: uptime.Result{Time: at, Status: uptime.Inconclusive, Error: uptime.ErrCanary}},
	}})
	want := []struct {
		word, cause string
		ms          int64
		when        bool
	}{
		{"Up", "", 120, true},
		{"Down", "Request timed out", 0, true},
		{"No answer", "", 0, false},
		{"No answer", "", 0, true},
		{"Not checked from here", "", 0, false},
		{"Could not tell", "The monitor could not check", 0, true},
	}
	for i, w := range want {
		g := got[i]
		if g.Cond.Word != w.word || g.Cause != w.cause || g.MS != w.ms || (g.When != nil) != w.when {
			t.Errorf("locationViews[%d] = %+v, want %s %q %d ms, time %v", i, g, w.word, w.cause, w.ms, w.when)
		}
	}
	if locationViews(Service{}) != nil {
		t.Error("a single-location service has location rows")
	}
}

// BenchmarkLoadLocations100x3 is what a render of 100 services checked
// from three locations every minute pays for the Locations tables: today's
// check file so far (10:15, some 250,000 lines) read for the latest
// checks and verdicts.
func BenchmarkLoadLocations100x3(b *testing.B) {
	var toml strings.Builder
	toml.WriteString("[settings]\nquorum = 2\n[[location]]\nname = \"a\"\n[[location]]\nname = \"b\"\nurl = \"http://10.0.0.2:9464\"\n[[location]]\nname = \"c\"\nurl = \"http://10.0.0.3:9464\"\n")
	for i := range 100 {
		fmt.Fprintf(&toml, "[[service]]\nname = \"service %03d\"\nurl = \"https://example.org/%d\"\n", i, i)
	}
	cfg, err := config.Parse("bench.toml", []byte(toml.String()), func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	store := history.New(dir)
	today := fixedNow.Truncate(24 * time.Hour)
	for at := today; !at.After(fixedNow); at = at.Add(time.Minute) {
		var lines []uptime.Result
		for _, svc := range cfg.Services {
			for li, loc := range cfg.LocationNames() {
				lines = append(lines, uptime.Result{Time: at.Add(time.Duration(li) * time.Second), Service: svc.Name, Status: uptime.Up, Code: 200, MS: 100, Attempts: 1, Location: loc})
			}
			lines = append(lines, uptime.Result{Time: at.Add(2 * time.Second), Service: svc.Name, Status: uptime.Up, Code: 200, MS: 100, Attempts: 1})
		}
		if err := store.Append(lines); err != nil {
			b.Fatal(err)
		}
	}
	services := make([]Service, len(cfg.Services))
	for i, svc := range cfg.Services {
		services[i].Name = svc.Name
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if err := new(locationMemo).load(store, dir, cfg, services, fixedNow); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A Loader's memo a cycle later: one cycle's lines appended.
	b.Run("cycle", func(b *testing.B) {
		var m locationMemo
		if err := m.load(store, dir, cfg, services, fixedNow); err != nil {
			b.Fatal(err)
		}
		at := fixedNow
		for b.Loop() {
			at = at.Add(time.Minute)
			b.StopTimer()
			var lines []uptime.Result
			for _, svc := range cfg.Services {
				lines = append(lines, uptime.Result{Time: at, Service: svc.Name, Status: uptime.Up, Location: "a"},
					uptime.Result{Time: at, Service: svc.Name, Status: uptime.Up})
			}
			if err := store.Append(lines); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := m.load(store, dir, cfg, services, at); err != nil {
				b.Fatal(err)
			}
		}
	})
}
