package site

import (
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template/parse"
	"time"

	"github.com/BurntSushi/toml"
)

// The site in several languages ([site] languages): the first at the
// site's root, each other under <code>/, with the same pages. Go and the
// templates write English; a page in another language translates each
// fixed phrase through its phrase table, templates/phrases/<code>.toml,
// whose keys are the English phrases (gettext style). A phrase with
// numbers is looked up as its pattern: "3 failed checks, watching" as
// "%d failed checks, watching". status.json, the feed and the badges are
// written once, at the root, from the first language's templates.

// phraseDir holds one phrase table per supported language.
const phraseDir = "phrases"

// sourceLang is the language the templates and Go are written in: its
// table needs no phrases.
const sourceLang = "en"

// lang is one language of the site as a render uses it.
type lang struct {
	Code   string // "he"
	Name   string // the language's own name, for the switch: "עברית"
	Dir    string // "ltr" or "rtl"
	Prefix string // where its pages are, from the site's root: "" for the first language, "he/"

	phrases   map[string]string
	months    []string          // January first
	longDate  string            // "{day} {month} {year}"
	monthYear string            // "{month} {year}"
	names     map[string]string // display names by configured service name, cleaned
	// miss, when set, hears each phrase a page used that the table
	// lacks (tests list them; see TestPhrasesTranslated).
	miss func(phrase string)
}

// phraseFile is a phrase table as written in templates/phrases.
type phraseFile struct {
	Name      string            `toml:"name"`
	Dir       string            `toml:"dir"`
	Months    []string          `toml:"months"`
	LongDate  string            `toml:"long_date"`
	MonthYear string            `toml:"month_year"`
	Phrases   map[string]string `toml:"phrases"`
}

// english is the source language when the templates carry no table for
// it (a test's own template folder).
func english() *lang {
	return &lang{Code: sourceLang, Name: "English", Dir: "ltr", longDate: "{day} {month} {year}", monthYear: "{month} {year}",
		months: []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}}
}

