package site

import (
	"html/template"
	"strconv"
	"time"
)

// A service's row, on the index and at the top of its own page, is written
// here rather than by html/template: at 10,000 services the index's
// template actions, a few dozen reflective calls per row, were a tenth of
// the runner's CPU. Every value goes through appendText or appendURL,
// which escape exactly as html/template does in the same places, and
// TestRowMarkupMatchesTemplates holds the two to the same bytes.

// appendIndexItem appends the row's list item on the index.
func (r *row) appendIndexItem(b []byte) []byte {
	b = append(b, "\n<li class=\"svc\" id=\""...)
	b = appendText(b, r.Slug)
	b = append(b, "\">\n<div class=\"head\"><h3><a href=\"services/"...)
	b = appendURL(b, r.Slug, true)
	b = append(b, ".html\"><bdi>"...)
	b = appendText(b, r.Name)
	b = append(b, "</bdi></a></h3>"...)
	b = r.appendState(b)
	b = append(b, "</div>\n"...)
	b = r.appendMeta(b)
	b = append(b, '\n')
	b = r.appendUptime(b)
	b = append(b, '\n')
	b = r.appendBar(b)
	b = append(b, '\n')
	b = r.appendSpark(b)
	return append(b, "\n</li>"...)
}

// StateHTML, MetaHTML, UptimeHTML, BarHTML and SparkHTML are the parts of
// the row that a service's page shows.
func (r *row) StateHTML() template.HTML  { return markup(r.appendState(nil)) }
func (r *row) MetaHTML() template.HTML   { return markup(r.appendMeta(nil)) }
func (r *row) UptimeHTML() template.HTML { return markup(r.appendUptime(nil)) }
func (r *row) BarHTML() template.HTML    { return markup(r.appendBar(nil)) }
func (r *row) SparkHTML() template.HTML  { return markup(r.appendSpark(nil)) }

// appendState is the condition in words with its icon, so that colour is
// never the only sign.
func (r *row) appendState(b []byte) []byte {
	b = append(b, "<p class=\"state s-"...)
	b = appendText(b, r.Cond.Class)
	b = append(b, "\"><span class=\"icon\" aria-hidden=\"true\">"...)
	b = appendText(b, r.Cond.Icon)
	b = append(b, "</span> "...)
	b = appendText(b, r.Cond.Word)
	return append(b, "</p>"...)
}

// appendMeta is the cause or the note on unconfirmed failures, since
// when, the last check and its latency, and the maintenance in force.
func (r *row) appendMeta(b []byte) []byte {
	b = append(b, "<p class=\"meta\">"...)
	if r.Watch != "" {
		b = append(b, "<span class=\"watch\">"...)
		b = appendText(b, r.Watch)
		b = append(b, "</span> · "...)
	}
	if r.Cause != "" {
		b = append(b, "<strong>"...)
		b = appendText(b, r.Cause)
		b = append(b, "</strong> · "...)
	}
	if r.SinceText != nil {
		b = append(b, "since "...)
		b = appendTime(b, r.SinceText)
		b = append(b, " · "...)
	}
	if r.LastCheckText != nil {
		b = append(b, "last check "...)
		b = appendTime(b, r.LastCheckText)
		if r.LastMS != 0 {
			b = append(b, ", "...)
			b = strconv.AppendInt(b, r.LastMS, 10)
			b = append(b, " ms"...)
		}
	} else {
		b = append(b, "not checked yet"...)
	}
	b = append(b, "</p>"...)
	if m := r.Maint; m != nil {
		b = append(b, "\n<p class=\"meta\">Maintenance: <a href=\""...)
		b = appendText(b, r.Root) // "" or "../", a page's way back, never data
		b = append(b, "notices.html#"...)
		b = appendURL(b, m.Slug, false)
		b = append(b, "\">"...)
		b = appendText(b, m.Title)
		b = append(b, "</a>, until "...)
		end := m.End.UTC()
		b = appendTime(b, &moment{end.Format(time.RFC3339), end.Format(humanLayout)})
		b = append(b, "</p>"...)
	}
	return b
}

// appendTime is a <time> element: RFC 3339 for machines, the human form
// for people.
func appendTime(b []byte, m *moment) []byte {
	b = append(b, "<time datetime=\""...)
	b = appendText(b, m.ISO)
	b = append(b, "\">"...)
	b = appendText(b, m.Human)
	return append(b, "</time>"...)
}

// appendUptime is the 24 h, 7, 30 and 90 day figures (and "All" on a
// service's page) as a description list.
func (r *row) appendUptime(b []byte) []byte {
	b = append(b, "<dl class=\"uptime\">"...)
	b = appendUptimeItems(b, r.Uptime)
	return append(b, "</dl>"...)
}

// appendBar is the 90-day bar, a cell per day with its tooltip.
func (r *row) appendBar(b []byte) []byte {
	b = append(b, "<figure class=\"bar\">\n<svg viewBox=\"0 0 270 20\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"Daily uptime for the last 90 days; hover a day for details\">"...)
	if r.bar != nil {
		b = r.bar(b)
	}
	return append(b, "</svg>\n<figcaption><span>90 days ago</span><span>Today</span></figcaption>\n</figure>"...)
}

// appendSpark is the response-time sparkline of the last 24 hours.
func (r *row) appendSpark(b []byte) []byte {
	b = append(b, "<figure class=\"spark\">"...)
	b = append(b, r.Spark.HTML...)
	return append(b, "\n</figure>"...)
}

// appendText appends s escaped as html/template escapes text and quoted
// attribute values: NUL, quotes, &, +, < and > (its htmlReplacementTable;
// no byte of a multi-byte UTF-8 sequence is among them).
func appendText(b []byte, s string) []byte {
	done := 0
	for i := 0; i < len(s); i++ {
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		b = append(b, s[done:i]...)
		b = append(b, repl...)
		done = i + 1
	}
	return append(b, s[done:]...)
}

// appendURL appends s percent-encoded as html/template encodes a value in
// a URL: within the path (normalize) only what a URL cannot carry, in a
// query or fragment everything but RFC 3986's unreserved characters. Its
// output needs no further escaping in a quoted attribute.
func appendURL(b []byte, s string, normalize bool) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
			b = append(b, c)
			continue
		case normalize && isURLReserved(c):
			b = appendText(b, s[i:i+1]) // & and + need it in an attribute
			continue
		case normalize && c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&0xf])
	}
	return b
}

func isURLReserved(c byte) bool {
	switch c {
	case '!', '#', '$', '&', '*', '+', ',', '/', ':', ';', '=', '?', '@', '[', ']':
		return true
	}
	return false
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
