package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/templates"
)

// TestHeader: one title on the index (its only h1), the logo copied into
// the site and shown beside it, the link to the organisation's site, and
// a logo removed after the configuration was read leaves the page without
// it rather than without a page.
func TestHeader(t *testing.T) {
	dir := t.TempDir()
	logo := filepath.Join(dir, "Brand.PNG")
	if err := os.WriteFile(logo, []byte("\x89PNG fake"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, logo, home string
		wantFile         string // the logo's file in the site, "" for none
		want, wantNot    []string
	}{
		{"logo and home", logo, "https://www.sefaria.org/texts", "logo.png",
			[]string{`<h1 class="site"><a href="index.html"><img src="logo.png" alt="" height="32"><span>Status</span></a></h1>`, `<a class="home" href="https://www.sefaria.org/texts">sefaria.org<span aria-hidden="true"> ↗</span></a>`},
			nil},
		{"neither", "", "", "",
			[]string{`<h1 class="site"><a href="index.html"><span>Status</span></a></h1>` + "\n" + `<p class="refresh"`},
			[]string{"<img", `class="home"`}},
		{"logo gone since", filepath.Join(dir, "gone.svg"), "", "",
			[]string{`<h1 class="site">`},
			[]string{"<img"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Files(templates.FS, Input{Generated: fixedNow, Logo: tc.logo, HomeURL: tc.home, Services: []Service{{Name: "web"}}})
			if err != nil {
				t.Fatal(err)
			}
			index := string(files["index.html"])
			if n := strings.Count(index, "<h1"); n != 1 {
				t.Errorf("the index has %d h1 headings, want one title", n)
			}
			for _, w := range tc.want {
				if !strings.Contains(index, w) {
					t.Errorf("index.html lacks %q", w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(index, w) {
					t.Errorf("index.html holds %q", w)
				}
			}
			var logos []string
			for name := range files {
				if strings.HasPrefix(name, "logo") {
					logos = append(logos, name)
				}
			}
			switch {
			case tc.wantFile == "" && len(logos) > 0:
				t.Errorf("the site has %v, want no logo", logos)
			case tc.wantFile != "" && string(files[tc.wantFile]) != "\x89PNG fake":
				t.Errorf("the site's %s = %q, want the configured file", tc.wantFile, files[tc.wantFile])
			}
			if page := string(files["services/web.html"]); tc.wantFile != "" && !strings.Contains(page, `<img src="../logo.png"`) {
				t.Errorf("the service page does not show the logo from ../")
			}
		})
	}
}
