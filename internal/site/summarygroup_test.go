package site

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/templates"
)

// groupsInput is a site with groups as the config writes them: a group
// with a service down and a private one, a group of one degraded service,
// a group of private services only, services without a group, one of them
// named as a group's id would be.
func groupsInput(t *testing.T) Input {
	t.Helper()
	return scenarioWith(t,
		[]svc{{"Web", 2, "uuu"}, {"API", 2, "uuu"}, {"Secret backend", 2, "ddd"}, {"Linker", 2, "udd"},
			{"Hidden cron", 2, "uuu"}, {"Chat", 2, "ugg"}, {"Group APIs", 2, "uuu"}},
		map[string]string{
			"API": `group = "APIs"`, "Linker": `group = "APIs"`, "Secret backend": "group = \"APIs\"\npublic = false",
			"Hidden cron": "group = \"Internal\"\npublic = false", "Chat": `group = "AI"`,
		})
}

// TestStatusJSONGroups reads status.json's components as a Statuspage
// client does: each group is a component with group true, its services'
// worst status and their ids, and each of them names it in group_id;
// private services are in neither, and a group of private services only
// is absent. Groups sit where the index shows them, positions count from 1.
func TestStatusJSONGroups(t *testing.T) {
	files, err := Files(templates.FS, groupsInput(t))
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	js := files["status.json"]
	for _, private := range []string{"Secret backend", "secret-backend", "Hidden cron", "hidden-cron", "Internal"} {
		if strings.Contains(string(js), private) {
			t.Errorf("status.json mentions %q, a private service or its group", private)
		}
	}
	var s struct {
		Components []struct {
			ID         string   `json:"id"`
			Name       string   `json:"name"`
			Status     string   `json:"status"`
			Position   int      `json:"position"`
			GroupID    *string  `json:"group_id"`
			Group      bool     `json:"group"`
			Components []string `json:"components"`
		} `json:"components"`
	}
	if err := json.Unmarshal(js, &s); err != nil {
		t.Fatal(err)
	}
	type comp struct {
		id, status, groupID string
		group               bool
		members             []string
	}
	want := []comp{
		{"web", "operational", "", false, nil},
		{"group-apis-2", "major_outage", "", true, []string{"api", "linker"}},
		{"api", "operational", "group-apis-2", false, nil},
		{"linker", "major_outage", "group-apis-2", false, nil},
		{"group-ai", "degraded_performance", "", true, []string{"chat"}},
		{"chat", "degraded_performance", "group-ai", false, nil},
		{"group-apis", "operational", "", false, nil}, // the service: the group took -2
	}
	var got []comp
	for i, c := range s.Components {
		g := ""
		if c.GroupID != nil {
			g = *c.GroupID
		}
		got = append(got, comp{c.ID, c.Status, g, c.Group, c.Components})
		if c.Position != i+1 {
			t.Errorf("component %s position %d, want %d", c.ID, c.Position, i+1)
		}
	}
	if !slices.EqualFunc(got, want, func(a, b comp) bool {
		return a.id == b.id && a.status == b.status && a.groupID == b.groupID && a.group == b.group && slices.Equal(a.members, b.members)
	}) {
		t.Errorf("components:\n got  %+v\n want %+v", got, want)
	}
	if names := []string{s.Components[1].Name, s.Components[4].Name}; !slices.Equal(names, []string{"APIs", "AI"}) {
		t.Errorf("group names = %q, want APIs, AI", names)
	}
}
