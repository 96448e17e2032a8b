package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/site"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestRunLimitsMemoryWithItsHistory: `run` raises its soft memory limit
// by the past days its site keeps, as the Go runtime reports it on
// /metrics, so a long history never leaves the collector without room.
func TestRunLimitsMemoryWithItsHistory(t *testing.T) {
	prev := debug.SetMemoryLimit(-1) // `run` sets the process's limit: this test's
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(up.Close)
	toml := fmt.Sprintf("[settings]\ninterval = \"1s\"\nlisten = \"127.0.0.1:0\"\n\n[[service]]\nname = \"web\"\nurl = %q\n", up.URL)
	w := newWorkspace(t, toml)

	// 60 past days of a service checked every hour, and of one no longer
	// configured, whose days the site keeps too.
	store := history.New(w.data)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for d := 60; d >= 1; d-- {
		var results []uptime.Result
		for h := range 24 {
			at := today.AddDate(0, 0, -d).Add(time.Duration(h) * time.Hour)
			for _, name := range []string{"web", "retired"} {
				results = append(results, uptime.Result{Time: at, Service: name, Status: uptime.Up, Code: 200, MS: int64(40 + h), Attempts: 1})
			}
		}
		if err := store.AddToRollups(results, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Parse(w.config, []byte(toml), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	in, err := site.Load(cfg, w.data, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	held := in.HistoryBytes()
	if held == 0 {
		t.Fatal("the site keeps no past days: nothing to measure")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &logWatch{}
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"run", "--config", w.config, "--data", w.data, "--site", w.site},
			func(k string) string { return map[string]string{"LOG_FORMAT": "json"}[k] }, io.Discard, logs)
	}()
	base := "http://" + waitForListen(t, logs, exit)
	// The run's own checks add today's rollup to what the site keeps: a
	// few bytes for one service.
	want := float64(memoryLimit(1, held))
	var got float64
	until(t, 10*time.Second, logs, func() bool {
		got = scrapeMetrics(t, base)["go_gc_gomemlimit_bytes"]
		return got >= want && got < want+1024
	})
	cancel()
	if code := <-exit; code != ExitOK {
		t.Errorf("run exited %d", code)
	}
}
