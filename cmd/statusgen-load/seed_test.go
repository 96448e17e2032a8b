package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/site"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// seedToday is the "today" of the tests: the values seeded do not depend on it.
var seedToday = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)

// seedNames are a plain service, one with an outage and one slow for a
// stretch in the last 5 days, found by running the generator, so the
// down and degraded paths are written and read back too.
func seedNames(t *testing.T) []string {
	t.Helper()
	names := []string{svcName(0)}
	var down, slow bool
	for i := 1; i < 100000 && !(down && slow); i++ {
		name := svcName(i)
		var d, s int
		for ago := 1; ago <= 5; ago++ {
			for _, c := range seedChecks(nil, ago, nameSeed(name)) {
				switch c.status {
				case seedDown:
					d++
				case seedDegraded:
					s++
				}
			}
		}
		if d > 0 && !down {
			down, names = true, append(names, name)
		} else if s > 0 && !slow {
			slow, names = true, append(names, name)
		}
	}
	if !down || !slow {
		t.Fatalf("no service with an outage (%v) or a slow stretch (%v) among 100,000", down, slow)
	}
	return names
}

// TestSeedHistoryReadBack: what seedHistory writes, the real reader reads
// back, every day and service with the values written, and they look like
// a day of checks every 60 s.
func TestSeedHistoryReadBack(t *testing.T) {
	names := seedNames(t)
	dirs := []string{t.TempDir(), t.TempDir()} // the second one hard-linked
	st, err := seedHistory(dirs, names, 5, seedToday.Add(13*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st.days != 5 || st.files != 5 || st.services != 3 || st.bytes <= 0 {
		t.Errorf("seedHistory = %+v, want 5 days, 5 files, 3 services, some bytes", st)
	}
	seeds := []uint64{nameSeed(names[0]), nameSeed(names[1]), nameSeed(names[2])}
	var downs, degraded int
	for _, dir := range dirs {
		got, err := history.New(dir).Rollups(seedToday.AddDate(0, 0, -30), seedToday.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 {
			t.Fatalf("Rollups read %d days, want 5", len(got))
		}
		for i, d := range got {
			ago := 5 - i
			day := seedToday.AddDate(0, 0, -ago)
			want := seedDay(day, ago, names, seeds)
			if d.Date != day.Format(time.DateOnly) || d.Version != history.RollupVersion {
				t.Errorf("day %d: date %s, version %d; want %s, %d", i, d.Date, d.Version, want.Date, history.RollupVersion)
			}
			if len(d.Services) != len(names) {
				t.Errorf("%s: %d services, want %d", d.Date, len(d.Services), len(names))
			}
			for _, name := range names {
				g, w := d.Services[name], want.Services[name]
				if g == nil {
					t.Errorf("%s %s: not read back", d.Date, name)
					continue
				}
				if err := sameServiceDay(g, w); err != nil {
					t.Errorf("%s %s: %v", d.Date, name, err)
				}
				if err := realistic(day, g); err != nil {
					t.Errorf("%s %s: %v", d.Date, name, err)
				}
				downs += g.Down
				degraded += g.Degraded
			}
		}
	}
	if downs == 0 || degraded == 0 {
		t.Errorf("read back %d down and %d degraded checks, want some of each", downs, degraded)
	}
}

// sameServiceDay compares what was read with what was written.
func sameServiceDay(g, w *history.ServiceDay) error {
	type counts struct {
		Checks, Up, Degraded, Down, Inconclusive                 int
		UpTimeMS, DegradedTimeMS, DownTimeMS, InconclusiveTimeMS int64
		P50MS, P95MS, MaxMS, LatencyN, LatencyP50, LatencyP95    int64
		First, Last                                              time.Time
		LastStatus                                               uptime.Status
	}
	of := func(d *history.ServiceDay) counts {
		return counts{d.Checks, d.Up, d.Degraded, d.Down, d.Inconclusive,
			d.UpTimeMS, d.DegradedTimeMS, d.DownTimeMS, d.InconclusiveTimeMS,
			d.P50MS, d.P95MS, d.MaxMS, d.Latency.Count(), d.Latency.Quantile(0.5), d.Latency.Quantile(0.95),
			d.First, d.Last, d.LastStatus}
	}
	if gc, wc := of(g), of(w); gc != wc {
		return fmt.Errorf("read %+v,\nwrote %+v", gc, wc)
	}
	return nil
}

// realistic checks a seeded day against a runner checking every 60 s.
func realistic(day time.Time, d *history.ServiceDay) error {
	spans := d.UpTimeMS + d.DegradedTimeMS + d.DownTimeMS + d.InconclusiveTimeMS
	switch {
	case d.Checks != 1440 || d.Up+d.Degraded+d.Down+d.Inconclusive != d.Checks:
		return fmt.Errorf("checks %d = %d up + %d degraded + %d down + %d inconclusive, want 1440", d.Checks, d.Up, d.Degraded, d.Down, d.Inconclusive)
	case d.Latency.Count() != int64(d.Up+d.Degraded):
		return fmt.Errorf("latency histogram counts %d, want %d (up and degraded)", d.Latency.Count(), d.Up+d.Degraded)
	case spans != d.Last.Sub(d.First).Milliseconds() || spans < 86_339_000 || spans > 86_341_000:
		return fmt.Errorf("times add up to %d ms, want last − first = %d ms, about 86,340,000", spans, d.Last.Sub(d.First).Milliseconds())
	case (d.Down > 0) != (d.DownTimeMS > 0), (d.Degraded > 0) != (d.DegradedTimeMS > 0):
		return fmt.Errorf("%d down checks, %d ms down; %d degraded, %d ms degraded", d.Down, d.DownTimeMS, d.Degraded, d.DegradedTimeMS)
	case d.P50MS < 50 || d.P50MS > d.P95MS || d.P95MS > d.MaxMS || d.MaxMS > 900:
		return fmt.Errorf("p50 %d, p95 %d, max %d ms, want 50 ≤ p50 ≤ p95 ≤ max ≤ 900", d.P50MS, d.P95MS, d.MaxMS)
	case d.First.Sub(day) < time.Second || d.First.Sub(day) > 10*time.Second:
		return fmt.Errorf("first check at %v, want a few seconds after midnight", d.First)
	case day.Add(24*time.Hour).Sub(d.Last) < 45*time.Second || day.Add(24*time.Hour).Sub(d.Last) > 60*time.Second:
		return fmt.Errorf("last check at %v, want about a minute before midnight", d.Last)
	case d.LastStatus != uptime.Up:
		return fmt.Errorf("last status %q, want up", d.LastStatus)
	}
	return nil
}

// TestSeedHistoryIsWhatTheRunnerWrites: the same checks folded into
// rollups by history's own writer give the seeded files byte for byte, so
// the loader reads them as it reads a runner's files (the same decoder,
// the same cost), not merely as valid JSON.
func TestSeedHistoryIsWhatTheRunnerWrites(t *testing.T) {
	names := seedNames(t)
	seeded, real := t.TempDir(), t.TempDir()
	if _, err := seedHistory([]string{seeded}, names, 5, seedToday); err != nil {
		t.Fatal(err)
	}
	store := history.New(real)
	for ago := 5; ago >= 1; ago-- {
		var results []uptime.Result
		for _, name := range names {
			day := seedToday.AddDate(0, 0, -ago)
			for _, c := range seedChecks(nil, ago, nameSeed(name)) {
				t := day.Add(time.Duration(c.at) * time.Millisecond)
				results = append(results, uptime.Result{Time: t, Service: name, Status: c.status.status(), Code: 200, MS: c.ms, Attempts: 1})
			}
		}
		if err := store.AddToRollups(results, seedCadence); err != nil {
			t.Fatal(err)
		}
	}
	for ago := 5; ago >= 1; ago-- {
		file := filepath.Join(history.RollupsDir, seedToday.AddDate(0, 0, -ago).Format(time.DateOnly)+".json")
		got, err := os.ReadFile(filepath.Join(seeded, file))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(real, file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: seeded %d bytes differ from history's %d bytes:\nseeded %.300s\nreal   %.300s", file, len(got), len(want), got, want)
		}
	}
}

// TestLoadConfigKeepsHistory: with the config the harness gives its
// runners, the site loader reads every seeded day, also after the run
// crossed midnight, and a prune by that config's retention removes none.
func TestLoadConfigKeepsHistory(t *testing.T) {
	tests := []struct {
		name string
		days int
		now  time.Time // of the load and the prune
	}{
		{"90 days, the same day", 90, seedToday.Add(13 * time.Hour)},
		{"90 days, after midnight", 90, seedToday.Add(24*time.Hour + 30*time.Minute)},
		{"400 days, beyond the default retention", 400, seedToday.Add(24*time.Hour + 30*time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "SLACK_WEBHOOK_URL" {
					return "http://127.0.0.1:1/slack"
				}
				return ""
			}
			cfg, err := config.Parse("services.toml", []byte(loadConfig("http://127.0.0.1:1", 3, time.Minute, tt.days)), getenv)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			names := []string{svcName(0), svcName(1), svcName(2)}
			if _, err := seedHistory([]string{dir}, names, tt.days, seedToday); err != nil {
				t.Fatal(err)
			}
			in, err := site.Load(cfg, dir, nil, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			var days []history.LedgerDay
			for _, l := range in.Past {
				days = append(days, l.Days()...)
			}
			if len(days) != tt.days {
				t.Fatalf("the loader read %d days, want %d", len(days), tt.days)
			}
			for i, d := range days {
				if want := seedToday.AddDate(0, 0, i-tt.days); !d.Start.Equal(want) {
					t.Errorf("day %d: %s, want %s", i, d.Start.Format(time.DateOnly), want.Format(time.DateOnly))
				}
			}
			for _, name := range names {
				var got int
				for _, l := range in.Past {
					got += len(l.Append(nil, name))
				}
				if got != tt.days {
					t.Errorf("%s: %d days read, want %d", name, got, tt.days)
				}
			}
			s := cfg.Settings
			rep, err := history.New(dir).PruneAll(tt.now, history.Retention{Checks: s.RetentionDays, Incidents: s.IncidentRetentionDays}, s.Interval, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Files) != 0 {
				t.Errorf("a prune removed %d files, the first %s", len(rep.Files), rep.Files[0].Path)
			}
		})
	}
}

// TestSeedHistoryNone: -history-days 0 leaves the data folder empty.
func TestSeedHistoryNone(t *testing.T) {
	dir := t.TempDir()
	if _, err := seedHistory([]string{dir}, []string{svcName(0)}, 0, seedToday); err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("data folder holds %d entries (%v), want none", len(entries), err)
	}
}