// Languages lists the codes the templates have a phrase table for,
// sorted: the values [site] languages accepts.
func Languages(tmpl fs.FS) []string {
	codes := []string{sourceLang}
	names, _ := fs.Glob(tmpl, phraseDir+"/*.toml")
	for _, n := range names {
		if code := strings.TrimSuffix(path.Base(n), ".toml"); code != sourceLang {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	return codes
}

// CheckLanguages reports the first of codes the templates cannot render,
// naming the supported ones.
func CheckLanguages(tmpl fs.FS, codes []string) error {
	supported := Languages(tmpl)
	for _, c := range codes {
		if !slices.Contains(supported, c) {
			return fmt.Errorf("language %q has no phrase table (%s/%s.toml); supported: %s", c, phraseDir, c, strings.Join(supported, ", "))
		}
	}
	return nil
}

// loadLangs reads the phrase tables of in's languages, the first with
// the root's place; English alone when in names none.
func loadLangs(tmpl fs.FS, in Input) ([]*lang, error) {
	codes := in.Languages
	if len(codes) == 0 {
		codes = []string{sourceLang}
	}
	if err := CheckLanguages(tmpl, codes); err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	out := make([]*lang, len(codes))
	for i, code := range codes {
		l, err := loadLang(tmpl, code)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			l.Prefix = code + "/"
		}
		for _, s := range in.Services {
			if n := clean(s.Names[code]); n != "" {
				if l.names == nil {
					l.names = map[string]string{}
				}
				l.names[s.Name] = n
			}
		}
		out[i] = l
	}
	return out, nil
}

func loadLang(tmpl fs.FS, code string) (*lang, error) {
	name := phraseDir + "/" + code + ".toml"
	b, err := fs.ReadFile(tmpl, name)
	if err != nil {
		if code == sourceLang {
			return english(), nil
		}
		return nil, fmt.Errorf("site: %w", err)
	}
	var f phraseFile
	md, err := toml.Decode(string(b), &f)
	if err != nil {
		return nil, fmt.Errorf("site: %s: %w", name, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		return nil, fmt.Errorf("site: %s: unknown key %s", name, un[0])
	}
	if len(f.Months) != 12 || f.LongDate == "" || f.MonthYear == "" || (f.Dir != "ltr" && f.Dir != "rtl") {
		return nil, fmt.Errorf("site: %s: needs dir (ltr or rtl), 12 months, long_date and month_year", name)
	}
	return &lang{Code: code, Name: f.Name, Dir: f.Dir, phrases: f.Phrases, months: f.Months, longDate: f.LongDate, monthYear: f.MonthYear}, nil
}

// T is phrase in the language: its translation, or the phrase itself
// (English, or a phrase the table lacks). A phrase with numbers is looked
// up as its pattern, each run of digits a %d.
func (l *lang) T(phrase string) string {
	if l == nil || l.Code == sourceLang || phrase == "" {
		return phrase
	}
	if s, ok := l.phrases[phrase]; ok {
		return s
	}
	key := phrase // what the table lacks, for miss
	if pattern, nums := numberPattern(phrase); len(nums) > 0 {
		if s, ok := l.phrases[pattern]; ok {
			switch strings.Count(s, "%d") {
			case len(nums):
				return fmt.Sprintf(s, nums...)
			case 0:
				return s // "1 incident": "תקרית אחת"
			}
		}
		key = pattern
	}
	if l.miss != nil {
		l.miss(key)
	}
	return phrase
}

// numberPattern replaces each run of digits in s with %d and returns them.
func numberPattern(s string) (string, []any) {
	var b strings.Builder
	var nums []any
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			if s[i] == '%' {
				b.WriteByte('%') // a literal percent sign stays one in the pattern
			}
			b.WriteByte(s[i])
			i++
			continue
		}
		n, err := strconv.Atoi(s[i:j])
		if err != nil {
			return s, nil
		}
		nums = append(nums, n)
		b.WriteString("%d")
		i = j
	}
	return b.String(), nums
}

// Words translates each word of a figure that is not a number: the units
// of "1 h 5 min", the month of "29 Nov", the "UTC" of "09:50 UTC" ("ms"
// stays as it is, as the SI writes it). Go writes these figures once for every language.
func (l *lang) Words(figure string) string {
	if l == nil || l.Code == sourceLang || figure == "" {
		return figure
	}
	words := strings.Split(figure, " ")
	for i, w := range words {
		if w != "" && (w[0] < '0' || w[0] > '9') && w != "—" {
			words[i] = l.T(w)
		}
	}
	return strings.Join(words, " ")
}

// LongDate is "2 November 2026" in the language.
func (l *lang) LongDate(t time.Time) string {
	if l == nil {
		l = english()
	}
	t = t.UTC()
	return strings.NewReplacer("{day}", strconv.Itoa(t.Day()), "{month}", l.months[t.Month()-1], "{year}", strconv.Itoa(t.Year())).Replace(l.longDate)
}

// MonthYear is "November 2026" in the language.
func (l *lang) MonthYear(t time.Time) string {
	if l == nil {
		l = english()
	}
	t = t.UTC()
	return strings.NewReplacer("{month}", l.months[t.Month()-1], "{year}", strconv.Itoa(t.Year())).Replace(l.monthYear)
}

// RTL is true for a language written right to left.
func (l *lang) RTL() bool { return l.Dir == "rtl" }

// name is a service's name in the language: its names entry, else the
// configured name, cleaned for display.
func (l *lang) name(key string) string {
	if n, ok := l.names[key]; ok {
		return n
	}
	return clean(key)
}

// funcs are the template functions that speak the language; they replace
// the English ones of funcs when a language's pages are parsed.
func (l *lang) funcs() template.FuncMap {
	return template.FuncMap{
		"t":         l.T,
		"words":     l.Words,
		"name":      l.name,
		"longDate":  l.LongDate,
		"monthName": l.MonthYear,
		"fill":      fill,
		"note":      l.Note,
	}
}

