package probe

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// minSecretPart is the shortest piece of a secret header value redacted on
// its own: shorter pieces ("Bearer", "key") are words, not credentials.
const minSecretPart = 8

// redactSecrets replaces every secret header value of headers in s, whole
// or in pieces, with <secret>. A service that echoes its credentials in a
// JSON field or an error would otherwise have them quoted in a detail and
// committed to a public history. The pieces matter because the secret is
// usually only part of the value ("Bearer <token>", "key-<token>") and
// the service may echo just that part.
func redactSecrets(s string, headers []uptime.Header) string {
	var secrets []string
	for _, h := range headers {
		if !h.Secret || h.Value == "" {
			continue
		}
		secrets = append(secrets, h.Value)
		for _, part := range strings.FieldsFunc(h.Value, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) {
			if utf8.RuneCountInString(part) >= minSecretPart {
				secrets = append(secrets, part)
			}
		}
	}
	// Longest first, so a whole value goes before its pieces.
	slices.SortFunc(secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "<secret>")
	}
	return s
}
