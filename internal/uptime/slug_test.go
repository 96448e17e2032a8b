package uptime

import (
	"regexp"
	"strings"
	"testing"
)

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sefaria.org", "sefaria-org"},
		{"MCP Server", "mcp-server"},
		{"AI Chatbot", "ai-chatbot"},
		{"Linker", "linker"},
		{"  --Linker--  ", "linker"},
		{"a__b..c", "a-b-c"},
		{"API v2 (beta)", "api-v2-beta"},
		{"Café", "caf"},
		{"ספריא API", "api"},
		{"ספריא", "service-3294362e"},
		{"\u212A", "service-2bc4fb87"}, // the Kelvin sign lowercases to ASCII k in Unicode; not here
		{"", "service-e3b0c442"},
		{"---", "service-cb3f91d5"},
		// Longer than MaxSlug: 55 bytes, "-" and a hash of the whole slug.
		{strings.Repeat("a", 240), strings.Repeat("a", 55) + "-9b304390"},
		{strings.Repeat("x", 54) + ".yz" + strings.Repeat("q", 20), strings.Repeat("x", 54) + "-59c6e719"}, // no "--"
		{strings.TrimSpace(strings.Repeat("Sefaria main website behind Cloudflare checked through healthz ", 4)),
			"sefaria-main-website-behind-cloudflare-checked-through-48c23052"},
	}
	shape := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	for _, tt := range tests {
		got := Slug(tt.in)
		if got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !shape.MatchString(got) {
			t.Errorf("Slug(%q) = %q, want only [a-z0-9] runs joined by single dashes", tt.in, got)
		}
	}
}

// TestSlugBounded: a slug always makes a legal file name (services/<slug>.html,
// badges/<slug>-uptime.svg and their ".…tmp-…" siblings), the same name
// always gives the same slug, and long names that differ only past the
// kept prefix get different slugs.
func TestSlugBounded(t *testing.T) {
	long := strings.Repeat("Sefaria ", 30) // 240 bytes
	names := []string{long + "A", long + "B", long + "Linker", strings.Repeat("ש", 200) + "x", strings.Repeat("x-", 200)}
	seen := map[string]string{}
	for _, name := range names {
		got := Slug(name)
		if len(got) > MaxSlug {
			t.Errorf("Slug(%.20q…) = %q, %d bytes; want at most %d", name, got, len(got), MaxSlug)
		}
		if again := Slug(name); again != got {
			t.Errorf("Slug(%.20q…) = %q, then %q; want the same every time", name, got, again)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("Slug(%.20q…) = Slug(%.20q…) = %q; want distinct slugs", name, other, got)
		}
		seen[got] = name
	}
	// Case and punctuation still fold together, however long the name.
	if a, b := Slug(long+"A"), Slug(strings.ToLower(long)+"a."); a != b {
		t.Errorf("Slug of a long name = %q, of its lower case = %q; want one slug", a, b)
	}
}
