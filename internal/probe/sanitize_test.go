package probe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "HTTP 503 from GET https://www.sefaria.org/healthz", "HTTP 503 from GET https://www.sefaria.org/healthz"},
		{"hebrew kept", "שגיאה בשרת: בראשית 1:1", "שגיאה בשרת: בראשית 1:1"},
		{"right-to-left override", "ok\u202Etxt.exe", "oktxt.exe"},
		{"isolates", "\u2066a\u2067b\u2068c\u2069", "abc"},
		{"marks", "\u200Eleft\u200Fright\u061C", "leftright"},
		{"embeddings", "\u202Aa\u202Bb\u202Cc\u202Dd", "abcd"},
		{"NUL and DEL", "a\x00b\x7fc", "abc"},
		{"C1 control", "a\u0085b", "ab"},
		{"BOM", "\uFEFFtext", "text"},
		{"newlines become one space", "line one\r\n\tline two\u2028three", "line one line two three"},
		{"invalid UTF-8", "bad \xff\xfe byte", "bad \uFFFD byte"},
		{"userinfo and query", "https://user:pass@host/p?token=x", "https://host/p"},
		{"quoted url in go error", `Get "https://u:p@host:8443/a/b?key=s3cret#frag": EOF`, `Get "https://host:8443/a/b": EOF`},
		{"url without path", "see http://admin@example.org?x=1 now", "see http://example.org now"},
		{"fragment", "https://host/p#secret", "https://host/p"},
		{"two urls", "https://a/x?t=1 -> http://b/y?t=2", "https://a/x -> http://b/y"},
		{"bidi hidden in url", "https://user:pa\u202Ess@host/p?t\u2066oken=x", "https://host/p"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sanitize(tt.in); got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeLength(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		runes int
	}{
		{"short kept whole", strings.Repeat("a", 200), 200},
		{"ascii cut", strings.Repeat("a", 500), 200},
		{"hebrew cut on a rune", strings.Repeat("ש", 300), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sanitize(tt.in)
			if n := utf8.RuneCountInString(got); n != tt.runes || !utf8.ValidString(got) {
				t.Errorf("Sanitize(%d runes) = %d runes (valid %v), want %d", utf8.RuneCountInString(tt.in), n, utf8.ValidString(got), tt.runes)
			}
		})
	}
}
