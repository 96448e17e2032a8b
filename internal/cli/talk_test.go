package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// unresolvable is a host name that fails in the resolver itself: an empty
// label is not a domain name, so no query leaves the machine.
const unresolvable = "nohost..invalid"

// timedLog keeps each line written and when.
type timedLog struct {
	mu    sync.Mutex
	lines []string
	at    []time.Time
	part  string
}

func (l *timedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part += string(p)
	for {
		line, rest, ok := strings.Cut(l.part, "\n")
		if !ok {
			break
		}
		l.lines, l.at, l.part = append(l.lines, line), append(l.at, time.Now()), rest
	}
	return len(p), nil
}

// with returns the lines holding every one of subs, and when each came.
func (l *timedLog) with(subs ...string) (lines []string, at []time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
next:
	for i, line := range l.lines {
		for _, s := range subs {
			if !strings.Contains(line, s) {
				continue next
			}
		}
		lines, at = append(lines, line), append(at, l.at[i])
	}
	return lines, at
}

func (l *timedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n") + l.part
}

// TestOnceTellsOfRetriesAsTheyHappen: a check that retries says so on
// stderr at each retry (service, "attempt 2 of 3", why), while it waits,
// not after the cycle; a service that answers says nothing.
func TestOnceTellsOfRetriesAsTheyHappen(t *testing.T) {
	w := newWorkspace(t, fmt.Sprintf(`[settings]
retries = 3
retry_delay = "300ms"

[[service]]
name = "refused"
url = "http://%s/healthz"

[[service]]
name = "unresolvable"
url = "http://%s/healthz"

[[service]]
name = "answers"
url = %q
`, closedPort(t), unresolvable, target(t)))
	logs := &timedLog{}
	var out strings.Builder
	code := Run(context.Background(), []string{"once", "--config", w.config, "--data", w.data, "--site", w.site},
		func(string) string { return "" }, &out, logs)
	end := time.Now()
	if code != ExitOK {
		t.Fatalf("once = %d, stderr:\n%s", code, logs)
	}
	for _, svc := range []struct{ name, kind string }{{"refused", "connect"}, {"unresolvable", "dns"}} {
		for _, attempt := range []string{"2 of 3", "3 of 3"} {
			lines, at := logs.with("level=INFO", `msg="check failed; retrying"`, "service="+svc.name, `attempt="`+attempt+`"`, "error="+svc.kind, "detail=")
			if len(lines) != 1 {
				t.Errorf("stderr has %d lines for %s, attempt %s (%s), want 1:\n%s", len(lines), svc.name, attempt, svc.kind, logs)
				continue
			}
			// Attempt 2 is announced before two waits of 300 ms.
			if early := end.Sub(at[0]); attempt == "2 of 3" && early < 400*time.Millisecond {
				t.Errorf("%s: attempt 2 was announced %v before once ended, want while it waited (600 ms of waits)", svc.name, early)
			}
		}
	}
	if lines, _ := logs.with("service=answers"); len(lines) != 0 {
		t.Errorf("a service that answered is logged: %q", lines)
	}
	if lines, _ := logs.with("no network"); len(lines) != 0 {
		t.Errorf("once suspects the network while a service answered: %q", lines)
	}
}

// TestOnceSaysWhenTheMachineMayBeOffline: when every service fails to
// resolve or to connect, one line says the machine itself may have no
// network; any other failure, or one service that answers, says nothing.
func TestOnceSaysWhenTheMachineMayBeOffline(t *testing.T) {
	const service = "\n[[service]]\nname = %q\nurl = %q\n"
	refused, answers := "http://"+closedPort(t)+"/", target(t)
	wrong := newFakeSefaria(t)
	wrong.healthy.Store(false)
	tests := []struct {
		name     string
		services [][2]string
		warned   bool
	}{
		{"all refused or unresolvable", [][2]string{{"a", refused}, {"b", "http://" + unresolvable + "/"}, {"c", refused}}, true},
		{"one answers", [][2]string{{"a", refused}, {"b", answers}}, false},
		{"one answers wrongly", [][2]string{{"a", refused}, {"b", wrong.srv.URL + "/healthz"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			config := "[settings]\nretries = 1\n"
			for _, s := range tc.services {
				config += fmt.Sprintf(service, s[0], s[1])
			}
			w := newWorkspace(t, config)
			code, _, stderr := w.run(t, nil, "once")
			if code != ExitOK {
				t.Fatalf("once = %d, stderr:\n%s", code, stderr)
			}
			n := strings.Count(stderr, "this machine itself may have no network")
			if want := map[bool]int{true: 1, false: 0}[tc.warned]; n != want {
				t.Errorf("stderr says the machine may have no network %d times, want %d:\n%s", n, want, stderr)
			}
		})
	}
}

// TestRunLogsEachCycle: `run` says, once a cycle, how many services are
// up, degraded and down, which are failing below their threshold, and
// how long the cycle took; and each failed check with its kind and
// detail. A check that succeeds adds no line.
func TestRunLogsEachCycle(t *testing.T) {
	refused := "http://" + closedPort(t) + "/healthz"
	w := newWorkspace(t, fmt.Sprintf(`[settings]
interval = "2s"
retries = 1

[[service]]
name = "answers"
url = %q

[[service]]
name = "refused once"
url = %q
failure_threshold = 3

[[service]]
name = "refused and announced"
url = %q
failure_threshold = 1
`, target(t), refused, refused))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &logWatch{msg: "cycle done", n: 1, done: make(chan struct{})}
	done := logs.done
	env := map[string]string{"LOG_FORMAT": "json"}
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"run", "--config", w.config, "--data", w.data, "--site", w.site},
			func(k string) string { return env[k] }, io.Discard, logs)
	}()
	select {
	case <-done:
	case code := <-exit:
		t.Fatalf("run exited %d early:\n%s", code, logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("no cycle done within 20 s:\n%s", logs)
	}
	cancel()
	if code := <-exit; code != ExitOK {
		t.Fatalf("run exited %d:\n%s", code, logs)
	}

	var cycle map[string]any
	failed := map[string]map[string]any{}
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch {
		case m["msg"] == "cycle done" && cycle == nil:
			cycle = m
		case m["msg"] == "check failed":
			failed[fmt.Sprint(m["service"])] = m
		}
		if m["service"] == "answers" {
			t.Errorf("a check that succeeded was logged: %s", line)
		}
	}
	// The first cycle to complete may be the second one run checked: the
	// cycle run starts in can be left incomplete when it starts late in
	// it, so the streak is 1 or 2 of 3.
	if below, _ := cycle["below_threshold"].(string); cycle["level"] != "INFO" || cycle["up"] != 1.0 || cycle["degraded"] != 0.0 ||
		cycle["down"] != 2.0 || below != "refused once 1/3" && below != "refused once 2/3" || cycle["took"] == nil {
		t.Errorf("the cycle's line = %v, want INFO, 1 up, 0 degraded, 2 down, below_threshold \"refused once 1/3\" (or 2/3), took", cycle)
	}
	for _, name := range []string{"refused once", "refused and announced"} {
		m := failed[name]
		if m["level"] != "INFO" || m["error"] != "connect" || !strings.Contains(fmt.Sprint(m["detail"]), "connection refused") {
			t.Errorf("the failed check of %q is logged as %v, want INFO, error connect and its detail", name, m)
		}
	}
}
