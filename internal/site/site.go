// Package site renders the static status site from the tracker's state, so
// any static host can serve it. The same input gives byte-identical files:
// the time comes from the input and lists keep the configuration's order.
package site

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/Sefaria/statusgen/internal/atomicfile"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// Input is everything a render reads.
type Input struct {
	Title     string
	Refresh   int       // seconds between automatic reloads
	Generated time.Time // the time the page says it was made
	Services  []Service // in configuration order
}

// Service is one row of the page.
type Service struct {
	Name      string
	Status    uptime.Status // "" when never checked
	Since     time.Time     // when the current status began, if known
	LastCheck time.Time
}

// Render writes index.html and style.css into dir from the templates in tmpl.
func Render(tmpl fs.FS, dir string, in Input) error {
	t, err := template.New("index.html").Funcs(template.FuncMap{
		"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"human":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	}).ParseFS(tmpl, "index.html")
	if err != nil {
		return fmt.Errorf("site: parse templates: %w", err)
	}
	var page bytes.Buffer
	if err := t.Execute(&page, newPage(in)); err != nil {
		return fmt.Errorf("site: render index.html: %w", err)
	}
	css, err := fs.ReadFile(tmpl, "style.css")
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	for name, data := range map[string][]byte{"index.html": page.Bytes(), "style.css": css} {
		if err := atomicfile.Write(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("site: %w", err)
		}
	}
	return nil
}

type page struct {
	Title     string
	Refresh   int
	Generated time.Time
	Overall   banner
	Services  []row
}

type banner struct{ Class, Icon, Text string }

type row struct {
	Service
	Icon, Word string
}

func newPage(in Input) page {
	p := page{Title: in.Title, Refresh: in.Refresh, Generated: in.Generated}
	if p.Refresh <= 0 {
		p.Refresh = 60
	}
	down, degraded := 0, 0
	for _, s := range in.Services {
		r := row{Service: s}
		switch s.Status {
		case uptime.Up:
			r.Icon, r.Word = "✔", "Operational"
		case uptime.Degraded:
			r.Icon, r.Word = "▲", "Degraded performance"
			degraded++
		case uptime.Down:
			r.Icon, r.Word = "✖", "Down"
			down++
		default:
			r.Status, r.Icon, r.Word = "unknown", "?", "No data yet"
		}
		p.Services = append(p.Services, r)
	}
	switch {
	case down > 0 && down == len(in.Services):
		p.Overall = banner{"down", "✖", "Major outage"}
	case down > 0:
		p.Overall = banner{"down", "✖", "Partial outage"}
	case degraded > 0:
		p.Overall = banner{"degraded", "▲", "Degraded performance"}
	default:
		p.Overall = banner{"up", "✔", "All systems operational"}
	}
	return p
}
