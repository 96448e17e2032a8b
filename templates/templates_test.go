package templates

import (
	"io/fs"
	"os"
	"testing"
)

// Every file the site renderer reads; a pattern in the go:embed line that
// stopped matching one of them would otherwise show only when rendering.
var required = []string{
	"layout.html", "index.html", "service.html", "notices.html", // pages and their shared parts
	"badge.svg",                             // badges/<slug>.svg and <slug>-uptime.svg
	"style.css", "status.js", "favicon.svg", // copied as they are
	"site-README.md", // the site folder's README.md
}

func TestEmbedsEveryTemplate(t *testing.T) {
	for _, name := range required {
		if _, err := fs.Stat(FS, name); err != nil {
			t.Errorf("fs.Stat(FS, %q) = %v, want the file embedded", name, err)
		}
	}
}

// The render replaces the whole site folder, so the README committed in
// site/ survives only if the renderer writes the same bytes.
func TestSiteReadmeMatchesTheCommittedOne(t *testing.T) {
	committed, err := os.ReadFile("../site/README.md")
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := fs.ReadFile(FS, "site-README.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(committed) != string(embedded) {
		t.Errorf("templates/site-README.md differs from site/README.md; a render would change the committed file")
	}
}
