package site

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

// badgeMaker is shields' badge renderer (npm badge-maker, with its
// anafanafo), which .ci/run installs into .ci/node, and node to run it;
// missing, the test is skipped, or fails in CI.
func badgeMaker(t *testing.T) string {
	t.Helper()
	path := npmFile(t, "BADGE_MAKER_JS", "badge-maker/lib/index.js")
	if _, err := exec.LookPath("node"); err != nil {
		if browserTestsRequired() {
			t.Fatal("node is not on PATH (apt-get install nodejs)")
		}
		t.Skip("node is not on PATH: skipped")
	}
	return path
}

// runNode runs an ES module script with badge-maker's path as its
// argument and in on its standard input.
func runNode(t *testing.T, maker, script string, in []byte) []byte {
	t.Helper()
	cmd := exec.Command("node", "--input-type=module", "-e", script, maker)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	return out
}

// TestVerdanaWidthsMatchAnafanafo holds the generated table to the npm
// package it came from, for every code point: a regenerated table from a
// different anafanafo, or a lookup off by one range, fails here.
func TestVerdanaWidthsMatchAnafanafo(t *testing.T) {
	maker := badgeMaker(t)
	out := runNode(t, maker, `
import { createRequire } from 'node:module'
const measure = createRequire(process.argv[1])('anafanafo')
const w = []
for (let c = 0; c <= 0x10ffff; c++) w.push(measure(String.fromCodePoint(c), { font: '11px Verdana' }))
process.stdout.write(w.join(','))
`, nil)
	widths := strings.Split(string(out), ",")
	if len(widths) != 0x110000 {
		t.Fatalf("anafanafo gave %d widths, want one for each of 0x110000 code points", len(widths))
	}
	bad := 0
	for c, s := range widths {
		want, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("U+%04X: %v", c, err)
		}
		if c >= 0xd800 && c <= 0xdfff {
			continue // a lone surrogate, which no Go string holds
		}
		if got, _ := verdanaWidth(string(rune(c))); got != want {
			if bad++; bad <= 10 {
				t.Errorf("verdanaWidth(U+%04X) = %v, want anafanafo's %v", c, got, want)
			}
		}
	}
	if bad > 10 {
		t.Errorf("… and %d more code points", bad-10)
	}
}

