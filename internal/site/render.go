package site

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// Static files copied from the templates as they are.
var staticFiles = map[string]string{
	"style.css": "style.css", "status.js": "status.js", "favicon.svg": "favicon.svg",
}

// Render writes the whole site for in into dir, from the templates in tmpl
// (templates.FS, or os.DirFS("templates") while editing them). dir is
// updated in place, never replaced, so it may be a mount point or the
// folder a web server serves: each changed file is written beside the old
// one and renamed over it, the index last, so a host never serves a
// half-written file or a link to a missing page (see siteWriter for what
// is removed). Each file goes to disk as soon as it is rendered, so memory
// holds a few pages at a time, never the whole site.
func Render(tmpl fs.FS, dir string, in Input) error {
	return new(Renderer).Render(tmpl, dir, in)
}

// Renderer is Render with a memory of the files it wrote last time (their
// identity and a hash of their contents). Its first render is Render's;
// after that it knows which files are unchanged without reading them, and
// which to remove: those it wrote last time that the site no longer has.
// A file someone else replaced or touched since is read again. A reader
// never sees a half-written file or a link to a missing page, but may see
// a page of one render beside a page of the next. A runner that renders
// every cycle keeps one. Its methods are safe for concurrent use (renders
// take turns); the zero value is ready.
type Renderer struct {
	mu    sync.Mutex
	dir   string
	files map[string]written // what the last render into dir left there, by path
	seed  maphash.Seed

	renders int               // renders into dir so far
	classes map[string]string // by service page: the condition it shows
}

// Render is the package's Render, remembering what it wrote.
func (r *Renderer) Render(tmpl fs.FS, dir string, in Input) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.files == nil {
		r.seed = maphash.MakeSeed()
	}
	dir = filepath.Clean(dir)
	if r.dir != dir {
		r.dir, r.files = dir, nil
	}
	if _, err := os.Stat(dir); err != nil {
		r.files = nil // the folder is gone, and the last render's files with it
	}
	w, err := newSiteWriter(dir, r.files) // r.files: the site this Renderer wrote last time
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	w.seed = r.seed
	rot := &rotation{every: 1, shown: map[string]string{}, classes: r.classes, keep: w.keep}
	if r.files != nil {
		rot.every, rot.turn = pageEvery(len(in.Services)), r.renders
	} else {
		r.renders, r.classes = 0, map[string]string{}
	}
	r.files = nil // until this render is in place
	if err := render(tmpl, in, w.put, w.stream, rot); err != nil {
		w.abort()
		return err
	}
	if err := w.commit(); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	r.files = w.next
	r.renders++
	maps.Copy(r.classes, rot.shown)
	for slug := range r.classes {
		if _, ok := w.next[serviceFiles(slug)[0]]; !ok {
			delete(r.classes, slug) // a service no longer configured
		}
	}
	return nil
}

// pagesPerRender is how many service pages a Renderer rewrites per
// render at most, besides those whose condition changed: a site of
// 10,000 services rewrites each page every 10th render rather than all
// 10,000 (and their badges) every cycle, which cost more than the checks.
// Up to this many services, every page is rewritten every time.
var pagesPerRender = 1000 // a variable so that tests can rotate a handful of pages

// pageEvery is how many renders apart a service page is rewritten when
// its condition does not change.
func pageEvery(services int) int { return max(1, (services+pagesPerRender-1)/pagesPerRender) }

// servicesPerRender is how many services a runner renders the site for
// every cycle; a larger site is rendered every RenderEvery cycles.
var servicesPerRender = 5000 // a variable so that tests can use a handful

// RenderEvery is how many cycles apart `statusgen run` renders a site of
// this many services: every cycle up to 5,000, then every ⌈services/5,000⌉
// (2 at 10,000). A render at that size costs about as much CPU as the
// cycle's checks, while the alerts never wait for it; the pages' staleness
// warning counts with the longer period.
func RenderEvery(services int) int {
	return max(1, (services+servicesPerRender-1)/servicesPerRender)
}

