package site

import (
	"bytes"
	"encoding/xml"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Atom (RFC 4287), written with encoding/xml so every text is escaped.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string    `xml:"id"`
	Title     string    `xml:"title"`
	Updated   string    `xml:"updated"`
	Published string    `xml:"published"`
	Link      atomLink  `xml:"link"`
	Summary   string    `xml:"summary,omitempty"`
	Content   *atomText `xml:"content,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// feed is feed.atom: the incidents of the last 90 days and every notice,
// newest first (an incident notice by its latest update). pages holds the
// "feed-notice" template that writes an incident's timeline. Its updated time is the newest entry's, so the file only
// changes when an entry does.
func feed(in Input, m model, pages *template.Template) ([]byte, error) {
	base := strings.TrimSuffix(in.URL, "/")
	abs := func(path string) string {
		if base == "" {
			return path
		}
		return base + "/" + path
	}
	id := func(kind, key string) string {
		if base != "" {
			return base + "/" + kind + "/" + url.PathEscape(key)
		}
		return "urn:statusgen:" + uptime.Slug(m.Title) + ":" + kind + ":" + url.PathEscape(key)
	}
	type dated struct {
		at time.Time
		e  atomEntry
	}
	var entries []dated
	for _, iv := range m.Incidents {
		e := atomEntry{
			ID:        id("incident", iv.ID),
			Published: stamp(iv.Start),
			Link:      atomLink{Href: abs("services/" + iv.Slug + ".html#incident-" + iv.ID)},
		}
		at := iv.Start
		if iv.End.IsZero() {
			e.Title = iv.Service + " is down"
			e.Summary = iv.Service + " has been down since " + iv.Start.Format(humanLayout) + ": " + iv.Cause + "."
		} else {
			at = iv.End
			e.Title = iv.Service + " was down for " + iv.Duration
			e.Summary = iv.Service + " was down from " + iv.Start.Format(humanLayout) + " to " +
				iv.End.Format(humanLayout) + " (" + iv.Duration + "): " + iv.Cause + "."
		}
		e.Updated = stamp(at)
		entries = append(entries, dated{at, e})
	}
	var content bytes.Buffer
	for _, n := range in.Notices {
		v := newNoticeView(n)
		e := atomEntry{
			ID:        id("notice", n.Slug),
			Title:     v.Title,
			Published: stamp(n.Start),
			Link:      atomLink{Href: abs("notices.html#" + n.Slug)},
			Summary:   kindWord(string(n.Kind)) + " · " + v.Services,
			Content:   &atomText{Type: "html", Body: string(n.HTML)},
		}
		// An incident's entry is updated with its timeline, so a reader
		// sees each update the team posts; its content is the timeline,
		// newest first, then the body.
		at := n.Start
		if posted := n.Posted(m.Generated); len(posted) > 0 {
			last := posted[len(posted)-1]
			if last.At.After(at) {
				at = last.At
			}
			e.Summary += " · " + string(last.Status)
			content.Reset()
			if err := pages.ExecuteTemplate(&content, "feed-notice", v); err != nil {
				return nil, err
			}
			e.Content.Body = content.String()
		}
		e.Updated = stamp(at)
		entries = append(entries, dated{at, e})
	}
	slices.SortStableFunc(entries, func(a, b dated) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(a.e.ID, b.e.ID)
	})
	f := atomFeed{
		ID:      id("feed", "all"),
		Title:   m.Title,
		Updated: stamp(time.Unix(0, 0)),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: abs("feed.atom")},
			{Rel: "alternate", Type: "text/html", Href: abs("index.html")},
		},
		Author: atomAuthor{Name: m.Title},
	}
	for _, d := range entries {
		f.Entries = append(f.Entries, d.e)
	}
	if len(entries) > 0 {
		f.Updated = entries[0].e.Updated
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// kindWord names a notice kind for people.
func kindWord(kind string) string {
	switch kind {
	case "maintenance":
		return "Maintenance"
	case "incident":
		return "Incident report"
	}
	return "Notice"
}
