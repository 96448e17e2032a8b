package site

import (
	"html/template"
	"strconv"
	"strings"
)

// The 90-day bar and the daily history table are most of the markup (90
// cells per service on the index, 90 more and a row per retained day on each
// service page). Built through html/template they took most of a 100-service
// render, so they are written here. They hold only dates, numbers and
// fixed words, never remote text, and are escaped all the same.

// barHTML is the bar's cells as SVG rects with a <title> tooltip each.
func barHTML(cells []barCell) template.HTML {
	var b strings.Builder
	b.Grow(len(cells) * 72)
	for _, c := range cells {
		b.WriteString(`<rect x="`)
		b.WriteString(strconv.Itoa(c.X))
		b.WriteString(`" class="`)
		b.WriteString(template.HTMLEscapeString(c.Class))
		b.WriteString(`"><title>`)
		b.WriteString(template.HTMLEscapeString(c.Title))
		b.WriteString(`</title></rect>`)
	}
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text
}

// historyHTML is the daily history table's rows.
func historyHTML(days []dayView) template.HTML {
	var b strings.Builder
	b.Grow(len(days) * 200)
	cell := func(s string) {
		b.WriteString("<td>")
		b.WriteString(template.HTMLEscapeString(s))
		b.WriteString("</td>")
	}
	for _, d := range days {
		date := template.HTMLEscapeString(d.Date)
		b.WriteString("\n<tr><th scope=\"row\"><time datetime=\"")
		b.WriteString(date)
		b.WriteString("\">")
		b.WriteString(date)
		b.WriteString("</time></th>")
		cell(d.Uptime)
		if d.Outages {
			cell(d.Downtime)
		} else {
			cell("—")
		}
		cell(strconv.Itoa(d.Checks))
		if d.HasLatency {
			cell(d.P50)
			cell(d.P95)
			cell(d.Max)
		} else {
			cell("—")
			cell("—")
			cell("—")
		}
		b.WriteString("</tr>")
	}
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text
}
