package uptime

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// MaxSlug bounds a slug's length in bytes. A slug names the service's
// page and badges (services/<slug>.html, badges/<slug>-uptime.svg and
// their temporary ".<name>.tmp-…" files while written) and starts its
// incident ids, so a bound far below the 255 bytes a file name may have
// keeps every one of them legal for any name.
const MaxSlug = 64

// Slug is a service name made safe for incident ids, file names and URLs:
// ASCII letters lowercased and digits kept, every run of anything else
// (spaces, punctuation, non-ASCII letters) turned into one "-", none at
// either end. "MCP Server" → "mcp-server", "sefaria.org" → "sefaria-org".
// A name with no ASCII letter or digit at all (Hebrew, say) becomes
// "service-" and the first 8 hex digits of its SHA-256, so it is still
// stable and distinct. A slug longer than MaxSlug keeps its first 55
// bytes and ends in "-" and 8 hex digits of the whole slug's SHA-256, so
// long names that differ only near their end still get their own. Names
// differing only in case or punctuation share a slug (config refuses
// them).
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
		return "service-" + shortHash(name)
	}
	slug := b.String()
	if len(slug) <= MaxSlug {
		return slug
	}
	head := strings.TrimRight(slug[:MaxSlug-9], "-")
	return head + "-" + shortHash(slug)
}

// shortHash is the first 8 hex digits of s's SHA-256.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}
