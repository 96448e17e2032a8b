package site

import (
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

// spark is a service's response-time chart over 24 hours: the figure's
// contents, chart and caption, numbers and fixed words written here
// (see fill) because at 10,000 rows nine template actions each cost more
// than the chart.
type spark struct{ HTML template.HTML }

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
	path := b.String()
	if path == "" {
		return spark{"\n<figcaption>Response time, 24 h: no successful checks</figcaption>"}
	}
	p50, p95 := ms(r.P50MS), ms(r.P95MS)
	p50y, p95y := y(r.P50MS), y(r.P95MS)
	return spark{fill(
		"\n<svg viewBox=\"0 0 240 40\" role=\"img\" aria-label=\"", "Response time, last 24 hours: median "+p50+", 95th percentile "+p95,
		"\"><line class=\"p95\" x1=\"0\" x2=\"240\" y1=\"", p95y, "\" y2=\"", p95y,
		"\"/><line class=\"p50\" x1=\"0\" x2=\"240\" y1=\"", p50y, "\" y2=\"", p50y,
		"\"/><path d=\"", path,
		"\"/></svg>\n<figcaption>Response time, 24 h: p50 ", p50, " · p95 ", p95,
		"</figcaption>",
	)}
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
