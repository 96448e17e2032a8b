package site

import (
	"slices"
	"testing"

	"github.com/sebdah/goldie/v2"

	"github.com/Sefaria/statusgen/templates"
)

// TestGolden pins the rendered files; `go test ./internal/site -update`
// rewrites testdata/*.golden, to be reviewed in the diff like code.
func TestGolden(t *testing.T) {
	files, err := Files(templates.FS, fixtureInput(t))
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	g := goldie.New(t, goldie.WithFixtureDir("testdata"), goldie.WithNameSuffix(".golden"))
	for _, name := range []string{
		"index.html", "services/linker.html", "status.json", "feed.atom", "badges/linker.svg", "badges/sefaria-org-uptime.svg",
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := files[name]
			if !ok {
				t.Fatalf("Files lacks %s", name)
			}
			g.Assert(t, goldenName(name), got)
		})
	}
}

// TestGoldenGroups pins the index with services in groups: a group whose
// services are all operational folds away, one with a service down is
// open, and the services without a group stay where they are configured.
func TestGoldenGroups(t *testing.T) {
	in := fixtureInput(t)
	in.Services = slices.Clone(in.Services)
	for i := range in.Services {
		switch in.Services[i].Name {
		case "MCP Server", "Linker":
			in.Services[i].Group = "APIs"
		case "Chatbot":
			in.Services[i].Group = "AI"
		}
	}
	files, err := Files(templates.FS, in)
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	g := goldie.New(t, goldie.WithFixtureDir("testdata"), goldie.WithNameSuffix(".golden"))
	g.Assert(t, "index-groups.html", files["index.html"])
}

// goldenName flattens a site path into one testdata file name.
func goldenName(path string) string {
	out := []byte(path)
	for i, c := range out {
		if c == '/' {
			out[i] = '_'
		}
	}
	return string(out)
}
