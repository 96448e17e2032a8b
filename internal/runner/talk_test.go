package runner

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestLogCycleAtTenThousandServices: a cycle of 10,000 services, 500 of
// them failing below their threshold, is one line naming the first ten.
func TestLogCycleAtTenThousandServices(t *testing.T) {
	var logs bytes.Buffer
	r := &Runner{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	rep := &Report{Streaks: map[string]int{}, Duration: 1234567 * time.Microsecond}
	thresholds := map[string]int{}
	for i := range 10000 {
		name := fmt.Sprintf("svc-%05d", i)
		res := uptime.Result{Service: name, Status: uptime.Up}
		thresholds[name] = 2
		if i%20 == 0 {
			res.Status, res.Error = uptime.Down, uptime.ErrStatus
			rep.Streaks[name] = 1
		}
		rep.Results = append(rep.Results, res)
	}
	r.logCycle(rep, thresholds)
	got := strings.TrimSpace(logs.String())
	want := `level=INFO msg="cycle done" up=9500 degraded=0 down=500 below_threshold="svc-00000 1/2, svc-00020 1/2, ` +
		`svc-00040 1/2, svc-00060 1/2, svc-00080 1/2, svc-00100 1/2, svc-00120 1/2, svc-00140 1/2, svc-00160 1/2, ` +
		`svc-00180 1/2 and 490 more" transitions=0 took=1.235s`
	if strings.Count(got, "\n") != 0 || !strings.HasSuffix(got, want) {
		t.Errorf("logCycle wrote\n%s\nwant one line ending\n%s", got, want)
	}
}
