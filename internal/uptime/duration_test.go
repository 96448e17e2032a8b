package uptime

import (
	"testing"
	"time"
)

func TestDurationText(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{-time.Second, "0 s"},
		{0, "0 s"},
		{300 * time.Millisecond, "1 s"}, // something happened: never "0 s"
		{1499 * time.Millisecond, "1 s"},
		{1500 * time.Millisecond, "2 s"},
		{45 * time.Second, "45 s"},
		{59*time.Second + 600*time.Millisecond, "1 min"},
		{60 * time.Second, "1 min"},
		{90 * time.Second, "1 min 30 s"}, // the outage issue 15 saw read three ways
		{12*time.Minute + 17*time.Second, "12 min 17 s"},
		{59*time.Minute + 59*time.Second + 600*time.Millisecond, "1 h"},
		{time.Hour + 29*time.Second, "1 h"},
		{time.Hour + 30*time.Second, "1 h 1 min"},
		{3*time.Hour + 5*time.Minute, "3 h 5 min"},
		{time.Hour + 59*time.Minute + 40*time.Second, "2 h"},
		{23*time.Hour + 59*time.Minute + 40*time.Second, "1 d"},
		{24 * time.Hour, "1 d"},
		{52*time.Hour + 29*time.Minute, "2 d 4 h"},
		{52*time.Hour + 30*time.Minute, "2 d 5 h"},
		{400 * 24 * time.Hour, "400 d"},
	}
	for _, tc := range tests {
		if got := DurationText(tc.in); got != tc.want {
			t.Errorf("DurationText(%v) = %q, want %q", tc.in, got, tc.want)
		}
		if got := string(AppendDuration([]byte("x "), tc.in)); got != "x "+tc.want {
			t.Errorf("AppendDuration(%q, %v) = %q, want %q", "x ", tc.in, got, "x "+tc.want)
		}
	}
}
