package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLanguages drives the binary's commands with [site] languages: a
// code without a phrase table stops every command before anything is
// written, naming the supported codes; English and Hebrew render the
// Hebrew pages under he/ with the services' Hebrew names.
func TestLanguages(t *testing.T) {
	f := newFakeSefaria(t)
	config := func(langs string) string {
		return strings.Replace(f.config(), "[[service]]\nname = \"web\"\n", "[[service]]\nname = \"web\"\nnames = { he = \"האתר\" }\n", 1) +
			"\n[site]\nlanguages = " + langs + "\n"
	}
	for _, cmd := range []string{"check", "render", "once"} {
		w := newWorkspace(t, config(`["en", "he", "fr"]`))
		code, _, errOut := w.run(t, nil, cmd)
		want := `site.languages: language "fr" has no phrase table (phrases/fr.toml); supported: en, he`
		if code != ExitUsage || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", cmd, code, errOut, want)
		}
		if _, err := os.Stat(w.site); !os.IsNotExist(err) {
			t.Errorf("%s: %s exists after a configuration error", cmd, w.site)
		}
	}

	w := newWorkspace(t, config(`["en", "he"]`))
	if code, _, errOut := w.run(t, nil, "once"); code != ExitOK {
		t.Fatalf("once: exit %d, stderr:\n%s", code, errOut)
	}
	he, err := os.ReadFile(filepath.Join(w.site, "he", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<html lang="he" dir="rtl">`, `<bdi>האתר</bdi>`, `<bdi>Linker</bdi>`} {
		if !strings.Contains(string(he), want) {
			t.Errorf("he/index.html lacks %s", want)
		}
	}
	for _, name := range []string{"he/services/web.html", "index.html", "status.json"} {
		if _, err := os.Stat(filepath.Join(w.site, filepath.FromSlash(name))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(w.site, "he", "status.json")); err == nil {
		t.Error("he/status.json written; status.json is the root's alone")
	}
}
