package site

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sebdah/goldie/v2"

	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

// hebrew is in with the site in English and Hebrew, and Hebrew names for
// two services.
func hebrew(in Input) Input {
	in.Languages = []string{"en", "he"}
	in.Services = slices.Clone(in.Services)
	for i := range in.Services {
		switch in.Services[i].Name {
		case "sefaria.org":
			in.Services[i].Names = map[string]string{"he": "ספריא"}
		case "Linker":
			in.Services[i].Names = map[string]string{"he": "המקשר"}
		}
	}
	return in
}

// TestPhrasesTranslated renders every fixture in every language with a
// translator that records the phrases its table lacks, and adds the
// phrases Go writes (the causes of every error kind, the conditions and
// banners): a phrase someone adds to a template or to Go without a
// translation fails here, listed for he.toml.
func TestPhrasesTranslated(t *testing.T) {
	inputs := statusScenarios(t)
	groups := fixtureInput(t)
	groups.Services = slices.Clone(groups.Services)
	for i := range groups.Services {
		groups.Services[i].Group = "APIs"
	}
	inputs["groups"] = groups
	inputs["locations"] = locationsInput(t)
	missing := map[string]map[string]bool{}
	var mu sync.Mutex
	miss := func(code, phrase string) {
		mu.Lock()
		defer mu.Unlock()
		if missing[code] == nil {
			missing[code] = map[string]bool{}
		}
		missing[code][phrase] = true
	}
	codes := Languages(templates.FS)
	for name, in := range inputs {
		in.Languages = codes
		if err := renderIn(templates.FS, in, func(string, []byte) error { return nil }, nil, nil, miss); err != nil {
			t.Fatalf("%s: render: %v", name, err)
		}
	}
	for _, code := range codes {
		l, err := loadLang(templates.FS, code)
		if err != nil {
			t.Fatal(err)
		}
		l.miss = func(phrase string) { miss(code, phrase) }
		for _, kind := range uptime.ErrorKinds {
			l.T(Phrase(kind, 503))
			l.T(Phrase(kind, 0))
		}
		for _, c := range []condition{condUp, condDegraded, condDown, condMaint, condUnknown} {
			l.T(c.Word)
		}
		for _, s := range []string{"Operational since", "Degraded performance since", "Down since", "Down for"} {
			l.T(s) // the conditions that show how long they have lasted
		}
		for _, b := range []banner{bannerCritical, bannerMajor, bannerMinor, bannerWaiting, bannerMaint, bannerUp} {
			l.T(b.Text)
		}
		for _, k := range []string{"maintenance", "incident", "info"} {
			l.T(kindWord(k))
		}
		for _, c := range []condition{condLocUp, condLocSlow, condLocUnsure, condLocSilent, condLocSkipped} {
			l.T(c.Word) // a location's check, on a service page
		}
		// Every kind of part of a quorum's note (package quorum).
		l.Note("Down from 1 of 3 locations: eu-west; no answer from ap-south")
		l.Note("No answer from ap-south")
		l.Note("Only 1 of 3 locations could tell, quorum 2; down from eu-west")
		for _, s := range []string{"1 failed check, watching", "2 failed checks, watching", "All", "24 h", "7 d", "30 d", "90 d", "Update"} {
			l.T(s)
		}
		for m := time.January; m <= time.December; m++ {
			l.Words(time.Date(2026, m, 1, 0, 0, 0, 0, time.UTC).Format(shortDate))
		}
		l.Words("1 d 2 h")
		l.Words("1 h 2 min")
		l.Words("1 min 2 s")
		l.Words("09:50 UTC")
	}
	for _, code := range slices.Sorted(maps.Keys(missing)) {
		list := slices.Sorted(maps.Keys(missing[code]))
		var b strings.Builder
		for _, p := range list {
			b.WriteString("\n" + `"` + strings.ReplaceAll(p, `"`, `\"`) + `" = ""`)
		}
		t.Errorf("templates/phrases/%s.toml lacks %d phrases the pages use:%s", code, len(list), b.String())
	}
}

// TestHebrewGolden pins the Hebrew pages; `go test ./internal/site
// -update` rewrites them.
func TestHebrewGolden(t *testing.T) {
	files, err := Files(templates.FS, hebrew(timelineInput(t)))
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	g := goldie.New(t, goldie.WithFixtureDir("testdata"), goldie.WithNameSuffix(".golden"))
	for _, name := range []string{"he/index.html", "he/services/linker.html", "he/history.html", "he/history/2026-11.html"} {
		t.Run(name, func(t *testing.T) {
			got, ok := files[name]
			if !ok {
				t.Fatalf("Files lacks %s", name)
			}
			g.Assert(t, goldenName(name), got)
		})
	}
}

