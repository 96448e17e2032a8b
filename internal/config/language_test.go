package config

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestLanguages reads [site] languages and the services' display names,
// and names each bad one.
func TestLanguages(t *testing.T) {
	const service = "\n[[service]]\nname = \"Linker\"\nurl = \"https://www.sefaria.org/api/find-refs\"\n"
	for _, tc := range []struct {
		name, src string
		langs     []string
		names     map[string]string
		errs      []string
	}{
		{name: "absent: English alone", src: service},
		{name: "two", src: "[site]\nlanguages = [\"en\", \"he\"]\n" + service + "names = { he = \" המקשר \" }\n",
			langs: []string{"en", "he"}, names: map[string]string{"he": "המקשר"}},
		{name: "Hebrew at the root", src: "[site]\nlanguages = [\"he\", \"en\"]\n" + service, langs: []string{"he", "en"}},
		{name: "not a list", src: "[site]\nlanguages = \"he\"\n" + service,
			errs: []string{`config services.toml:2: site.languages must be a list of language codes like ["en", "he"], not a string`}},
		{name: "empty list", src: "[site]\nlanguages = []\n" + service,
			errs: []string{`config services.toml:2: site.languages must name at least one language, like ["en"], or leave it out`}},
		{name: "not a code", src: "[site]\nlanguages = [\"en\", \"Hebrew\", \"he-IL\", 3]\n" + service,
			errs: []string{
				`config services.toml:2: site.languages must hold lower-case language codes like "he", got "Hebrew"`,
				`config services.toml:2: site.languages must hold lower-case language codes like "he", got "he-IL"`,
				`config services.toml:2: site.languages must hold strings, not an integer`,
			}},
		{name: "twice", src: "[site]\nlanguages = [\"en\", \"he\", \"he\"]\n" + service,
			errs: []string{`config services.toml:2: site.languages names "he" twice`}},
		{name: "names without languages", src: service + "names = { he = \"המקשר\" }\n",
			errs: []string{`config services.toml:5: service "Linker": names.he is not one of [site] languages (none set: add [site] languages)`}},
		{name: "bad names", src: "[site]\nlanguages = [\"en\", \"he\"]\n" + service + "names = { he = \"  \", fr = \"Lieur\", en = 3 }\n",
			errs: []string{
				`config services.toml:7: service "Linker": names.en must be a string, not an integer`,
				`config services.toml:7: service "Linker": names.fr is not one of [site] languages (en, he)`,
				`config services.toml:7: service "Linker": names.he must not be empty: a name, or leave it out`,
			}},
		{name: "control characters", src: "[site]\nlanguages = [\"en\", \"he\"]\n" + service + "names = { he = \"המ\\u202eקשר\", en = \"Link\\u0007\" }\n",
			errs: []string{
				`config services.toml:7: service "Linker": names.en must not contain control or bidi-control characters`,
				`config services.toml:7: service "Linker": names.he must not contain control or bidi-control characters`,
			}},
		{name: "names not a table", src: "[site]\nlanguages = [\"en\", \"he\"]\n" + service + "names = \"המקשר\"\n",
			errs: []string{`config services.toml:7: service "Linker": names must be a table, not a string`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("services.toml", []byte(tc.src), env(nil))
			if len(tc.errs) > 0 {
				var got []string
				if err != nil {
					got = strings.Split(err.Error(), "\n")
				}
				if !slices.Equal(got, tc.errs) {
					t.Errorf("Parse errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.errs, "\n"))
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !slices.Equal(cfg.Site.Languages, tc.langs) {
				t.Errorf("Site.Languages = %q, want %q", cfg.Site.Languages, tc.langs)
			}
			if got := cfg.Services[0].Names; !maps.Equal(got, tc.names) {
				t.Errorf("Names = %q, want %q", got, tc.names)
			}
		})
	}
}