// renderPeriod is the time between two renders of in's site by a runner.
func renderPeriod(in Input) time.Duration {
	return time.Duration(RenderEvery(len(in.Services))) * checkInterval(in)
}

// rotation says which service pages a render in place rewrites: those
// whose turn it is (staggered by index, so each render takes its share),
// those whose condition changed, and any whose files went missing. The
// others keep the last render's files.
type rotation struct {
	every, turn int
	shown       map[string]string // slug → condition class, of the pages this render wrote
	mu          sync.Mutex
	classes     map[string]string // what the pages on disk show
	keep        func(name string) bool
}

// skip reports whether service i's page and badges stay as they are,
// keeping them in this render's files if so.
func (rot *rotation) skip(i int, slug, class string) bool {
	if rot == nil || (rot.turn+i)%rot.every == 0 || rot.classes[slug] != class {
		return false
	}
	for _, name := range serviceFiles(slug) {
		if !rot.keep(name) {
			return false
		}
	}
	return true
}

func (rot *rotation) wrote(slug, class string) {
	if rot == nil {
		return
	}
	rot.mu.Lock()
	rot.shown[slug] = class
	rot.mu.Unlock()
}

// serviceFiles are the files of one service: its page and two badges.
func serviceFiles(slug string) [3]string {
	return [3]string{"services/" + slug + ".html", "badges/" + slug + ".svg", "badges/" + slug + "-uptime.svg"}
}

// Files renders the site in memory: file paths (slash-separated, relative
// to the site's root) and their contents.
func Files(tmpl fs.FS, in Input) (map[string][]byte, error) {
	files := map[string][]byte{}
	var mu sync.Mutex
	err := render(tmpl, in, func(name string, data []byte) error {
		mu.Lock()
		defer mu.Unlock()
		files[name] = bytes.Clone(data)
		return nil
	}, nil, nil)
	if err != nil {
		return nil, err
	}
	return files, nil
}

// sink takes one rendered file: its slash-separated path and contents,
// which it must not keep (the buffer is reused). It is called from
// several goroutines at once.
type sink func(name string, data []byte) error

// streamer creates one file and has write fill it, for a file too large to
// hold in memory that changes every time (the index, a row per service).
type streamer func(name string, write func(io.Writer) error) error

// writeIndex writes the index, row by row as the template reaches them.
func writeIndex(w io.Writer, pages *template.Template, m model) error {
	m.IsIndex = true
	if err := pages.ExecuteTemplate(w, "index.html", m); err != nil {
		return fmt.Errorf("site: render index.html: %w", err)
	}
	return nil
}

// parsePages parses the HTML templates with the functions they call,
// those that hand the incident log's views to them included, speaking l
// (English when nil).
func parsePages(tmpl fs.FS, incidents *incidentLog, l *lang) (*template.Template, error) {
	if l == nil {
		l = english()
	}
	pages, err := template.New("").Funcs(funcs).Funcs(incidents.funcs()).Funcs(l.funcs()).ParseFS(tmpl, "*.html")
	if err != nil {
		return nil, fmt.Errorf("site: parse templates: %w", err)
	}
	l.inline(pages)
	return pages, nil
}

// render renders every file of the site into put, the index through
// stream when there is one.
func render(tmpl fs.FS, in Input, put sink, stream streamer, rot *rotation) error {
	return renderIn(tmpl, in, put, stream, rot, nil)
}

