package history

import (
	"reflect"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestLedgerKeepsWhatTheRollupsSay: every figure the page reads comes out
// of a Ledger as the rollups held it, whatever its size or sign.
func TestLedgerKeepsWhatTheRollupsSay(t *testing.T) {
	tests := []struct {
		name string
		sd   *ServiceDay
	}{
		{"a day checked every minute", &ServiceDay{
			Checks: 1440, Up: 1430, Degraded: 5, Down: 5,
			UpTimeMS: 85_800_000, DegradedTimeMS: 300_000, DownTimeMS: 240_000, P50MS: 120, P95MS: 480, MaxMS: 2900,
			First: at(t, "2026-11-24T00:00:21.004Z"), Last: at(t, "2026-11-24T23:59:21.5Z"), LastStatus: uptime.Up,
		}},
		{"down all day", &ServiceDay{
			Checks: 288, Down: 288, DownTimeMS: 86_100_000,
			First: at(t, "2026-11-24T00:04:00Z"), Last: at(t, "2026-11-24T23:59:00Z"), LastStatus: uptime.Down,
		}},
		{"one inconclusive check", &ServiceDay{
			Checks: 1, Inconclusive: 1,
			First: at(t, "2026-11-24T12:00:00Z"), Last: at(t, "2026-11-24T12:00:00Z"), LastStatus: uptime.Inconclusive,
		}},
		{"estimated from counts: no first or last", &ServiceDay{Checks: 10, Up: 10, UpTimeMS: 600_000, P50MS: 40, P95MS: 90, MaxMS: 91}},
		{"hand-edited: negative figures, times outside the day, a status of its own", &ServiceDay{
			Checks: -3, UpTimeMS: -5, P50MS: 1 << 40,
			First: at(t, "2026-11-23T22:00:00Z"), Last: at(t, "2026-11-25T02:00:00Z"), LastStatus: "sideways",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			days := []Day{
				{Date: "2026-11-20", Version: RollupVersion, Services: map[string]*ServiceDay{"web": {Checks: 1, Up: 1, UpTimeMS: 1}}},
				{Date: "2026-11-24", Version: RollupVersion, Services: map[string]*ServiceDay{"web": tt.sd, "api": {Checks: 7}}},
			}
			var b LedgerBuilder
			for _, d := range days {
				if !b.Add(d) {
					t.Fatalf("Add(%s) refused", d.Date)
				}
			}
			l := b.Ledger()
			want := summaries(days, "web")
			if tt.sd.LastStatus == "sideways" {
				want[1].LastStatus = "" // not a status: carries nothing either way
			}
			if got := l.Append(nil, "web"); !reflect.DeepEqual(got, want) {
				t.Errorf("Append =\n%+v\nwant\n%+v", got, want)
			}
			if first, ok := l.FirstDay("web"); !ok || !first.Equal(at(t, "2026-11-20T00:00:00Z")) {
				t.Errorf("FirstDay = %v, %v, want 2026-11-20", first, ok)
			}
			if got := l.Append(nil, "api"); len(got) != 1 || got[0].Checks != 7 || !got[0].Start.Equal(at(t, "2026-11-24T00:00:00Z")) {
				t.Errorf("api's days = %+v, want one of 7 checks on the 24th", got)
			}
		})
	}
}

func TestLedgerBuilder(t *testing.T) {
	day := func(date string, names ...string) Day {
		d := Day{Date: date, Version: RollupVersion, Services: map[string]*ServiceDay{}}
		for _, n := range names {
			d.Services[n] = &ServiceDay{Checks: 1, Up: 1, UpTimeMS: 60_000}
		}
		return d
	}
	var b LedgerBuilder
	b.Add(day("2026-11-01", "web"))
	b.Add(day("2026-11-02", "web", "api"))
	if b.Add(day("2026-11-02", "web")) || b.Add(day("2026-10-30", "web")) {
		t.Error("Add took a day that is not after the last one")
	}
	old := b.Ledger()

	// Keeping from the 2nd drops the 1st; a day after the kept ones follows.
	b.Keep(old, at(t, "2026-11-02T00:00:00Z"))
	b.Add(day("2026-11-03", "web"))
	l := b.Ledger()
	dates := func(s []DaySummary) (out []string) {
		for _, d := range s {
			out = append(out, d.Start.Format(time.DateOnly))
		}
		return out
	}
	if got, want := dates(l.Append(nil, "web")), []string{"2026-11-02", "2026-11-03"}; !reflect.DeepEqual(got, want) {
		t.Errorf("web's days = %v, want %v", got, want)
	}
	if got, want := dates(l.Append(nil, "api")), []string{"2026-11-02"}; !reflect.DeepEqual(got, want) {
		t.Errorf("api's days = %v, want %v", got, want)
	}
	if got := len(l.Days()); got != 2 {
		t.Errorf("Days() = %d days, want 2", got)
	}
	if got := dates(old.Append(nil, "web")); len(got) != 2 {
		t.Errorf("building a new ledger changed the old one: web's days %v", got)
	}
	if _, ok := l.FirstDay("gone"); ok {
		t.Error("FirstDay of a service the ledger does not hold is ok")
	}
}

// TestLedgerSize: a year of a service checked every minute stays near 25
// bytes a day, what lets a runner of 10,000 services keep it.
func TestLedgerSize(t *testing.T) {
	var b LedgerBuilder
	start := at(t, "2025-12-01T00:00:00Z")
	const services, days = 100, 365
	names := make([]string, services)
	for i := range names {
		names[i] = "service-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	for d := range days {
		day := Day{Date: start.AddDate(0, 0, d).Format(time.DateOnly), Version: RollupVersion, Services: map[string]*ServiceDay{}}
		for i, n := range names {
			midnight := start.AddDate(0, 0, d)
			day.Services[n] = &ServiceDay{
				Checks: 1440, Up: 1440, UpTimeMS: 86_340_000, P50MS: int64(80 + (i*7+d)%300), P95MS: int64(400 + (i*13+d)%500), MaxMS: int64(900 + (i+d)%2000),
				First: midnight.Add(time.Duration(3000+i) * time.Millisecond), Last: midnight.Add(24*time.Hour - time.Minute + time.Duration(i)*time.Millisecond),
				LastStatus: uptime.Up,
			}
		}
		b.Add(day)
	}
	l := b.Ledger()
	perDay := float64(l.Bytes()) / (services * days)
	t.Logf("%.1f bytes a service-day", perDay)
	if perDay > 28 {
		t.Errorf("a service-day takes %.1f bytes packed, want at most 28", perDay)
	}
}
