package alert

import (
	"fmt"
	"strings"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// withLocations adds, for a DOWN that several locations confirmed, the
// field naming each of them with its own error: who saw what tells a
// regional problem from a global one. A single-location DOWN is unchanged.
func withLocations(t uptime.Transition, fields ...string) []string {
	if len(t.Locations) == 0 {
		return fields
	}
	lines := make([]string, len(t.Locations))
	for i, l := range t.Locations {
		p := problem(uptime.Transition{Code: l.Code, Error: l.Error, Detail: l.Detail})
		lines[i] = "*" + escape(l.Location) + "*: " + strings.ReplaceAll(p, "\n", " · ")
	}
	label := fmt.Sprintf("Confirmed from %d locations", len(t.Locations))
	if len(t.Locations) == 1 {
		label = "Confirmed from 1 location"
	}
	return append(fields, field(label, strings.Join(lines, "\n")))
}

// fromLocations is ", from us-east, eu-west" for the notification line of
// a DOWN that several locations confirmed, "" otherwise.
func fromLocations(t uptime.Transition) string {
	if len(t.Locations) == 0 {
		return ""
	}
	names := make([]string, len(t.Locations))
	for i, l := range t.Locations {
		names[i] = escape(l.Location)
	}
	return ", from " + strings.Join(names, ", ")
}
