package tracker

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Slug is a service name made safe for incident ids, file names and URLs:
// ASCII letters lowercased and digits kept, every run of anything else
// (spaces, punctuation, non-ASCII letters) turned into one "-", none at
// either end. "MCP Server" → "mcp-server", "sefaria.org" → "sefaria-org".
// A name with no ASCII letter or digit at all (Hebrew, say) becomes
// "service-" and the first 8 hex digits of its SHA-256, so it is still
// stable and distinct. Names differing only in case or punctuation share a
// slug.
func Slug(name string) string {
	var b strings.Builder
	gap := false
	for _, r := range name {
		switch {
		case 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		default:
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte('-')
		}
		gap = false
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		sum := sha256.Sum256([]byte(name))
		return "service-" + hex.EncodeToString(sum[:4])
	}
	return b.String()
}
