package site

import "strings"

// badge is a shields-style SVG: a grey label and a coloured message, laid
// out as badge-maker's flat style lays them out (TestBadgeMatchesShields
// holds the two together), so a badge beside shields' badges in a README
// lines up with them and its words keep their shapes.
type badge struct {
	Label, Message, Color, Title string
	LabelW, MessageW, Width      int
	LabelX, MessageX             int // text centres, in tenths of a pixel
	// Text widths in tenths of a pixel, for textLength; 0 for a text
	// with a character the table has no width for (see textLength).
	LabelLen, MessageLen int
}

// newBadge lays out a badge. label and message are never empty.
func newBadge(label, message, class string) badge {
	// Trimmed, as badge-maker trims them.
	label, message = strings.TrimSpace(label), strings.TrimSpace(message)
	lw, lguess := textWidth(label)
	mw, mguess := textWidth(message)
	const pad = 5 // each side of a text
	return badge{
		Label: label, Message: message, Color: badgeColors[class], Title: label + ": " + message,
		LabelW: lw + 2*pad, MessageW: mw + 2*pad, Width: lw + mw + 4*pad,
		// badge-maker's centres: the label's one pixel in, the message's
		// one pixel back over the seam.
		LabelX: 10*(1+pad) + 5*lw, MessageX: 10*(lw+2*pad-1+pad) + 5*mw,
		LabelLen: textLength(lw, lguess), MessageLen: textLength(mw, mguess),
	}
}

// textLength is the textLength of a text w pixels wide. badge-maker
// always sets it, so that the renderer spaces the letters to fill the
// width measured: a close fit when the table knows every character, but
// letters spread apart when it guessed (every Hebrew letter counts as an
// "m", wider than it is). A guessed text keeps its natural spacing
// instead, centred in its box, which the guess makes roomy.
func textLength(w int, guessed bool) int {
	if guessed {
		return 0
	}
	return w * 10
}

// isolate wraps a name that goes into a longer label in FIRST STRONG
// ISOLATE ... POP DIRECTIONAL ISOLATE: a Hebrew name followed by " 30 d"
// would otherwise take the digits into its right-to-left run, and the
// label would read "30 <name> d". The marks have no width.
func isolate(name string) string { return "\u2068" + name + "\u2069" }

// badgeColors carry white text at 4.5:1 or better.
var badgeColors = map[string]string{
	"up": "#2e7d32", "degraded": "#8f5500", "down": "#c62828", "maint": "#1f5fa8", "unknown": "#6a6a6a",
}

// textWidth is s's width in whole pixels as badge-maker reserves it: 11 px
// Verdana, truncated, then rounded up to an odd number so that the text's
// centre falls on a half pixel. guessed reports a character the table has
// no width for.
func textWidth(s string) (w int, guessed bool) {
	f, guessed := verdanaWidth(s)
	if w = int(f); w%2 == 0 {
		w++
	}
	return w, guessed
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