// TestBadgeMatchesShields renders badges with our template and with
// shields' badge-maker (flat style) and compares their geometry: the
// badge's width, each rectangle, each text's centre and length, and the
// text itself. Our badge is badge-maker's without the text shadow, and
// without textLength on a text anafanafo has to guess a width for.
func TestBadgeMatchesShields(t *testing.T) {
	maker := badgeMaker(t)
	cases := []struct{ name, label, message string }{
		{"status word", "sefaria.org", "Operational"},
		{"uptime", "Linker 30 d", "99.95 %"},
		{"digits and percent", "0123456789", "100.00 %"},
		{"wide letters", "WWW MMM mmm", "Major outage"},
		{"narrow letters", "illjjj.:;|", "no data"},
		{"markup characters", `<img src=x onerror="alert(1)"> & chat`, "Degraded"},
		{"Hebrew service", "ספריא", "Operational"},
		{"Hebrew name isolated in the uptime label", isolate(hebrewNames[0]) + " 30 d", "99.1 %"},
		{"niqqud", "סְפָרִים", "Down"},
		{"outside the table: an emoji", "🚀 launch", "Maintenance"},
		{"CJK", "状态页", "Operational"},
		{"padded", "  MCP Server ", " 0.00 % "},
	}
	type pair struct {
		Label   string `json:"label"`
		Message string `json:"message"`
	}
	in := make([]pair, len(cases))
	for i, c := range cases {
		in[i] = pair{c.label, c.message}
	}
	js, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	// Each badge, and whether anafanafo knows the width of every character
	// of its label and its message (with guess false it throws otherwise).
	out := runNode(t, maker, `
import { pathToFileURL } from 'node:url'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
const { makeBadge } = await import(pathToFileURL(process.argv[1]))
const measure = createRequire(process.argv[1])('anafanafo')
const known = s => { try { measure(s.trim(), { font: '11px Verdana', guess: false }); return true } catch { return false } }
const badges = JSON.parse(readFileSync(0, 'utf8'))
process.stdout.write(JSON.stringify(badges.map(b => ({
  svg: makeBadge({ ...b, color: '#2e7d32', style: 'flat' }), known: [known(b.label), known(b.message)],
}))))
`, js)
	var theirs []struct {
		SVG   string
		Known [2]bool
	}
	if err := json.Unmarshal(out, &theirs); err != nil {
		t.Fatalf("badge-maker's output: %v", err)
	}
	guessed := 0
	tmpl := template.Must(template.New("badge.svg").ParseFS(templates.FS, "badge.svg"))
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ours bytes.Buffer
			if err := tmpl.Execute(&ours, newBadge(c.label, c.message, "up")); err != nil {
				t.Fatal(err)
			}
			got, err := badgeGeometry(ours.Bytes())
			if err != nil {
				t.Fatalf("our badge: %v\n%s", err, ours.Bytes())
			}
			want, err := badgeGeometry([]byte(theirs[i].SVG))
			if err != nil {
				t.Fatalf("badge-maker's badge: %v\n%s", err, theirs[i].SVG)
			}
			if len(want.Texts) != 2 {
				t.Fatalf("badge-maker's badge has %d texts, want a label and a message:\n%s", len(want.Texts), theirs[i].SVG)
			}
			for k, known := range theirs[i].Known {
				if !known {
					want.Texts[k].Length = "-"
					guessed++
				}
			}
			if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
				t.Errorf("newBadge(%q, %q):\n got  %s\n want %s (badge-maker)", c.label, c.message, g, w)
			}
		})
	}
	if guessed == 0 {
		t.Error("no case has a character outside anafanafo's table: the guessed widths go untested")
	}
}

// geometry is the layout of a flat badge.
type geometry struct {
	Width, Height string
	Rects         [][2]string // x and width, in order
	Texts         []textGeometry
}

// textGeometry is a visible text: shadows, which carry fill-opacity, are
// left out.
type textGeometry struct{ X, Y, Length, Content string }

// badgeGeometry reads the geometry of a flat badge; "-" for an attribute
// not there.
func badgeGeometry(svg []byte) (geometry, error) {
	var g geometry
	d := xml.NewDecoder(bytes.NewReader(svg))
	var text *textGeometry
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return g, nil
		}
		if err != nil {
			return g, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			a := func(name string) string {
				for _, at := range tok.Attr {
					if at.Name.Local == name {
						return at.Value
					}
				}
				return "-"
			}
			switch tok.Name.Local {
			case "svg":
				g.Width, g.Height = a("width"), a("height")
			case "rect":
				g.Rects = append(g.Rects, [2]string{a("x"), a("width")})
			case "text":
				if a("fill-opacity") == "-" {
					text = &textGeometry{X: a("x"), Y: a("y"), Length: a("textLength")}
				}
			}
		case xml.CharData:
			if text != nil {
				text.Content += string(tok)
			}
		case xml.EndElement:
			if tok.Name.Local == "text" && text != nil {
				g.Texts = append(g.Texts, *text)
				text = nil
			}
		}
	}
}

