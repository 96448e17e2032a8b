package site

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"runtime"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/internal/tracker"
)

// Static files copied from the templates as they are.
var staticFiles = map[string]string{
	"style.css": "style.css", "status.js": "status.js", "favicon.svg": "favicon.svg",
	// The folder's README says who writes it; it is part of the output so
	// that swapping in a new site keeps the copy committed in site/.
	"README.md": "site-README.md",
}

// Render writes the whole site for in into dir, from the templates in tmpl
// (templates.FS, or os.DirFS("templates") while editing them). The files
// are written to a new folder beside dir that then replaces dir, so a host
// never serves half a site; dir's previous contents are discarded.
func Render(tmpl fs.FS, dir string, in Input) error {
	files, err := Files(tmpl, in)
	if err != nil {
		return err
	}
	if err := replaceDir(dir, files); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	return nil
}

// Files renders the site in memory: file paths (slash-separated, relative
// to the site's root) and their contents.
func Files(tmpl fs.FS, in Input) (map[string][]byte, error) {
	pages, err := template.New("").Funcs(funcs).ParseFS(tmpl, "*.html")
	if err != nil {
		return nil, fmt.Errorf("site: parse templates: %w", err)
	}
	badgeT, err := template.New("badge.svg").ParseFS(tmpl, "badge.svg")
	if err != nil {
		return nil, fmt.Errorf("site: parse templates: %w", err)
	}
	m, byService := newModel(in)
	if err := uniqueSlugs(in.Services); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	exec := func(t *template.Template, name, out string, data any) error {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return fmt.Errorf("site: render %s: %w", out, err)
		}
		files[out] = buf.Bytes()
		return nil
	}

	if err := exec(pages, "index.html", "index.html", m); err != nil {
		return nil, err
	}
	notices := m
	for _, n := range in.Notices {
		if !n.Active(m.Generated) && !n.Upcoming(m.Generated) {
			notices.Notices = append(notices.Notices, newNoticeView(n))
		}
	}
	reverse(notices.Notices) // the latest first
	if err := exec(pages, "notices.html", "notices.html", notices); err != nil {
		return nil, err
	}
	// Each service's page and badges depend only on the model: render
	// them on every core, then add them in order.
	perService := make([]map[string][]byte, len(in.Services))
	errs := make([]error, len(in.Services))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(len(in.Services), runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				perService[i], errs[i] = servicePages(pages, badgeT, m, in, byService, i)
			}
		})
	}
	for i := range in.Services {
		next <- i
	}
	close(next)
	wg.Wait()
	for i := range in.Services {
		if errs[i] != nil {
			return nil, errs[i]
		}
		maps.Copy(files, perService[i])
	}

	js, err := statusJSON(in, m)
	if err != nil {
		return nil, fmt.Errorf("site: status.json: %w", err)
	}
	files["status.json"], files["api/v2/summary.json"] = js, js
	if files["feed.atom"], err = feed(in, m); err != nil {
		return nil, fmt.Errorf("site: feed.atom: %w", err)
	}
	for out, name := range staticFiles {
		b, err := fs.ReadFile(tmpl, name)
		if err != nil {
			return nil, fmt.Errorf("site: %w", err)
		}
		files[out] = b
	}
	return files, nil
}

// servicePages renders service i's page and its two badges.
func servicePages(pages, badgeT *template.Template, m model, in Input, byService map[string][]incidentView, i int) (map[string][]byte, error) {
	files := make(map[string][]byte, 3)
	exec := func(t *template.Template, name, out string, data any) error {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return fmt.Errorf("site: render %s: %w", out, err)
		}
		files[out] = buf.Bytes()
		return nil
	}
	s := in.Services[i]
	r := m.Rows[i]
	page := m
	r.Root = "../"
	page.Root, page.Row = "../", &r
	page.Incidents = byService[s.Name]
	page.History = historyOf(in.Days, s.Name)
	page.HistoryHTML = historyHTML(page.History)
	ratio, ok := totalOf(in.Days, s.Name).uptime()
	r.Uptime = append(r.Uptime[:len(r.Uptime):len(r.Uptime)], uptimeCell{"All", percent(ratio, ok)})
	if err := exec(pages, "service.html", "services/"+r.Slug+".html", page); err != nil {
		return nil, err
	}
	if err := exec(badgeT, "badge.svg", "badges/"+r.Slug+".svg", newBadge(r.Name, r.Cond.Word, r.Cond.Class)); err != nil {
		return nil, err
	}
	ratio, ok = r.month.uptime()
	msg := percent(ratio, ok)
	if !ok {
		msg = "no data"
	}
	if err := exec(badgeT, "badge.svg", "badges/"+r.Slug+"-uptime.svg", newBadge(r.Name+" 30 d", msg, uptimeClass(ratio, ok))); err != nil {
		return nil, err
	}
	return files, nil
}

const humanLayout = "2006-01-02 15:04 UTC"

var funcs = template.FuncMap{
	"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"human":    func(t time.Time) string { return t.UTC().Format(humanLayout) },
	"date":     func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
	"kindWord": func(k notice.Kind) string { return kindWord(string(k)) },
}

// uniqueSlugs refuses two services that would share a page and badges.
func uniqueSlugs(services []Service) error {
	seen := map[string]string{}
	for _, s := range services {
		slug := tracker.Slug(s.Name)
		if other, ok := seen[slug]; ok {
			return fmt.Errorf("site: services %q and %q would share the page services/%s.html; rename one", other, s.Name, slug)
		}
		seen[slug] = s.Name
	}
	return nil
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}
