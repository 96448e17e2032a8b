package site

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// fixedNow is the clock of every fixture.
var fixedNow = time.Date(2026, 11, 24, 10, 15, 30, 0, time.UTC)

// xssName is a service name a hostile or careless config could hold.
const xssName = "<img src=x onerror=alert(1)>\u202eChat\u202c"

// xssDetail is remote text in an error detail: the page must never show it.
const xssDetail = `<script>alert("detail")</script>`

// fixture writes a data folder with 90 days of checks every 30 minutes for
// the named services (raw files, rollups and incidents), the notices, and
// returns the configuration and the state as of fixedNow. Services named
// in the sefaria set behave as in a realistic week; the rest are up.
func fixture(t testing.TB, names []string, notices bool) (*config.Config, string, *tracker.State) {
	t.Helper()
	dir := t.TempDir()
	var toml strings.Builder
	toml.WriteString("[settings]\ntitle = \"Sefaria Status\"\nstatus_page_url = \"https://status.sefaria.org\"\ninterval = \"30m\"\n") // the fixture checks every 30 minutes
	for _, n := range names {
		fmt.Fprintf(&toml, "\n[[service]]\nname = %q\nurl = \"https://www.sefaria.org/healthz\"\n", n)
	}
	cfg, err := config.Parse("services.toml", []byte(toml.String()), func(string) string { return "" })
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}

	store := history.New(dir)
	today := fixedNow.Truncate(24 * time.Hour)
	start := today.AddDate(0, 0, -89)
	down := func(name string, at time.Time) (uptime.ErrorKind, int, bool) {
		day := int(today.Sub(at.Truncate(24*time.Hour)) / (24 * time.Hour))
		h := at.Hour()
		switch {
		case name == "sefaria.org" && day == 3 && h >= 14 && h < 16:
			return uptime.ErrStatus, 503, true
		case name == "Linker" && day == 10 && h == 2:
			return uptime.ErrBadResult, 200, true
		case name == "Linker" && at.After(fixedNow.Add(-50*time.Minute)):
			return uptime.ErrTaskTimeout, 202, true
		case name == "Chatbot" && at.After(fixedNow.Add(-20*time.Minute)):
			return uptime.ErrStatus, 503, true
		case name == xssName && day == 5 && h == 9:
			return uptime.ErrStatus, 500, true
		}
		return "", 0, false
	}
	for day := start; !day.After(today); day = day.Add(24 * time.Hour) {
		var results []uptime.Result
		for at := day; at.Before(day.Add(24*time.Hour)) && !at.After(fixedNow); at = at.Add(30 * time.Minute) {
			for i, name := range names {
				if name == xssName && at.Before(today.AddDate(0, 0, -20)) {
					continue // added to the config 20 days ago
				}
				k := at.Unix()/1800 + int64(i)*7
				r := uptime.Result{Time: at, Service: name, Status: uptime.Up, Code: 200, MS: 90 + k%13*11 + int64(i)*40, Attempts: 1}
				if name == "MCP Server" && at.After(fixedNow.Add(-3*time.Hour)) {
					r.Status, r.MS = uptime.Degraded, 2400+k%5*100
				}
				if kind, code, isDown := down(name, at); isDown {
					r.Status, r.Error, r.Code, r.Detail, r.Attempts, r.MS = uptime.Down, kind, code, xssDetail, 3, 10000
				}
				if day.Equal(today.AddDate(0, 0, -40)) && at.Hour() == 4 {
					r.Status, r.Error, r.Detail = uptime.Inconclusive, uptime.ErrCanary, xssDetail
				}
				results = append(results, r)
			}
		}
		if err := store.Append(results); err != nil {
			t.Fatal(err)
		}
		if err := store.AddToRollups(results, 30*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	incident := func(name string, since time.Time, minutes int, kind uptime.ErrorKind) uptime.Incident {
		return uptime.Incident{ID: uptime.Slug(name) + "-" + since.Format("20060102T150405Z"), Service: name,
			Since: since, Until: since.Add(time.Duration(minutes) * time.Minute), Seconds: int64(minutes) * 60, Error: kind}
	}
	var incs []uptime.Incident
	for _, n := range names {
		switch n {
		case "sefaria.org":
			incs = append(incs, incident(n, today.AddDate(0, 0, -100).Add(8*time.Hour), 12, uptime.ErrTimeout),
				incident(n, today.AddDate(0, 0, -3).Add(14*time.Hour), 120, uptime.ErrStatus))
		case "Linker":
			incs = append(incs, incident(n, today.AddDate(0, 0, -10).Add(2*time.Hour), 60, uptime.ErrBadResult))
		case xssName:
			incs = append(incs, incident(n, today.AddDate(0, 0, -5).Add(9*time.Hour), 30, uptime.ErrStatus))
		}
	}
	if err := store.AppendIncidents(incs); err != nil {
		t.Fatal(err)
	}

	st := tracker.New()
	for _, n := range names {
		ss := &tracker.ServiceState{Status: uptime.Up, LastCheck: fixedNow.Add(-15 * time.Minute), LastSuccess: fixedNow.Add(-15 * time.Minute), LastCode: 200, LastMS: 123}
		switch n {
		case "Linker":
			since := fixedNow.Add(-45 * time.Minute).Truncate(30 * time.Minute)
			ss.Status, ss.Failures, ss.Since, ss.Announced = uptime.Down, 2, since, true
			ss.IncidentID, ss.DownError = uptime.Slug(n)+"-"+since.Format("20060102T150405Z"), uptime.ErrTaskTimeout
			ss.LastCode, ss.LastMS, ss.LastError = 202, 10000, uptime.ErrTaskTimeout
		case "Chatbot":
			ss.Status, ss.Failures, ss.Since = uptime.Down, 1, fixedNow.Add(-15*time.Minute)
			ss.LastCode, ss.LastMS, ss.LastError = 503, 10000, uptime.ErrStatus
		case "MCP Server":
			ss.Status, ss.LastMS = uptime.Degraded, 2600
		}
		st.Services[n] = ss
	}

	if notices {
		writeNotice(t, dir, "mcp-upgrade.md", `+++
title = "MCP server upgrade"
kind = "maintenance"
start = 2026-11-24T09:00:00Z
end = 2026-11-24T12:00:00Z
services = ["MCP Server"]
+++
We are upgrading the MCP server. It may answer slowly.
`)
		writeNotice(t, dir, "db-move.md", `+++
title = "Database move"
kind = "maintenance"
start = 2026-11-28T02:00:00Z
end = 2026-11-28T04:00:00Z
+++
Every service may be briefly unavailable.
`)
		writeNotice(t, dir, "linker-bad-results.md", `+++
title = "Linker returned empty results <script>alert(1)</script>"
kind = "incident"
start = 2026-11-14T02:00:00Z
end = 2026-11-14T03:00:00Z
services = ["Linker"]
+++
A bad deploy <img src=x onerror=alert(1)> made the Linker find no refs.
[details](javascript:alert(1)) and <script>alert(2)</script>
`)
		writeNotice(t, dir, "welcome.md", "+++\ntitle = \"New status page \u202egnp.exe\"\nkind = \"info\"\nstart = 2026-11-01T00:00:00Z\n+++\nThis page replaces the old one. \u202eReversed?\n")
	}
	return cfg, dir, st
}

func writeNotice(t testing.TB, dir, name, src string) {
	t.Helper()
	path := filepath.Join(dir, NoticesDir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sefaria are the four services of status.sefaria.org.
var sefaria = []string{"sefaria.org", "MCP Server", "Chatbot", "Linker"}

// fixtureInput is Load over the full fixture: Sefaria's services and the hostile one.
func fixtureInput(t testing.TB) Input {
	t.Helper()
	cfg, dir, st := fixture(t, append(append([]string{}, sefaria...), xssName), true)
	in, err := Load(cfg, dir, st, fixedNow)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return in
}
