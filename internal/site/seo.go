package site

// robotsTxt lets every crawler read the whole site: a public status page
// is meant to be found. Written by the renderer rather than left to the
// host, whose 404 for /robots.txt crawlers and Lighthouse report.
var robotsTxt = []byte("User-agent: *\nAllow: /\n")

// Canonical is the page's public address, from status_page_url: the
// index is the site's root. "" when the address is unknown or the page
// does not say which it is.
func (m model) Canonical() string {
	var lang string // the page's language's folder: "he/"; "" at the root
	if m.Lang != nil {
		lang = m.Lang.Prefix
	}
	switch {
	case m.URL == "" || m.Page == "":
		return ""
	case m.Page == "index.html":
		return m.URL + "/" + lang
	default:
		return m.URL + "/" + lang + m.Page
	}
}