// TestLanguagePages: a second language gets every page under its code,
// right to left, with the shared files at the root once; each page links
// to itself in the other language.
func TestLanguagePages(t *testing.T) {
	en, err := Files(templates.FS, fixtureInput(t))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Files(templates.FS, hebrew(fixtureInput(t)))
	if err != nil {
		t.Fatal(err)
	}
	for name := range en {
		if _, ok := files[name]; !ok {
			t.Errorf("%s: missing with two languages", name)
		}
		shared := strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".svg") || strings.HasSuffix(name, ".atom") ||
			strings.HasSuffix(name, ".css") || strings.HasSuffix(name, ".js") || name == "robots.txt"
		if _, ok := files["he/"+name]; ok == shared {
			t.Errorf("he/%s: written %v, want %v", name, ok, !shared)
		}
		if shared && string(files[name]) != string(en[name]) {
			t.Errorf("%s differs with a second language; the shared files are the root's", name)
		}
	}
	for _, tc := range []struct {
		page string
		want []string
	}{
		{"he/index.html", []string{`<html lang="he" dir="rtl">`, `href="../style.css"`, `href="../status.json"`, `<bdi>ספריא</bdi>`,
			`<a href="../index.html" hreflang="en" lang="en">English</a>`,
			`<link rel="alternate" hreflang="en" href="https://status.sefaria.org/">`, `<link rel="alternate" hreflang="he" href="https://status.sefaria.org/he/">`,
			`<link rel="canonical" href="https://status.sefaria.org/he/">`}},
		{"he/services/linker.html", []string{`<html lang="he" dir="rtl">`, `href="../../style.css"`, `<h1><bdi>המקשר</bdi></h1>`, `<title>המקשר · Sefaria Status</title>`,
			`<a href="../../services/linker.html" hreflang="en" lang="en">English</a>`, `<link rel="canonical" href="https://status.sefaria.org/he/services/linker.html">`}},
		{"index.html", []string{`<html lang="en">`, `href="style.css"`, `<bdi>sefaria.org</bdi>`, `<a href="he/index.html" hreflang="he" lang="he">עברית</a>`,
			`<link rel="alternate" hreflang="he" href="https://status.sefaria.org/he/">`}},
		{"services/linker.html", []string{`<h1><bdi>Linker</bdi></h1>`, `<a href="../he/services/linker.html" hreflang="he" lang="he">עברית</a>`}},
	} {
		page := string(files[tc.page])
		for _, w := range tc.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s lacks %s", tc.page, w)
			}
		}
	}
	if strings.Contains(string(files["status.json"]), "ספריא") {
		t.Error("status.json holds a Hebrew display name; it is language-neutral")
	}
}

func TestLangT(t *testing.T) {
	l := &lang{Code: "he", phrases: map[string]string{
		"Down":                          "מושבת",
		"%d failed checks, watching":    "%d בדיקות נכשלו, במעקב",
		"Unexpected response (HTTP %d)": "תגובה לא צפויה (HTTP %d)",
		"min":                           "דק׳", "h": "שע׳", "Nov": "בנוב׳",
		"%d incident": "תקרית אחת",
		"%d of %d":    "%d מתוך",
	}}
	for _, tc := range []struct{ in, want string }{
		{"Down", "מושבת"},
		{"3 failed checks, watching", "3 בדיקות נכשלו, במעקב"},
		{"Unexpected response (HTTP 503)", "תגובה לא צפויה (HTTP 503)"},
		{"Not in the table", "Not in the table"},
		{"1 incident", "תקרית אחת"}, // a translation without the number
		{"3 of 4", "3 of 4"},        // one without every number is not used
		{"99.95% up", "99.95% up"},  // a literal percent sign is no verb
		{"", ""},
	} {
		if got := l.T(tc.in); got != tc.want {
			t.Errorf("T(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"1 h 5 min", "1 שע׳ 5 דק׳"},
		{"29 Nov", "29 בנוב׳"},
		{"—", "—"},
	} {
		if got := l.Words(tc.in); got != tc.want {
			t.Errorf("Words(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := english().T("Down"); got != "Down" {
		t.Errorf("English T(Down) = %q", got)
	}
}

func TestCheckLanguages(t *testing.T) {
	tmpl := fstest.MapFS{"phrases/en.toml": {}, "phrases/he.toml": {}}
	for _, tc := range []struct {
		codes []string
		want  string
	}{
		{nil, ""},
		{[]string{"en", "he"}, ""},
		{[]string{"he"}, ""},
		{[]string{"en", "fr"}, `language "fr" has no phrase table (phrases/fr.toml); supported: en, he`},
	} {
		err := CheckLanguages(tmpl, tc.codes)
		if got := errText(err); got != tc.want {
			t.Errorf("CheckLanguages(%q) = %q, want %q", tc.codes, got, tc.want)
		}
	}
	if got := Languages(fstest.MapFS{}); !slices.Equal(got, []string{"en"}) {
		t.Errorf("Languages(no tables) = %q, want [en]", got)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestLanguageFolderOnDisk: a Renderer writes every page of a second
// language into its folder, its index included, and removes the folder's
// files when the language is dropped.
func TestLanguageFolderOnDisk(t *testing.T) {
	dir := t.TempDir()
	var r Renderer
	in := hebrew(fixtureInput(t))
	for _, step := range []struct {
		langs []string
		want  bool
	}{{[]string{"en", "he"}, true}, {[]string{"en", "he"}, true}, {nil, false}} {
		in.Languages = step.langs
		if err := r.Render(templates.FS, dir, in); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"he/index.html", "he/notices.html", "he/services/linker.html"} {
			_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
			if got := err == nil; got != step.want {
				t.Errorf("languages %q: %s exists = %v, want %v", step.langs, name, got, step.want)
			}
		}
	}
}

// TestAlternatesNeedTheAddress: hreflang links are absolute or absent;
// the header's switch works without the site's address.
func TestAlternatesNeedTheAddress(t *testing.T) {
	in := hebrew(fixtureInput(t))
	in.URL = ""
	files, err := Files(templates.FS, in)
	if err != nil {
		t.Fatal(err)
	}
	page := string(files["he/services/linker.html"])
	if strings.Contains(page, "hreflang=\"en\" href") {
		t.Error("he/services/linker.html has an hreflang link without status_page_url")
	}
	if !strings.Contains(page, `<a href="../../services/linker.html" hreflang="en" lang="en">English</a>`) {
		t.Error("he/services/linker.html lacks its switch to English")
	}
}