// inline translates once, at parse time, every {{t "literal"}} of the
// templates, replacing it with its text, HTML-escaped: a page then pays
// nothing per phrase, where each call (and the escaping html/template adds
// to it) cost allocations on every row of a year of daily history. Only
// a phrase alone in its action is inlined; t with a computed argument
// runs when the page is written. The templates must not have run yet.
func (l *lang) inline(pages *template.Template) {
	for _, t := range pages.Templates() {
		if t.Tree != nil && t.Tree.Root != nil {
			l.inlineList(t.Tree.Root)
		}
	}
}

func (l *lang) inlineList(list *parse.ListNode) {
	if list == nil {
		return
	}
	for i, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if phrase, ok := literalT(n); ok {
				list.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: []byte(template.HTMLEscapeString(l.T(phrase)))}
			}
		case *parse.IfNode:
			l.inlineList(n.List)
			l.inlineList(n.ElseList)
		case *parse.RangeNode:
			l.inlineList(n.List)
			l.inlineList(n.ElseList)
		case *parse.WithNode:
			l.inlineList(n.List)
			l.inlineList(n.ElseList)
		case *parse.ListNode:
			l.inlineList(n)
		}
	}
}

// literalT reports the phrase of an action that is {{t "phrase"}}.
func literalT(a *parse.ActionNode) (string, bool) {
	if a.Pipe == nil || len(a.Pipe.Decl) > 0 || len(a.Pipe.Cmds) != 1 || len(a.Pipe.Cmds[0].Args) != 2 {
		return "", false
	}
	id, ok := a.Pipe.Cmds[0].Args[0].(*parse.IdentifierNode)
	if !ok || id.Ident != "t" {
		return "", false
	}
	s, ok := a.Pipe.Cmds[0].Args[1].(*parse.StringNode)
	if !ok {
		return "", false
	}
	return s.Text, true
}

// fill puts values into a translated pattern's named places: fill("{n}
// services", "n", "3"). Named, so that a translation may reorder them.
func fill(pattern string, kv ...string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		pattern = strings.ReplaceAll(pattern, "{"+kv[i]+"}", kv[i+1])
	}
	return pattern
}

// altLink is a page in another language: the switch's link and the
// head's <link rel="alternate" hreflang>.
type altLink struct{ Code, Name, Href string }

// Assets is the way from the page to the site's root, where the files
// shared by every language are: the stylesheet, the script, status.json,
// the feed, the badges and the logo.
func (m model) Assets() string {
	if m.Lang == nil || m.Lang.Prefix == "" {
		return m.Root
	}
	return strings.Repeat("../", strings.Count(m.Lang.Prefix, "/")) + m.Root
}

// Alternates are this page in each of the site's languages, for the
// head's hreflang links: absolute addresses, as search engines require,
// so none when the site's address (status_page_url) is unknown, on a page
// without a path, or on a site in one language.
func (m model) Alternates() []altLink {
	if m.URL == "" || m.Page == "" || len(m.langs) < 2 {
		return nil
	}
	page := m.Page
	if page == "index.html" {
		page = ""
	}
	out := make([]altLink, len(m.langs))
	for i, l := range m.langs {
		out[i] = altLink{Code: l.Code, Name: l.Name, Href: m.URL + "/" + l.Prefix + page}
	}
	return out
}

// Switch is the links to this page in the site's other languages,
// relative, for the header.
func (m model) Switch() []altLink {
	if m.Page == "" || len(m.langs) < 2 {
		return nil
	}
	var out []altLink
	for _, l := range m.langs {
		if l != m.Lang {
			out = append(out, altLink{Code: l.Code, Name: l.Name, Href: m.Assets() + l.Prefix + m.Page})
		}
	}
	return out
}
