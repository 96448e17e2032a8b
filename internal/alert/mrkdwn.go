package alert

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Block Kit limits, in runes after escaping.
const (
	maxBlocks      = 50
	maxHeader      = 150
	maxSection     = 3000
	maxFields      = 10
	maxField       = 2000
	maxText        = 40000         // Slack truncates a message's text beyond this
	sectionsPerMsg = maxBlocks - 2 // a header and a context line around them
	// maxBlocksText bounds the text of all of a message's blocks together.
	// Slack refuses more than about 12,000 characters in all
	// (msg_blocks_too_long, slackapi/bolt-js#2509), a limit it does not
	// document; this keeps a margin under it.
	maxBlocksText = 10000
	maxLine       = 400 // one item's line in a list of many
)

// escaper makes configured or remote text inert in mrkdwn: "<!channel>",
// "<@U123>" and "<https://x|y>" show as typed and ping or link nothing.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string { return escaper.Replace(s) }

// cut shortens s to at most n runes, ending in "…" when it had to cut. It
// never splits a rune, nor an entity escape produced by escape.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	runes := []rune(s)[:n-1]
	// "&amp;" cut to "&am" would show as garbage: drop the partial entity.
	for i := len(runes) - 1; i >= 0 && i >= len(runes)-4; i-- {
		if runes[i] == ';' {
			break
		}
		if runes[i] == '&' {
			runes = runes[:i]
			break
		}
	}
	return string(runes) + "…"
}

// escapeCut escapes s for mrkdwn and fits it in n runes.
func escapeCut(s string, n int) string { return cut(escape(s), n) }

// utcText is a time as every reader can compare it: "2026-03-01 12:00 UTC".
func utcText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// stamp is a time in UTC and, on a second line, in each reader's own zone
// (Slack renders the date token locally; the fallback is the UTC text).
func stamp(t time.Time) string { return utcText(t) + "\n" + dateToken(t) }

// dateToken is Slack's local-time rendering of t, with the UTC text as its fallback.
func dateToken(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), utcText(t))
}

// duration is how long an outage lasted, read as the page reads it.
func duration(d time.Duration) string { return uptime.DurationText(d) }

// publicURL is a service's URL fit to show: no userinfo, query or fragment
// (they may hold tokens). "" when it does not parse.
func publicURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// link is a mrkdwn link to rawURL labelled with its host, or "" when the
// URL is not http(s). The URL is escaped and "|" encoded, so neither can
// end the link early or relabel it.
func link(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	target := strings.ReplaceAll(escape(publicURL(rawURL)), "|", "%7C")
	return "<" + target + "|" + escape(u.Host) + ">"
}
