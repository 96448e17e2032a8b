package probe

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDetail is the longest detail kept, in runes.
const maxDetail = 200

// urlPattern finds URLs in free text. It stops at quotes and angle brackets
// so that Go's `Get "https://…": …` errors yield the bare URL.
var urlPattern = regexp.MustCompile("(?i)\\b[a-z][a-z0-9+.-]*://[^\\s\"'<>`]+")

// Sanitize makes remote or error text safe to store in a public repository:
// valid UTF-8 (invalid bytes replaced), no control or bidi-override/isolate
// characters, URL userinfo and query strings removed from any URL in the
// text, at most 200 runes (cut on a rune). Runs of white space become one
// space, so a multi-line error reads as one line.
func Sanitize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t', r == '\n', r == '\r', r == '\u2028', r == '\u2029':
			return ' '
		case unicode.IsControl(r), isBidiControl(r), r == '\uFEFF':
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	s = urlPattern.ReplaceAllStringFunc(s, scrubURL)
	if utf8.RuneCountInString(s) > maxDetail {
		s = string([]rune(s)[:maxDetail-1]) + "…"
	}
	return s
}

// isBidiControl reports the invisible characters that reorder text
// (marks, embeddings, overrides, isolates): in a public page or a git diff
// they can make a line read differently from what it holds.
func isBidiControl(r rune) bool {
	switch {
	case r == '\u061C', r == '\u200E', r == '\u200F':
		return true
	case r >= '\u202A' && r <= '\u202E':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// scrubURL drops a URL's userinfo, query string and fragment.
func scrubURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	scheme, rest, _ := strings.Cut(u, "://")
	authority, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	return scheme + "://" + authority + path
}
