// Package templates holds the status site's HTML, SVG and CSS templates and
// its static files (the staleness script, the favicon) and the phrase
// tables of its languages (phrases/<code>.toml), embedded so the
// binary carries them. The site renderer takes them as an fs.FS, so tests
// and live editing can pass os.DirFS("templates") instead.
package templates

import "embed"

// FS is the embedded template tree.
//
//go:embed *.html *.css *.js *.svg phrases/*.toml
var FS embed.FS
