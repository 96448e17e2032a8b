package site

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
)

// A response-time chart's values; the "chart" template draws it as inline
// SVG with its axes' labels in HTML beside it, so they stay legible when
// the plot stretches to the row's width.

// chart is one response-time chart: p50 and p95 lines over a plot of
// chartW × chartH, labelled axes in ms, and a gap wherever a point is
// missing.
type chart struct {
	Week     bool     // the 7-day chart, a point a day; else the last 24 hours by half-hour
	P50, P95 string   // the window's percentiles, "123 ms" (24 hours); "" without data
	Low      string   // the 7-day chart's lowest daily p50, "265 ms"
	High     string   // the 7-day chart's highest daily p95
	YTicks   []string // top to bottom: "500 ms", "250 ms", "0 ms"
	XDates   []string // the 7-day chart's first and middle dates: "18 Nov", "21 Nov"
	// Paths are SVG path data in the plot's coordinates: the lines, and
	// a dot on every point that has no neighbour to join (or on every
	// point, when there are few), so three points read as three.
	P50Line, P95Line, P50Dots, P95Dots string
	Large                              bool // the service page's size
}

const chartW, chartH = 480, 100

// dayChart is the last 24 hours, by half-hour.
func dayChart(r Recent) chart {
	c := newChart(r.Buckets, r.Buckets95)
	if c.P50Line != "" {
		c.P50, c.P95 = ms(r.P50MS), ms(r.P95MS)
	}
	return c
}

// weekChart is the last 7 days ending today, a point a day, from the
// daily rollups' percentiles of a service's days.
func weekChart(days []history.DaySummary, today time.Time) chart {
	p50, p95 := make([]int64, 7), make([]int64, 7)
	var byDay [7]*history.DaySummary
	for i := range days {
		if d := 6 - int(today.Sub(days[i].Start)/(24*time.Hour)); d >= 0 && d < 7 && days[i].Start.Equal(today.AddDate(0, 0, d-6)) {
			byDay[d] = &days[i]
		}
	}
	var lo, hi int64 = -1, -1
	for i := range 7 {
		p50[i], p95[i] = -1, -1
		sd := byDay[i]
		if sd == nil || !sd.Answered {
			continue
		}
		p50[i], p95[i] = sd.P50MS, sd.P95MS
		if lo < 0 || sd.P50MS < lo {
			lo = sd.P50MS
		}
		hi = max(hi, sd.P95MS)
	}
	c := newChart(p50, p95)
	c.Week, c.Large = true, true
	c.XDates = []string{today.AddDate(0, 0, -6).Format(shortDate), today.AddDate(0, 0, -3).Format(shortDate)}
	if c.P50Line != "" {
		c.Low, c.High = ms(lo), ms(hi)
	}
	return c
}

// newChart scales p50 and p95 (-1 where missing) to the plot: the y axis
// from 0 to a round number above the highest p95.
func newChart(p50, p95 []int64) chart {
	var c chart
	var top int64
	points := 0
	for i, v := range p50 {
		if v >= 0 {
			points++
			top = max(top, v, p95[i])
		}
	}
	if points == 0 {
		return c
	}
	top = niceCeil(top + top/10)
	c.YTicks = []string{ms(top), ms(top / 2), "0 ms"}
	step := float64(chartW) / float64(len(p50))
	x := func(i int) float64 { return (float64(i) + 0.5) * step }
	y := func(v int64) float64 { return float64(chartH) * (1 - float64(v)/float64(top)) }
	c.P50Line, c.P50Dots = paths(p50, x, y, points <= 12)
	c.P95Line, c.P95Dots = paths(p95, x, y, points <= 12)
	return c
}

// paths are the line through the points present, broken at every missing
// one, and the dots: on lone points, or on all of them.
func paths(vs []int64, x func(int) float64, y func(int64) float64, all bool) (line, dots string) {
	var l, d strings.Builder
	num := func(b *strings.Builder, f float64) {
		b.WriteString(strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64))
	}
	for i, v := range vs {
		if v < 0 {
			continue
		}
		joined := i > 0 && vs[i-1] >= 0
		if joined {
			l.WriteByte('L')
		} else {
			l.WriteByte('M')
		}
		num(&l, x(i))
		l.WriteByte(' ')
		num(&l, y(v))
		alone := !joined && (i+1 == len(vs) || vs[i+1] < 0)
		if all || alone {
			d.WriteByte('M')
			num(&d, x(i))
			d.WriteByte(' ')
			num(&d, y(v))
			d.WriteString("h0")
		}
	}
	return l.String(), d.String()
}

// niceCeil is the smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a
// power of ten that is at least v (and at least 10), so the axis and its
// middle read in round numbers.
func niceCeil(v int64) int64 {
	v = max(v, 10)
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{10, 15, 20, 25, 30, 40, 50, 60, 80} {
			if n := m * p / 10; n >= v && n*10 == m*p {
				return n
			}
		}
	}
}
