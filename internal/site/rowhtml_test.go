package site

import (
	"bytes"
	"html/template"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/templates"
)

// referenceRow is the row's markup as html/template wrote it before it
// moved into Go (rowhtml.go): the templates the index and the service
// pages used, kept here as the standard the Go code is held to.
const referenceRow = `
{{- define "state" -}}
<p class="state s-{{.Cond.Class}}"><span class="icon" aria-hidden="true">{{.Cond.Icon}}</span> {{.Cond.Word}}</p>
{{- end}}

{{- define "meta" -}}
<p class="meta">{{if .Watch}}<span class="watch">{{.Watch}}</span> · {{end}}{{if .Cause}}<strong>{{.Cause}}</strong> · {{end}}{{with .SinceText}}since <time datetime="{{.ISO}}">{{.Human}}</time> · {{end}}{{with .LastCheckText}}last check <time datetime="{{.ISO}}">{{.Human}}</time>{{else}}not checked yet{{end}}{{if and .LastCheckText .LastMS}}, {{.LastMS}} ms{{end}}</p>
{{- if .Maint}}
<p class="meta">Maintenance: <a href="{{.Root}}notices.html#{{.Maint.Slug}}">{{.Maint.Title}}</a>, until <time datetime="{{rfc3339 .Maint.End}}">{{human .Maint.End}}</time></p>
{{- end}}
{{- end}}

{{- define "uptime" -}}
<dl class="uptime">{{.Items}}</dl>
{{- end}}

{{- define "bar" -}}
<figure class="bar">
<svg viewBox="0 0 270 20" preserveAspectRatio="none" role="img" aria-label="Daily uptime for the last 90 days; hover a day for details">
{{- .Cells -}}
</svg>
<figcaption><span>90 days ago</span><span>Today</span></figcaption>
</figure>
{{- end}}

{{- define "spark" -}}
<figure class="spark">{{.HTML}}
</figure>
{{- end}}

{{- define "item" -}}
<li class="svc" id="{{.Slug}}">
<div class="head"><h3><a href="services/{{.Slug}}.html"><bdi>{{.Name}}</bdi></a></h3>{{template "state" .}}</div>
{{template "meta" .}}
{{template "uptime" .}}
{{template "bar" .}}
{{template "spark" .Spark}}
</li>
{{- end}}`

// referenceView is a row as the reference templates read it.
type referenceView struct {
	*row
	Items, Cells template.HTML
}

