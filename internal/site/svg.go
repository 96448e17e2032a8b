package site

import (
	"strings"
	"unicode/utf8"
)

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
