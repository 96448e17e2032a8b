package site

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// hebrewLong is a 300-letter Hebrew display name without a space.
var hebrewLong = string([]rune(strings.Repeat("ספריא", 60))[:300])

// bidiName is a Hebrew name that ends in a number: unisolated, the number
// and a date after it would join the Hebrew and swap places with it.
const bidiName = "שרת 2"

// hebrewSite is the phone fixture in English and Hebrew, with a
// 300-letter Hebrew display name and a maintenance notice for bidiName.
func hebrewSite(t *testing.T) Input {
	in := hebrew(phoneInput(t))
	for i := range in.Services {
		if in.Services[i].Name == longName {
			in.Services[i].Names = map[string]string{"he": hebrewLong}
		}
	}
	in.Notices = append(in.Notices, notice.Notice{Slug: "bidi", Title: "עבודות בשרת", Kind: notice.Maintenance,
		Start: fixedNow.Add(-time.Hour), End: fixedNow.Add(2 * time.Hour), Services: []string{bidiName}})
	return in
}

// TestBrowserHebrew loads the Hebrew pages in Chromium at 360 and 1280 px:
// nothing scrolls sideways, even with a 300-letter Hebrew name, and the
// page lays out right to left.
func TestBrowserHebrew(t *testing.T) {
	exe := chromium(t)
	srv := serveRendered(t, hebrewSite(t))
	ctx := browserContext(t, exe)
	for _, path := range []string{
		"he/index.html", "he/services/" + uptime.Slug(longName) + ".html", "he/services/" + uptime.Slug(hebrewNames[1]) + ".html",
		"he/notices.html", "he/history.html", "he/history/2026-11.html",
	} {
		for _, width := range []int64{360, 1280} {
			t.Run(fmt.Sprintf("%s/%d", path, width), func(t *testing.T) {
				var overflow bool
				var dir, lang, heading string
				if err := chromedp.Run(ctx,
					emulation.SetDeviceMetricsOverride(width, 800, 1, width <= 400),
					chromedp.Navigate(srv.URL+"/"+path),
					chromedp.WaitVisible("footer", chromedp.ByQuery),
					chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow),
					chromedp.Evaluate(`getComputedStyle(document.body).direction`, &dir),
					chromedp.Evaluate(`document.documentElement.lang`, &lang),
					chromedp.Evaluate(`(document.querySelector("h1, h2") || {}).textContent || ""`, &heading),
				); err != nil {
					t.Fatalf("chromedp: %v", err)
				}
				if overflow {
					t.Errorf("the page scrolls sideways at %d px", width)
				}
				if dir != "rtl" || lang != "he" {
					t.Errorf("direction %q, lang %q; want rtl, he", dir, lang)
				}
				if strings.Trim(heading, " \n") == "" {
					t.Error("no heading")
				}
			})
		}
	}
}

