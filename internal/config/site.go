package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Site is the [site] table: how the status page presents its organisation.
type Site struct {
	// HomeURL is the organisation's own site, linked from the page's
	// header; "" for no link.
	HomeURL string
	// Logo is the image shown beside the title, resolved against the
	// folder of services.toml; "" for none. The renderer copies it into
	// the site, since the page makes no request to another origin.
	Logo string
	// Languages are the page's languages, the first at the site's root,
	// each other under <code>/; nil for English alone.
	Languages []string
}

// logoTypes are the image formats a logo may have, by extension.
var logoTypes = map[string]bool{".svg": true, ".png": true, ".webp": true, ".jpg": true, ".jpeg": true, ".gif": true}

// maxLogo keeps a logo small enough not to slow every visit.
const maxLogo = 512 << 10

func (d *decoder) site(t *table) Site {
	s := Site{HomeURL: t.url("home_url", false), Languages: t.languages("languages")}
	if t.has("logo") {
		s.Logo = d.logo(t, strings.TrimSpace(t.str("logo", "")))
	}
	t.rejectUnknown()
	return s
}

// logo checks the logo file named in services.toml and returns its path
// resolved against the configuration's folder.
func (d *decoder) logo(t *table, name string) string {
	if _, ok := t.m["logo"].(string); !ok {
		return ""
	}
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case name == "":
		t.fail("logo", "must not be empty: a path to an image file, or leave it out")
		return ""
	case !logoTypes[ext]:
		t.fail("logo", fmt.Sprintf("must be an .svg, .png, .webp, .jpg or .gif file, got %q", printable(name)))
		return ""
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(d.path), path)
	}
	info, err := os.Stat(path)
	switch {
	case err != nil:
		t.fail("logo", fmt.Sprintf("cannot be read: %s (a path relative to %s)", printable(path), printable(d.path)))
		return ""
	case !info.Mode().IsRegular():
		t.fail("logo", fmt.Sprintf("must be a file, got %s", printable(path)))
		return ""
	case info.Size() > maxLogo:
		t.fail("logo", fmt.Sprintf("must be at most 512KiB, got %s (%s)", FormatSize(info.Size()), printable(path)))
		return ""
	}
	return path
}
