package site

import (
	"regexp"
	"strings"
)

// notePatterns are the parts of a quorum note (package quorum's note:
// "Down from 1 of 3 locations: eu-west; no answer from ap-south"), each
// with its location names taken out: the part's phrase is translated with
// the names put back afterwards, so the table holds one line per kind of
// part, not one per set of locations.
var notePatterns = []struct {
	re    *regexp.Regexp
	names bool // the part ends with location names, its second group
}{
	{regexp.MustCompile(`^([Dd]own from \d+ of \d+ locations: )(.+)$`), true},
	{regexp.MustCompile(`^([Dd]own from )(.+)$`), true},
	{regexp.MustCompile(`^([Nn]o answer from )(.+)$`), true},
	{regexp.MustCompile(`^(Only \d+ of \d+ locations could tell, quorum \d+)$`), false},
}

// Note translates a quorum note, part by part; a part it does not know
// stays as written (English), rather than disappear. Location names are
// isolated, so that in a right-to-left page "eu-west, us-east" keeps its
// order.
func (l *lang) Note(note string) string {
	if l == nil || l.Code == sourceLang || note == "" {
		return note
	}
	parts := strings.Split(note, "; ")
	for i, part := range parts {
		for _, p := range notePatterns {
			m := p.re.FindStringSubmatch(part)
			switch {
			case m == nil:
				continue
			case !p.names:
				parts[i] = l.T(m[1])
			default:
				names := strings.Split(m[2], ", ")
				for j, n := range names {
					names[j] = isolate(n)
				}
				parts[i] = fill(l.T(m[1]+"{names}"), "names", strings.Join(names, l.T(", ")))
			}
			break
		}
	}
	return strings.Join(parts, l.T("; "))
}
