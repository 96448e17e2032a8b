package history

import (
	"testing"
	"time"
)

func TestPruneDue(t *testing.T) {
	const at3 = 3 * time.Hour
	cases := []struct {
		name      string
		now, last string
		want      bool
	}{
		{"never pruned", "2026-03-02T10:00:00Z", "0001-01-01T00:00:00Z", true},
		{"just before 03:00, pruned yesterday at 03:00", "2026-03-02T02:59:59Z", "2026-03-01T03:00:05Z", false},
		{"at 03:00, pruned yesterday at 03:00", "2026-03-02T03:00:00Z", "2026-03-01T03:00:05Z", true},
		{"just after 03:00, pruned yesterday", "2026-03-02T03:00:01Z", "2026-03-01T03:00:05Z", true},
		{"just after 03:00, already pruned at 03:00", "2026-03-02T03:01:00Z", "2026-03-02T03:00:00Z", false},
		{"before 03:00, pruned at yesterday's 03:00 exactly", "2026-03-02T01:00:00Z", "2026-03-01T03:00:00Z", false},
		{"before 03:00, last prune older than yesterday's 03:00", "2026-03-02T01:00:00Z", "2026-03-01T02:59:00Z", true},
		{"once catch-up: first run at 09:17, last prune two days ago", "2026-03-02T09:17:00Z", "2026-02-28T03:04:00Z", true},
		{"once catch-up: next run 5 minutes later", "2026-03-02T09:22:00Z", "2026-03-02T09:17:00Z", false},
		{"once: pruned at 23:50 yesterday, now 02:00", "2026-03-02T02:00:00Z", "2026-03-01T23:50:00Z", false},
		{"once: pruned at 23:50 yesterday, now 04:00", "2026-03-02T04:00:00Z", "2026-03-01T23:50:00Z", true},
		{"a non-UTC now is read in UTC", "2026-03-02T04:30:00+02:00", "2026-03-01T03:00:00Z", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now, _ := time.Parse(time.RFC3339, c.now)
			last, _ := time.Parse(time.RFC3339, c.last)
			if got := PruneDue(now, last, at3); got != c.want {
				t.Errorf("PruneDue(%s, %s, 3h) = %v, want %v", c.now, c.last, got, c.want)
			}
		})
	}
}
