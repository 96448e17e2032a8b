package probe

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// minSecretPart is the shortest piece of a secret header value redacted on
// its own: shorter pieces ("Bearer", "key") are words, not credentials.
const minSecretPart = 8

// redactSecrets replaces every secret of svc in s — its secret header
// values and its proxy's password — whole or in pieces, with
// <secret>. A service that echoes its credentials in a JSON field or an
// error would otherwise have them quoted in a detail and committed to a
// public history. The pieces matter because the secret is usually only
// part of the value ("Bearer <token>", "key-<token>") and the service may
// echo just that part.
func redactSecrets(s string, svc uptime.Service) string {
	var values []string
	for _, h := range svc.Headers {
		if h.Secret {
			values = append(values, h.Value)
		}
	}
	if u, err := url.Parse(svc.Proxy); err == nil && u.User != nil {
		pw, _ := u.User.Password()
		values = append(values, u.User.String(), pw)
	}
	var secrets []string
	for _, v := range values {
		if v == "" {
			continue
		}
		secrets = append(secrets, v)
		for _, part := range strings.FieldsFunc(v, func(r rune) bool {
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