// renderIn is render; miss, when set, hears every phrase a page in a
// language other than English used that its phrase table lacks. The model
// is computed once; each language parses the templates once and writes
// the same pages, the first at the root, the others under their code.
func renderIn(tmpl fs.FS, in Input, put sink, stream streamer, rot *rotation, miss func(code, phrase string)) error {
	langs, err := loadLangs(tmpl, in)
	if err != nil {
		return err
	}
	if miss != nil {
		for _, l := range langs {
			l.miss = func(phrase string) { miss(l.Code, phrase) }
		}
	}
	incidents := newIncidentLog(in)
	badgeT, err := template.New("badge.svg").ParseFS(tmpl, "badge.svg")
	if err != nil {
		return fmt.Errorf("site: parse templates: %w", err)
	}
	m, byService := newModel(in)
	m.langs = langs
	// The configuration checked the logo; one removed since leaves the
	// page without it rather than without a page.
	var logo []byte
	if m.Logo != "" {
		if logo, err = os.ReadFile(in.Logo); err != nil {
			m.Logo = ""
		}
	}
	if err := uniqueSlugs(in.Services); err != nil {
		return err
	}
	if stream == nil {
		stream = func(name string, write func(io.Writer) error) error {
			var buf bytes.Buffer
			if err := write(&buf); err != nil {
				return err
			}
			return put(name, buf.Bytes())
		}
	}
	var root *template.Template // the first language's, for the feed
	for i, l := range langs {
		pages, err := parsePages(tmpl, incidents, l)
		if err != nil {
			return err
		}
		lm := m
		lm.Lang = l
		if i == 0 {
			root = pages
			if err := renderPages(pages, badgeT, lm, in, byService, incidents, put, stream, rot); err != nil {
				return err
			}
			continue
		}
		// Another language's pages, under its code; the badges and the
		// rotation are the root's alone.
		lput := func(name string, data []byte) error { return put(l.Prefix+name, data) }
		lstream := func(name string, write func(io.Writer) error) error { return stream(l.Prefix+name, write) }
		if err := renderPages(pages, nil, lm, in, byService, incidents, lput, lstream, nil); err != nil {
			return err
		}
	}

	js, err := statusJSON(in, m)
	if err != nil {
		return fmt.Errorf("site: status.json: %w", err)
	}
	if err := put("status.json", js); err != nil {
		return err
	}
	if err := put("api/v2/summary.json", js); err != nil {
		return err
	}
	m.Lang = langs[0]
	atom, err := feed(in, m, root)
	if err != nil {
		return fmt.Errorf("site: feed.atom: %w", err)
	}
	if err := put("feed.atom", atom); err != nil {
		return err
	}
	if m.Logo != "" {
		if err := put(m.Logo, logo); err != nil {
			return err
		}
	}
	if err := put("robots.txt", robotsTxt); err != nil {
		return err
	}
	for out, name := range staticFiles {
		b, err := fs.ReadFile(tmpl, name)
		if err != nil {
			return fmt.Errorf("site: %w", err)
		}
		if err := put(out, b); err != nil {
			return err
		}
	}
	return nil
}

// renderPages writes one language's HTML pages (and, with badgeT, the
// badges) from m into put, the index through stream.
func renderPages(pages, badgeT *template.Template, m model, in Input, byService map[string][]incidentView, incidents *incidentLog, put sink, stream streamer, rot *rotation) error {
	// The rows are shared by the languages, which render one after the
	// other: each points them at its own day cells.
	frags := newFragments(pages)
	for i := range m.Rows {
		m.Rows[i].frags = frags
	}
	var buf bytes.Buffer
	exec := func(t *template.Template, name, out string, data any) error {
		buf.Reset()
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return fmt.Errorf("site: render %s: %w", out, err)
		}
		return put(out, buf.Bytes())
	}

	// The index, a row per service, is a tenth of a 10,000-service render:
	// it is written while the service pages are.
	index := make(chan error, 1)
	go func() {
		index <- stream("index.html", func(w io.Writer) error { return writeIndex(w, pages, m) })
	}()
	waitIndex := sync.OnceValue(func() error { return <-index })
	defer waitIndex() // never return while it may still write
	notices := m
	notices.Page = "notices.html"
	for _, n := range in.Notices {
		if !n.Active(m.Generated) && !n.Upcoming(m.Generated) {
			notices.Notices = append(notices.Notices, newNoticeView(n))
		}
	}
	reverse(notices.Notices) // the latest first
	if err := exec(pages, "notices.html", "notices.html", notices); err != nil {
		return err
	}
	if err := writeHistory(pages, m, incidents, put); err != nil {
		return err
	}

	// Each service's page and badges depend only on the model: render
	// them on every core, each worker with its own buffer.
	errs := make([]error, len(in.Services))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(len(in.Services), runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			var scratch pageScratch
			for i := range next {
				r := &m.Rows[i]
				if rot.skip(i, r.Slug, r.shows()) {
					continue
				}
				errs[i] = servicePages(pages, badgeT, m, in, byService, i, &scratch, put)
				rot.wrote(r.Slug, r.shows())
			}
		})
	}
	for i := range in.Services {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return waitIndex()
}

