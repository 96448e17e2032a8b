package tracker

import (
	"regexp"
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