// TestRowMarkupMatchesTemplates renders rows full of text that needs
// escaping (quotes, ampersands, plus signs, angle brackets, NUL, invalid
// UTF-8, right-to-left text) both ways and wants the same bytes.
func TestRowMarkupMatchesTemplates(t *testing.T) {
	ref := template.Must(template.New("").Funcs(funcs).Parse(referenceRow))
	exec := func(name string, data any) string {
		var b bytes.Buffer
		if err := ref.ExecuteTemplate(&b, name, data); err != nil {
			t.Fatalf("reference %s: %v", name, err)
		}
		return b.String()
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 500 {
		r := randomRow(rng)
		view := referenceView{
			row:   r,
			Items: markup(appendUptimeItems(nil, r.Uptime)),
			Cells: markup(r.bar(nil)),
		}
		for _, c := range []struct {
			name, got string
		}{
			{"state", string(r.StateHTML())},
			{"meta", string(r.MetaHTML())},
			{"uptime", string(r.UptimeHTML())},
			{"bar", string(r.BarHTML())},
			{"spark", string(r.SparkHTML())},
			{"item", string(r.appendIndexItem(nil))},
		} {
			data := any(view)
			if c.name == "spark" {
				data = r.Spark
			}
			want := exec(c.name, data)
			if c.name == "item" {
				want = "\n" + want
			}
			if c.got != want {
				t.Fatalf("row %d, %s:\n got %q\nwant %q", i, c.name, c.got, want)
			}
		}
	}
}

// hostile is text a service name, a notice's file name or its title may
// hold.
var hostile = []string{
	"", "Linker API", `<script>alert("x")</script>`, "a&b", "C++ & 'C'", "100%", "%41%zz%4",
	"\x00nul", "bad\xffutf8\xc3", "עברית", "mixed ltr עב rtl", "a/b?c=d#e", "!$*,;:@[]",
	"spaces and\ttabs", "~._-", "é", "😀 emoji",
}

func pick(rng *rand.Rand) string {
	s := hostile[rng.IntN(len(hostile))]
	if rng.IntN(3) == 0 {
		s += hostile[rng.IntN(len(hostile))]
	}
	return s
}

func randomRow(rng *rand.Rand) *row {
	times := []time.Time{
		{},
		time.Date(2026, 11, 24, 18, 30, 0, 0, time.UTC),
		time.Date(2026, 3, 1, 2, 3, 4, 0, time.FixedZone("east", 5*3600+1800)),
		time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	r := &row{
		Name:   pick(rng),
		Slug:   pick(rng),
		Root:   []string{"", "../"}[rng.IntN(2)],
		Cond:   condition{Class: pick(rng), Icon: pick(rng), Word: pick(rng)},
		Cause:  []string{"", pick(rng)}[rng.IntN(2)],
		Watch:  []string{"", pick(rng)}[rng.IntN(2)],
		LastMS: []int64{0, 1, 250, -3}[rng.IntN(4)],
	}
	r.SinceText = newMoment(times[rng.IntN(len(times))])
	r.LastCheckText = newMoment(times[rng.IntN(len(times))])
	for range rng.IntN(5) {
		r.Uptime = append(r.Uptime, uptimeCell{pick(rng), pick(rng)})
	}
	if rng.IntN(2) == 0 {
		r.Maint = &noticeView{Notice: notice.Notice{
			Slug: pick(rng), Title: pick(rng), End: times[rng.IntN(len(times))],
		}}
	}
	cells := pick(rng)
	r.bar = func(b []byte) []byte { return append(b, cells...) }
	r.Spark = spark{HTML: template.HTML(pick(rng))}
	return r
}

func TestAppendURL(t *testing.T) {
	tests := []struct {
		in        string
		normalize bool
		want      string
	}{
		{"linker-api", true, "linker-api"},
		{"a b", true, "a%20b"},
		{"a&b+c", true, "a&amp;b&#43;c"}, // kept in a path, escaped for the attribute
		{"a&b+c", false, "a%26b%2bc"},
		{"%41%zz", true, "%41%25zz"},
		{"%41", false, "%2541"},
		{`"'<>`, true, "%22%27%3c%3e"},
		{"é", false, "%c3%a9"},
	}
	for _, tt := range tests {
		if got := string(appendURL(nil, tt.in, tt.normalize)); got != tt.want {
			t.Errorf("appendURL(%q, %v) = %q, want %q", tt.in, tt.normalize, got, tt.want)
		}
	}
}

// TestIndexRowsBetweenItsParts: the rows sit inside the services list,
// each once, in order, and an empty site has an empty list.
func TestIndexRowsBetweenItsParts(t *testing.T) {
	for _, n := range []int{0, 3} {
		in := fixtureInput(t)
		in.Services = in.Services[:min(n, len(in.Services))]
		dir := filepath.Join(t.TempDir(), "site")
		if err := Render(templates.FS, dir, in); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		index := string(data)
		list := index[strings.Index(index, `<ul class="services">`):]
		list = list[:strings.Index(list, "</ul>")+len("</ul>")]
		if got := strings.Count(list, `<li class="svc"`); got != len(in.Services) {
			t.Errorf("%d services: %d list items, want %d", len(in.Services), got, len(in.Services))
		}
		if n == 0 && list != "<ul class=\"services\">\n</ul>" {
			t.Errorf("empty site's list = %q", list)
		}
	}
}
