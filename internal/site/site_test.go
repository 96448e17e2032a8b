package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

func TestRenderBannerAndRows(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		statuses []uptime.Status
		banner   string
	}{
		{"all up", []uptime.Status{uptime.Up, uptime.Up}, "All systems operational"},
		{"one slow", []uptime.Status{uptime.Up, uptime.Degraded}, "Degraded performance"},
		{"one down", []uptime.Status{uptime.Down, uptime.Up}, "Partial outage"},
		{"all down", []uptime.Status{uptime.Down, uptime.Down}, "Major outage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Title: "Status", Generated: now}
			for i, s := range tt.statuses {
				in.Services = append(in.Services, Service{Name: string(rune('a' + i)), Status: s, LastCheck: now})
			}
			dir := t.TempDir()
			if err := Render(templates.FS, dir, in); err != nil {
				t.Fatalf("Render: %v", err)
			}
			html, _ := os.ReadFile(filepath.Join(dir, "index.html"))
			if !strings.Contains(string(html), tt.banner) {
				t.Errorf("index.html lacks banner %q", tt.banner)
			}
		})
	}
}

func TestRenderEscapesNamesAndIsDeterministic(t *testing.T) {
	in := Input{Title: "<b>Status</b>", Generated: time.Unix(0, 0),
		Services: []Service{{Name: `<script>alert(1)</script>`, Status: uptime.Down}}}
	a, b := t.TempDir(), t.TempDir()
	if err := Render(templates.FS, a, in); err != nil {
		t.Fatal(err)
	}
	if err := Render(templates.FS, b, in); err != nil {
		t.Fatal(err)
	}
	ha, _ := os.ReadFile(filepath.Join(a, "index.html"))
	hb, _ := os.ReadFile(filepath.Join(b, "index.html"))
	if string(ha) != string(hb) {
		t.Error("two renders of the same input differ")
	}
	if strings.Contains(string(ha), "<script>") || strings.Contains(string(ha), "<b>Status") {
		t.Errorf("remote text reached the page unescaped:\n%s", ha)
	}
	if !strings.HasPrefix(strings.SplitN(string(ha), "<head>\n", 2)[1], `<meta http-equiv="Content-Security-Policy"`) {
		t.Error("the Content-Security-Policy meta tag is not first in <head>")
	}
}
