package templates

import (
	"io/fs"
	"testing"
)

// Every file the site renderer reads; a pattern in the go:embed line that
// stopped matching one of them would otherwise show only when rendering.
var required = []string{
	"layout.html", "index.html", "service.html", "notices.html", // pages and their shared parts
	"history.html", "incidents.html", // the incident history pages and the incident views the pages share
	"locations.html",                        // what each [[location]] saw, on the service pages
	"badge.svg",                             // badges/<slug>.svg and <slug>-uptime.svg
	"style.css", "status.js", "favicon.svg", // copied as they are
	"phrases/en.toml", "phrases/he.toml", // the languages' phrase tables
}

func TestEmbedsEveryTemplate(t *testing.T) {
	for _, name := range required {
		if _, err := fs.Stat(FS, name); err != nil {
			t.Errorf("fs.Stat(FS, %q) = %v, want the file embedded", name, err)
		}
	}
}
