package site

import (
	"regexp"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/templates"
)

// TestFoundAndShared checks what search engines and link previews read:
// every page has a description and Open Graph title and description; the
// canonical address (and og:url) comes from status_page_url and is left
// out when that is unset, rather than pointing somewhere made up; and
// robots.txt lets crawlers in.
func TestFoundAndShared(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		canonical map[string]string // page → its canonical address; "" for none
	}{
		{"status_page_url set", "https://status.sefaria.org/", map[string]string{
			"index.html":                "https://status.sefaria.org/",
			"notices.html":              "https://status.sefaria.org/notices.html",
			"services/linker.html":      "https://status.sefaria.org/services/linker.html",
			"services/sefaria-org.html": "https://status.sefaria.org/services/sefaria-org.html",
		}},
		{"status_page_url on a path", "https://example.org/status", map[string]string{
			"index.html":           "https://example.org/status/",
			"services/linker.html": "https://example.org/status/services/linker.html",
		}},
		{"status_page_url unset", "", map[string]string{
			"index.html": "", "notices.html": "", "services/linker.html": "",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fixtureInput(t)
			in.URL = tc.url
			files, err := Files(templates.FS, in)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(files["robots.txt"]), "User-agent: *\nAllow: /\n"; got != want {
				t.Errorf("robots.txt = %q, want %q", got, want)
			}
			for page, want := range tc.canonical {
				head := headOf(t, files, page)
				for _, tag := range []string{`<link rel="canonical" href="`, `<meta property="og:url" content="`} {
					got := attrAfter(head, tag)
					if got != want {
						t.Errorf("%s: %s…\" = %q, want %q", page, tag, got, want)
					}
				}
				for _, tag := range []string{`<meta name="description" content="`, `<meta property="og:title" content="`, `<meta property="og:description" content="`} {
					if got := attrAfter(head, tag); len(got) < 10 {
						t.Errorf("%s: %s…\" = %q, want a sentence", page, tag, got)
					}
				}
			}
		})
	}
}

// TestDescriptionsNameThePage pins the descriptions and titles of each
// kind of page: a search result or a shared link says which page it is.
func TestDescriptionsNameThePage(t *testing.T) {
	files, err := Files(templates.FS, fixtureInput(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ page, title, description string }{
		{"index.html", "Sefaria Status", "Live status, 90-day uptime and incidents of every service Sefaria Status watches."},
		{"notices.html", "Notices · Sefaria Status", "Maintenance windows, incident reports and announcements from Sefaria Status."},
		{"services/linker.html", "Linker · Sefaria Status", "Live status, uptime, response time and incidents of Linker, from Sefaria Status."},
		{"services/img-src-x-onerror-alert-1-chat.html", "&lt;img src=x onerror=alert(1)&gt;Chat · Sefaria Status",
			"Live status, uptime, response time and incidents of &lt;img src=x onerror=alert(1)&gt;Chat, from Sefaria Status."},
	} {
		head := headOf(t, files, tc.page)
		if got := attrAfter(head, `<meta property="og:title" content="`); got != tc.title {
			t.Errorf("%s: og:title = %q, want %q", tc.page, got, tc.title)
		}
		for _, tag := range []string{`<meta name="description" content="`, `<meta property="og:description" content="`} {
			if got := attrAfter(head, tag); got != tc.description {
				t.Errorf("%s: %s…\" = %q, want %q", tc.page, tag, got, tc.description)
			}
		}
	}
}

func headOf(t *testing.T, files map[string][]byte, page string) string {
	t.Helper()
	s, ok := files[page]
	if !ok {
		t.Fatalf("the site lacks %s", page)
	}
	head, _, ok := strings.Cut(string(s), "</head>")
	if !ok {
		t.Fatalf("%s has no </head>", page)
	}
	return head
}

// attrAfter is the attribute value that follows prefix (which ends in its
// opening quote) in s, "" when prefix is not there.
func attrAfter(s, prefix string) string {
	m := regexp.MustCompile(regexp.QuoteMeta(prefix) + `([^"]*)"`).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}