// TestBadgeHebrewNameKeepsItsDays loads Hebrew services' uptime badges
// in Chromium and reads where each character of the label is drawn: the
// " 30 d" must stay to the right of the name, in that order, and the
// label inside its box. The same label without the isolating marks must
// show the bug (the digits drawn left of the name), or the test could not
// tell the two apart.
func TestBadgeHebrewNameKeepsItsDays(t *testing.T) {
	exe := chromium(t)
	dir := filepath.Join(t.TempDir(), "site")
	in := Input{Title: "Status", Generated: fixedNow}
	for _, name := range []string{"ספריא", hebrewNames[0]} {
		in.Services = append(in.Services, Service{Name: name, Status: uptime.Up, LastCheck: fixedNow, LastSuccess: fixedNow, LastMS: 99})
	}
	if err := Render(templates.FS, dir, in); err != nil {
		t.Fatalf("Render: %v", err)
	}
	var plain bytes.Buffer
	tmpl := template.Must(template.New("badge.svg").ParseFS(templates.FS, "badge.svg"))
	if err := tmpl.Execute(&plain, newBadge(in.Services[0].Name+" 30 d", "no data", "unknown")); err != nil {
		t.Fatal(err)
	}
	unisolated := filepath.Join(t.TempDir(), "plain.svg")
	if err := os.WriteFile(unisolated, plain.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t, exe, 60*time.Second)
	for _, tt := range []struct {
		file      string
		reordered bool
	}{
		{filepath.Join(dir, "badges", uptime.Slug(in.Services[0].Name)+"-uptime.svg"), false},
		{filepath.Join(dir, "badges", uptime.Slug(in.Services[1].Name)+"-uptime.svg"), false},
		{unisolated, true},
	} {
		// Each character's left edge and width in the order of the text,
		// the label's extent, and its box's width, in the text's units
		// (tenths of a pixel).
		var label struct {
			Chars []struct {
				C    string
				X, W float64
			}
			Left, Right, Box float64
		}
		err := chromedp.Run(ctx,
			chromedp.Navigate("file://"+tt.file),
			chromedp.Evaluate(`(() => {
				const t = document.querySelector('text'), s = t.textContent, chars = [];
				if (t.getNumberOfChars() !== s.length) throw new Error('addressable characters ' + t.getNumberOfChars() + ' != ' + s.length);
				for (let i = 0; i < s.length; i++) {
					const r = t.getExtentOfChar(i);
					chars.push({C: s[i], X: r.x, W: r.width});
				}
				const b = t.getBBox();
				return {Chars: chars, Left: b.x, Right: b.x + b.width, Box: 10 * document.querySelectorAll('rect')[1].width.baseVal.value};
			})()`, &label))
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(tt.file), err)
		}
		nameRight, nameLeft := -1e9, 1e9
		var days []float64 // the x of "3", "0" and "d"
		for _, c := range label.Chars {
			switch {
			case c.C >= "\u05d0" && c.C <= "\u05ea": // a Hebrew letter
				nameLeft, nameRight = min(nameLeft, c.X), max(nameRight, c.X+c.W)
			case c.C == "3" || c.C == "0" || c.C == "d":
				days = append(days, c.X)
			}
		}
		if len(days) != 3 || nameLeft > nameRight {
			t.Fatalf("%s: found %d of the characters of 30 d and name span [%v, %v] in %+v", filepath.Base(tt.file), len(days), nameLeft, nameRight, label.Chars)
		}
		inOrder := nameRight <= days[0]+0.5 && days[0] < days[1] && days[1] < days[2]
		switch {
		case !tt.reordered && !inOrder:
			t.Errorf("%s: the label does not read name, 30 d from left to right: name [%.1f, %.1f], 3 0 d at %.1f: %+v",
				filepath.Base(tt.file), nameLeft, nameRight, days, label.Chars)
		case tt.reordered && days[0] >= nameLeft:
			t.Errorf("%s: without the isolating marks Chromium still drew 30 right of the name (3 at %.1f, name from %.1f): the test cannot see the bug it guards",
				filepath.Base(tt.file), days[0], nameLeft)
		}
		if label.Left < 10 || label.Right > label.Box-10 { // a pixel's margin at least
			t.Errorf("%s: the label spans [%.0f, %.0f], outside its box [0, %.0f] less a pixel each side", filepath.Base(tt.file), label.Left, label.Right, label.Box)
		}
	}
}
