package history

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// at parses an RFC 3339 time for tests.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC()
}

func result(t testing.TB, when, service string, st uptime.Status, ms int64) uptime.Result {
	t.Helper()
	r := uptime.Result{Time: at(t, when), Service: service, Status: st, Code: 200, MS: ms, Attempts: 1}
	if st == uptime.Down {
		r.Code, r.Error, r.Detail, r.Attempts = 503, uptime.ErrStatus, "HTTP 503", 3
	}
	return r
}

// line is the encoded form of r, newline included.
func line(r uptime.Result) string { return string(appendResult(nil, &r)) }

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// summaries are service name's summaries of those of days that hold it.
func summaries(days []Day, name string) []DaySummary {
	var out []DaySummary
	for i := range days {
		if s, ok := days[i].Summary(name); ok {
			out = append(out, s)
		}
	}
	return out
}
