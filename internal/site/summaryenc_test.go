package site

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// referenceSummary is how status.json was encoded before encodeSummary:
// the standard it is held to.
func referenceSummary(t *testing.T, s *summary) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEncodeSummary compares encodeSummary with encoding/json over random
// summaries: hostile names and descriptions, nil and empty lists, null and
// present optional fields, incidents and maintenances with components.
func TestEncodeSummary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	str := func() string { return pick(rng) }
	opt := func() *string {
		if rng.IntN(2) == 0 {
			return nil
		}
		return ptr(str())
	}
	members := func() []string { // a group's: none, an empty list (omitted), or some
		switch n := rng.IntN(4); n {
		case 0:
			return nil
		case 1:
			return []string{}
		default:
			ids := make([]string, n-1)
			for k := range ids {
				ids[k] = str()
			}
			return ids
		}
	}
	component := func(i int) summaryComponent {
		return summaryComponent{
			ID: str(), Name: str(), Status: str(), CreatedAt: str(), UpdatedAt: str(),
			Position: i - rng.IntN(3), Description: opt(), Showcase: rng.IntN(2) == 0,
			StartDate: opt(), GroupID: opt(), PageID: str(), Group: rng.IntN(2) == 0,
			OnlyShowIfDegraded: rng.IntN(2) == 0, Components: members(),
		}
	}
	incidents := func() []summaryIncident {
		switch rng.IntN(3) {
		case 0:
			return nil
		case 1:
			return []summaryIncident{}
		}
		in := summaryIncident{ID: str(), Name: str(), Shortlink: str(), ScheduledFor: opt(),
			IncidentUpdates: []summaryUpdate{{ID: str(), Body: str()}},
			Components:      []summaryComponent{component(1)}}
		return []summaryIncident{in, {ID: str()}}
	}
	for i := range 300 {
		s := summary{
			Page:                  summaryPage{ID: str(), Name: str(), URL: str(), TimeZone: "Etc/UTC", UpdatedAt: str()},
			Incidents:             incidents(),
			ScheduledMaintenances: incidents(),
			Status:                summaryStatus{Indicator: str(), Description: str()},
		}
		switch n := rng.IntN(6); n {
		case 0:
		case 1:
			s.Components = []summaryComponent{}
		default:
			for k := range n {
				s.Components = append(s.Components, component(k+1))
			}
		}
		got, err := encodeSummary(&s)
		if err != nil {
			t.Fatalf("summary %d: %v", i, err)
		}
		if want := referenceSummary(t, &s); !bytes.Equal(got, want) {
			t.Fatalf("summary %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// hostile is text a service name, a notice's file name or its title may
// hold.
var hostile = []string{
	"", "Linker API", `<script>alert("x")</script>`, "a&b", "C++ & 'C'", "100%", "%41%zz%4",
	"\x00nul", "bad\xffutf8\xc3", "עברית", "mixed ltr עב rtl", "a/b?c=d#e", "!$*,;:@[]",
	"spaces and\ttabs", "~._-", "é", "😀 emoji",
}

func pick(rng *rand.Rand) string {
	s := hostile[rng.IntN(len(hostile))]
	if rng.IntN(3) == 0 {
		s += hostile[rng.IntN(len(hostile))]
	}
	return s
}
