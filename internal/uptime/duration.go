package uptime

import (
	"strconv"
	"time"
)

// DurationText is how every reader sees a length of time: the page's
// incidents, feed, daily table and bar, Slack and the logs. So one 90 s
// outage reads "1 min 30 s" everywhere.
//
// It shows the two largest units ("45 s", "1 min 30 s", "3 h 5 min",
// "2 d 4 h"), dropping a second unit that is zero ("12 min", "3 h"). The
// duration is rounded to the nearest of the smaller unit shown, halves up,
// so 1 h 59 min 40 s reads "2 h". A positive duration reads at least
// "1 s", never as if nothing happened; zero and less read "0 s".
func DurationText(d time.Duration) string {
	return string(AppendDuration(make([]byte, 0, 16), d))
}

// AppendDuration appends DurationText(d) to b, for the page's hot loops.
func AppendDuration(b []byte, d time.Duration) []byte {
	if d <= 0 {
		return append(b, "0 s"...)
	}
	d = max(d.Round(time.Second), time.Second)
	// Rounding may carry into the next unit (59 min 59.6 s is 1 h), which
	// then shows the next pair; round again at that pair's precision.
	if d >= time.Hour {
		d = d.Round(time.Minute)
	}
	if d >= 24*time.Hour {
		d = d.Round(time.Hour)
	}
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return unit(b, s, " s")
	case s < 3600:
		return pair(b, s/60, " min", s%60, " s")
	case s < 86400:
		return pair(b, s/3600, " h", s%3600/60, " min")
	}
	return pair(b, s/86400, " d", s%86400/3600, " h")
}

func pair(b []byte, big int64, bigUnit string, small int64, smallUnit string) []byte {
	b = unit(b, big, bigUnit)
	if small == 0 {
		return b
	}
	return unit(append(b, ' '), small, smallUnit)
}

func unit(b []byte, n int64, name string) []byte {
	return append(strconv.AppendInt(b, n, 10), name...)
}
