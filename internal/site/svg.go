package site

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sparkline geometry: 48 half-hour points across a 240×40 viewBox.
const (
	sparkW, sparkH = 240, 40
	sparkStep      = sparkW / bucketCount
)

type spark struct {
	HasData    bool
	Path       string        // the median of each half-hour, broken where there is no data
	P50, P95   string        // "120 ms"
	P50Y, P95Y string        // where their reference lines are drawn
	Label      string        // the chart in words, for screen readers
	HTML       template.HTML // the figure's contents, chart and caption
}

func newSpark(r Recent) spark {
	var top int64 = 1
	for _, v := range r.Buckets {
		top = max(top, v)
	}
	top = max(top, r.P95MS)
	scale := float64(sparkH-6) / (float64(top) * 1.1)
	y := func(v int64) string { return strconv.FormatFloat(float64(sparkH-2)-float64(v)*scale, 'f', 1, 64) }

	var b strings.Builder
	pen := false
	for i, v := range r.Buckets {
		if v < 0 {
			pen = false
			continue
		}
		cmd := "L"
		if !pen {
			cmd = "M"
		}
		// A lone point still shows, as a short flat stroke.
		if !pen && (i+1 >= len(r.Buckets) || r.Buckets[i+1] < 0) {
			b.WriteString("M" + strconv.Itoa(i*sparkStep+1) + " " + y(v) + "h" + strconv.Itoa(sparkStep-2))
			continue
		}
		b.WriteString(cmd + strconv.Itoa(i*sparkStep+sparkStep/2) + " " + y(v))
		pen = true
	}
	s := spark{HasData: b.Len() > 0, Path: b.String()}
	if !s.HasData {
		s.Label = "Response time, last 24 hours: no successful checks"
		s.HTML = "\n<figcaption>Response time, 24 h: no successful checks</figcaption>"
		return s
	}
	s.P50, s.P95 = ms(r.P50MS), ms(r.P95MS)
	s.P50Y, s.P95Y = y(r.P50MS), y(r.P95MS)
	s.Label = fmt.Sprintf("Response time, last 24 hours: median %s, 95th percentile %s", s.P50, s.P95)
	s.HTML = s.markup()
	return s
}

// markup is the chart and its caption, the figure's contents: numbers and
// fixed words, written here because at 10,000 rows nine template actions
// each cost more than the chart.
func (s spark) markup() template.HTML {
	b := make([]byte, 0, 256+len(s.Path))
	attr := func(v string) { b = escapeFrom(append(b, v...), len(b)) }
	b = append(b, "\n<svg viewBox=\"0 0 240 40\" role=\"img\" aria-label=\""...)
	attr(s.Label)
	b = append(b, "\"><line class=\"p95\" x1=\"0\" x2=\"240\" y1=\""...)
	attr(s.P95Y)
	b = append(b, "\" y2=\""...)
	attr(s.P95Y)
	b = append(b, "\"/><line class=\"p50\" x1=\"0\" x2=\"240\" y1=\""...)
	attr(s.P50Y)
	b = append(b, "\" y2=\""...)
	attr(s.P50Y)
	b = append(b, "\"/><path d=\""...)
	attr(s.Path)
	b = append(b, "\"/></svg>\n<figcaption>Response time, 24 h: p50 "...)
	attr(s.P50)
	b = append(b, " · p95 "...)
	attr(s.P95)
	b = append(b, "</figcaption>"...)
	return markup(b)
}

// badge is a shields-style SVG: a grey label and a coloured message.
type badge struct {
	Label, Message, Color, Title string
	LabelW, MessageW, Width      int
	LabelX, MessageX             int // text centres, in tenths of a pixel
	LabelLen, MessageLen         int // text lengths, in tenths of a pixel
}

func newBadge(label, message, class string) badge {
	lw, mw := textWidth(label), textWidth(message)
	return badge{
		Label: label, Message: message, Color: badgeColors[class], Title: label + ": " + message,
		LabelW: lw + 10, MessageW: mw + 10, Width: lw + mw + 20,
		LabelX: (lw/2 + 5) * 10, MessageX: (lw + 10 + mw/2 + 5) * 10,
		LabelLen: lw * 10, MessageLen: mw * 10,
	}
}

// badgeColors carry white text at 4.5:1 or better.
var badgeColors = map[string]string{
	"up": "#2e7d32", "degraded": "#8f5500", "down": "#c62828", "maint": "#1f5fa8", "unknown": "#6a6a6a",
}

// textWidth estimates the width of s in 11 px Verdana; textLength makes
// the renderer fit the text to it exactly, so the estimate only sets looks.
func textWidth(s string) int {
	w := 0.0
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && strings.ContainsRune("iljtf.:,;!|' ", r):
			w += 3.9
		case r >= 'A' && r <= 'Z', r == 'm', r == 'w', r == '%':
			w += 8.8
		case r < utf8.RuneSelf:
			w += 6.9
		default:
			w += 9
		}
	}
	return int(w + 0.5)
}

// badgeClass picks an uptime badge's colour.
func uptimeClass(ratio float64, ok bool) string {
	switch {
	case !ok:
		return "unknown"
	case ratio >= 0.999:
		return "up"
	case ratio >= 0.99:
		return "degraded"
	}
	return "down"
}