// pageScratch is what a worker rendering service pages reuses from one
// page to the next.
type pageScratch struct {
	buf   bytes.Buffer
	days  []history.DaySummary
	times []history.Times
	rows  []historyRow
}

// servicePages renders service i's page and its two badges (without
// badgeT, none) into put, through scratch.
func servicePages(pages, badgeT *template.Template, m model, in Input, byService map[string][]incidentView, i int, scratch *pageScratch, put sink) error {
	buf := &scratch.buf
	exec := func(t *template.Template, name, out string, data any) error {
		buf.Reset()
		if err := t.ExecuteTemplate(buf, name, data); err != nil {
			return fmt.Errorf("site: render %s: %w", out, err)
		}
		return put(out, buf.Bytes())
	}
	s := in.Services[i]
	r := m.Rows[i]
	page := m
	r.Root = "../"
	page.Root, page.Row, page.Page = "../", &r, "services/"+r.Slug+".html"
	// A page rewritten only every few renders is that much older when
	// its visitor's staleness check runs.
	page.StaleAfter += (pageEvery(len(in.Services)) - 1) * int(renderPeriod(in)/time.Second)
	page.Incidents = byService[s.Name]
	days := in.serviceDays(scratch.days[:0], s.Name)
	times := history.ServiceTimes(scratch.times, days, m.Generated, spanLimit(in))
	page.History = historyRows(scratch.rows[:0], days, times, m.Generated)
	scratch.days, scratch.times, scratch.rows = days, times, page.History
	large := r.Chart
	large.Large = true
	page.Charts = []chart{large, weekChart(days, m.Generated.Truncate(24*time.Hour))}
	ratio, ok := totalOf(times).uptime()
	r.Uptime = append(r.Uptime[:len(r.Uptime):len(r.Uptime)], uptimeCell{"All", percent(ratio, ok), allSince(days)})
	if err := exec(pages, "service.html", "services/"+r.Slug+".html", page); err != nil {
		return err
	}
	if badgeT == nil {
		return nil // another language's page: the badges are the root's
	}
	if err := exec(badgeT, "badge.svg", "badges/"+r.Slug+".svg", newBadge(r.Name, r.Cond.Word, r.Cond.Class)); err != nil {
		return err
	}
	ratio, ok = r.month.uptime()
	msg := percent(ratio, ok)
	if !ok {
		msg = "no data"
	}
	return exec(badgeT, "badge.svg", "badges/"+r.Slug+"-uptime.svg", newBadge(isolate(r.Name)+" 30 d", msg, uptimeClass(ratio, ok)))
}

const humanLayout = "2006-01-02 15:04 UTC"

var funcs = template.FuncMap{
	"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"human":    func(t time.Time) string { return t.UTC().Format(humanLayout) },
	"date":     func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
	"kindWord": func(k notice.Kind) string { return kindWord(string(k)) },
}

// allSince is the date of the service's first retained day, which the
// "All" figure covers from.
func allSince(days []history.DaySummary) string {
	if len(days) == 0 {
		return ""
	}
	return days[0].Start.Format(shortDate)
}

// uniqueSlugs refuses two services that would share a page and badges.
func uniqueSlugs(services []Service) error {
	seen := map[string]string{}
	for _, s := range services {
		slug := uptime.Slug(s.Name)
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
