// Package templates holds the status site's HTML and CSS templates,
// embedded so the binary carries them. The site renderer takes them as an
// fs.FS, so tests and live editing can pass os.DirFS("templates") instead.
package templates

import "embed"

// FS is the embedded template tree.
//
//go:embed *.html *.css
var FS embed.FS
