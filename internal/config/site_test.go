package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSiteAndVisibility reads [site], group and public as the status page
// uses them: the logo resolved beside services.toml, a service public
// unless it says otherwise, and `check` printing what it resolved.
func TestSiteAndVisibility(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "logo.svg"), []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "services.toml")
	src := `[site]
home_url = "https://www.sefaria.org"
logo = "logo.svg"

[[service]]
name = "sefaria.org"
url = "https://www.sefaria.org/healthz"
group = " Website "

[[service]]
name = "internal"
url = "https://internal.example.org/healthz"
public = false

[[service]]
name = "Linker"
url = "https://www.sefaria.org/api/find-refs"
`
	cfg, err := Parse(path, []byte(src), env(nil))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"home_url", cfg.Site.HomeURL, "https://www.sefaria.org"},
		{"logo beside services.toml", cfg.Site.Logo, filepath.Join(dir, "logo.svg")},
		{"group trimmed", cfg.Services[0].Group, "Website"},
		{"public by default", cfg.Services[0].Private, false},
		{"public = false", cfg.Services[1].Private, true},
		{"no group", cfg.Services[2].Group, ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	var b strings.Builder
	if err := cfg.Print(&b); err != nil {
		t.Fatal(err)
	}
	printed := b.String()
	for _, want := range []string{"[site]", `home_url`, `group`, `"Website"`, "public", "not on the status site"} {
		if !strings.Contains(printed, want) {
			t.Errorf("Print lacks %q:\n%s", want, printed)
		}
	}
}
