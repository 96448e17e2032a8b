package publish

import (
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name         string
		now, last    time.Time
		transitioned bool
		want         bool
	}{
		{"never published", t0, time.Time{}, false, true},
		{"1 minute after", t0.Add(time.Minute), t0, false, false},
		{"1 minute after, with a transition", t0.Add(time.Minute), t0, true, true},
		{"just before every", t0.Add(5*time.Minute - time.Second), t0, false, false},
		{"exactly every", t0.Add(5 * time.Minute), t0, false, true},
		{"long after", t0.Add(time.Hour), t0, false, true},
	}
	for _, c := range cases {
		if got := Due(c.now, c.last, 5*time.Minute, c.transitioned); got != c.want {
			t.Errorf("%s: Due(%v, %v, 5m, %v) = %v, want %v", c.name, c.now, c.last, c.transitioned, got, c.want)
		}
	}
}