// TestBrowserHebrewScript: status.js speaks the page's language. The
// fixture's page is days old, so the staleness note shows, in Hebrew with
// Intl's "לפני … ימים"/"שעות"; the pause button and the time-zone note
// are the page's Hebrew words, and local times are Hebrew dates.
func TestBrowserHebrewScript(t *testing.T) {
	exe := chromium(t)
	srv := serveRendered(t, hebrew(fixtureInput(t)))
	ctx := browserContext(t, exe)
	var stale, button, paused, zone, when string
	if err := chromedp.Run(ctx,
		emulation.SetScriptExecutionDisabled(false),
		chromedp.Navigate(srv.URL+"/he/index.html"),
		chromedp.WaitVisible("#stale", chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("tz-note").textContent !== "השעות לפי UTC."`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`document.getElementById("stale").textContent`, &stale),
		chromedp.Evaluate(`document.querySelector("#refresh button").textContent`, &button),
		chromedp.Evaluate(`document.querySelector("#refresh button").click(); document.getElementById("refresh-note").textContent`, &paused),
		chromedp.Evaluate(`document.getElementById("tz-note").textContent`, &zone),
		chromedp.Evaluate(`document.querySelector(".svc time").textContent`, &when),
	); err != nil {
		t.Fatalf("chromedp: %v", err)
	}
	for _, tc := range []struct{ what, got, want string }{
		{"staleness note", stale, "עודכן לאחרונה לפני"},
		{"pause button", button, "השהיית רענון אוטומטי"},
		{"paused note", paused, "הרענון האוטומטי מושהה"},
		{"time-zone note", zone, "השעות לפי אזור הזמן שלך"},
		{"a local time", when, "בנוב׳"},
	} {
		if !strings.Contains(tc.got, tc.want) {
			t.Errorf("%s = %q, want it to contain %q", tc.what, tc.got, tc.want)
		}
	}
}

// span is an element's or a text's left and right edges on the screen.
type span struct{ Left, Right float64 }

// TestBrowserBidiOrder: names, numbers and dates appear in the order they
// are read. On the English page a Hebrew name stays left of the date
// after it (unisolated, the date's digits would join the Hebrew and move
// to its left); on the Hebrew page each part of a line stands left of the
// one before it, the name and the date included.
func TestBrowserBidiOrder(t *testing.T) {
	exe := chromium(t)
	srv := serveRendered(t, hebrewSite(t))
	ctx := browserContext(t, exe)
	// The parts of a line in logical order: the notice's kind, its
	// service (a <bdi>) and its start (a <time>); a row's cause, how long
	// it has been down, its last check and its response time.
	const parts = `(sel => { const m = document.querySelector(sel); const out = [];
		for (const n of m.childNodes) {
			if (n.nodeType === 3 && !n.textContent.trim().replace(/[·,–]/g, "").trim()) continue;
			const r = document.createRange(); r.selectNodeContents(n); const b = r.getBoundingClientRect();
			out.push({Left: b.left, Right: b.right});
		}
		return out; })`
	for _, tc := range []struct {
		name, page, sel string
		rtl             bool
		min             int
	}{
		{"English notice of a Hebrew service", "index.html", "#bidi .meta", false, 4},
		{"Hebrew notice", "he/index.html", "#bidi .meta", true, 4},
		{"Hebrew row of a service down", "he/index.html", "#linker .meta", true, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []span
			var text string
			if err := chromedp.Run(ctx,
				emulation.SetDeviceMetricsOverride(1280, 800, 1, false),
				// Without the script, as the page is written: a time then
				// reads "2026-11-24 09:15 UTC", a number right after the name.
				emulation.SetScriptExecutionDisabled(true),
				chromedp.Navigate(srv.URL+"/"+tc.page),
				chromedp.WaitVisible("footer", chromedp.ByQuery),
				chromedp.Evaluate(parts+`(`+"`"+tc.sel+"`"+`)`, &got),
				chromedp.Evaluate(`document.querySelector(`+"`"+tc.sel+"`"+`).textContent`, &text),
			); err != nil {
				t.Fatalf("chromedp: %v", err)
			}
			if len(got) < tc.min {
				t.Fatalf("%q: %d parts, want at least %d", text, len(got), tc.min)
			}
			for i := 1; i < len(got); i++ {
				prev, cur := got[i-1], got[i]
				if !tc.rtl && cur.Left < prev.Right-1 {
					t.Errorf("%q: part %d (%.0f–%.0f px) is not right of part %d (%.0f–%.0f px)", text, i, cur.Left, cur.Right, i-1, prev.Left, prev.Right)
				}
				if tc.rtl && cur.Right > prev.Left+1 {
					t.Errorf("%q: part %d (%.0f–%.0f px) is not left of part %d (%.0f–%.0f px)", text, i, cur.Left, cur.Right, i-1, prev.Left, prev.Right)
				}
			}
		})
	}
}
