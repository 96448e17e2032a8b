package runner

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestRunDecidesLocatedChecks: with Locate, Run records every location's
// check beside the quorum's verdict, alerts on the verdict only, and a
// cycle nobody answered is inconclusive, which moves no streak.
func TestRunDecidesLocatedChecks(t *testing.T) {
	cfg := testConfig("web", "api")
	cfg.Locations = []config.Location{{Name: "eu", Kind: config.KindAgent}, {Name: "us", Kind: config.KindAgent}, {Name: "ap", Kind: config.KindAgent}}
	for i := range cfg.Services {
		cfg.Services[i].Quorum, cfg.Services[i].FailureThreshold = 2, 1
	}
	// Each cycle, the status each location finds; "" is no answer.
	plan := []map[string]uptime.Status{
		{"eu": uptime.Up, "us": uptime.Up, "ap": uptime.Up},
		{"eu": uptime.Up, "us": uptime.Up, "ap": uptime.Down},
		{"eu": uptime.Down, "us": uptime.Down},
		{},
	}
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	calls := map[string]int{}
	d := &recorder{accept: -1}
	r, _ := newTestRunner(t, cfg, nil, d, clock)
	r.Locate = func(ctx context.Context, svc uptime.Service) []uptime.Result {
		mu.Lock()
		cycle := calls[svc.Name]
		calls[svc.Name]++
		mu.Unlock()
		var out []uptime.Result
		for _, loc := range cfg.LocationNames() {
			st := plan[min(cycle, len(plan)-1)][loc]
			if st == "" {
				continue
			}
			res := uptime.Result{Time: clock.Now(), Service: svc.Name, Status: st, Code: 200, MS: 10, Attempts: 1, Location: loc}
			if st == uptime.Down {
				res.Code, res.Error = 503, uptime.ErrStatus
			}
			out = append(out, res)
		}
		return out
	}
	ctx, cancel := context.WithCancel(context.Background())
	sleep := &wakeLog{r: r, clock: clock, cancel: cancel, stopAt: time.Date(2026, 11, 24, 10, 4, 0, 0, time.UTC)}
	r.Sleep = sleep.Sleep
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}

	verdicts := map[string][]uptime.Result{}
	located := map[string][]string{}
	store := history.New(r.DataDir)
	from, to := clock.Now().Add(-time.Hour), clock.Now().Add(time.Hour)
	if _, err := store.Scan(from, to, func(res uptime.Result) error {
		verdicts[res.Service] = append(verdicts[res.Service], res)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ScanLocated(from, to, func(res uptime.Result) error {
		located[res.Service] = append(located[res.Service], res.Location)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"web", "api"} {
		var got []string
		for _, v := range verdicts[svc] {
			got = append(got, string(v.Status)+" "+string(v.Error)+" | "+v.Note)
		}
		want := []string{
			"up  | ",
			"up  | Down from 1 of 3 locations: ap",
			"down status | no answer from ap",
			"inconclusive no_quorum | no answer from eu, us, ap",
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s's verdicts:\n%q\nwant\n%q", svc, got, want)
		}
		if want := []string{"eu", "us", "ap", "eu", "us", "ap", "eu", "us"}; !slices.Equal(located[svc], want) {
			t.Errorf("%s's located checks came from %v, want %v", svc, located[svc], want)
		}
		if ss := r.State().Services[svc]; ss == nil || ss.Failures != 1 {
			t.Errorf("%s's state = %+v, want the down cycle's streak of 1, unmoved by the inconclusive one", svc, ss)
		}
	}
	if len(d.got) != 2 {
		t.Fatalf("alerts = %+v, want one DOWN for each service", d.got)
	}
	for _, a := range d.got {
		var from []string
		for _, l := range a.Locations {
			from = append(from, l.Location)
		}
		if a.Kind != uptime.WentDown || !slices.Equal(from, []string{"eu", "us"}) {
			t.Errorf("alert %v from %v, want a DOWN from eu and us", a, from)
		}
	}
}

// A blackbox_exporter cannot check a service with headers: Run leaves it
// out of that service's vote, so it is never "no answer" there, and the
// quorum counts the two locations that can.
func TestRunLeavesOutLocationsThatCannotCheck(t *testing.T) {
	cfg := testConfig("web", "api")
	cfg.Locations = []config.Location{{Name: "eu", Kind: config.KindAgent}, {Name: "us", Kind: config.KindAgent},
		{Name: "bb", Kind: config.KindBlackbox, URL: "http://127.0.0.1:9115", Module: "http_2xx"}}
	cfg.Services[1].Headers = []uptime.Header{{Name: "X-Api-Key", Value: "k", Secret: true}}
	for i := range cfg.Services {
		cfg.Services[i].Quorum, cfg.Services[i].FailureThreshold = 2, 1
	}
	plan := []uptime.Status{uptime.Up, uptime.Down} // eu's finding each cycle; the others find up
	clock := &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	calls := map[string]int{}
	r, _ := newTestRunner(t, cfg, nil, &recorder{accept: -1}, clock)
	r.Locate = func(ctx context.Context, svc uptime.Service) []uptime.Result {
		mu.Lock()
		cycle := min(calls[svc.Name], len(plan)-1)
		calls[svc.Name]++
		mu.Unlock()
		var out []uptime.Result
		for _, loc := range cfg.Locations {
			if ok, _ := loc.Checks(svc); !ok {
				continue // as the cli's askers do: the exporter is not asked
			}
			st := uptime.Up
			if loc.Name == "eu" {
				st = plan[cycle]
			}
			out = append(out, uptime.Result{Time: clock.Now(), Service: svc.Name, Status: st, Code: 200, MS: 10, Attempts: 1, Location: loc.Name})
		}
		return out
	}
	ctx, cancel := context.WithCancel(context.Background())
	sleep := &wakeLog{r: r, clock: clock, cancel: cancel, stopAt: time.Date(2026, 11, 24, 10, 2, 0, 0, time.UTC)}
	r.Sleep = sleep.Sleep
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	notes := map[string][]string{}
	if _, err := history.New(r.DataDir).Scan(clock.Now().Add(-time.Hour), clock.Now().Add(time.Hour), func(res uptime.Result) error {
		notes[res.Service] = append(notes[res.Service], string(res.Status)+" | "+res.Note)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for svc, want := range map[string][]string{
		"web": {"up | ", "up | Down from 1 of 3 locations: eu"},
		"api": {"up | ", "up | Down from 1 of 2 locations: eu"},
	} {
		if !slices.Equal(notes[svc], want) {
			t.Errorf("%s's verdicts = %q, want %q", svc, notes[svc], want)
		}
	}
}
