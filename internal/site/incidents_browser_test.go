package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestIncidentPagesInBrowser opens the index's Past incidents and a month's
// history page in headless Chromium at 360 px and 1280 px, light and dark:
// the timeline is there newest first, nothing scrolls sideways (a hostile
// service name and long update text included), and a screenshot of each
// goes to $ARTIFACTS_DIR when set.
func TestIncidentPagesInBrowser(t *testing.T) {
	exe := chromium(t)
	srv := serveRendered(t, timelineInput(t))

	ctx := newBrowser(t, exe, 90*time.Second)

	artifacts := artifactsDir(t)
	for _, tc := range []struct {
		name, path string
		width      int64
		dark       bool
	}{
		{"history-phone", "/history/2026-11.html", 360, false},
		{"history-phone-dark", "/history/2026-11.html", 360, true},
		{"history-desktop", "/history/2026-11.html", 1280, false},
		{"past-incidents-phone", "/index.html", 360, false},
		{"history-index-phone", "/history.html", 360, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scheme := map[bool]string{false: "light", true: "dark"}[tc.dark]
			var (
				overflow bool
				statuses []string
				shot     []byte
			)
			err := chromedp.Run(ctx,
				emulation.SetDeviceMetricsOverride(tc.width, 800, 1, tc.width <= 400),
				emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}),
				chromedp.Navigate(srv.URL+tc.path),
				chromedp.WaitVisible("footer", chromedp.ByQuery),
				chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow),
				chromedp.Evaluate(`Array.from(document.querySelectorAll("#notice-linker-queue .timeline .u-head strong, .notice#linker-queue .timeline .u-head strong")).filter(e => e.offsetParent !== null).map(e => e.innerText)`, &statuses),
				chromedp.FullScreenshot(&shot, 100),
			)
			if err != nil {
				t.Fatalf("chromedp: %v", err)
			}
			file := filepath.Join(artifacts, "statusgen-"+tc.name+".png")
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", file)
			if overflow {
				t.Errorf("%s scrolls sideways at %d px", tc.path, tc.width)
			}
			if tc.path != "/history.html" {
				if got := strings.Join(statuses, " "); got != "Monitoring Identified Investigating" {
					t.Errorf("%s: visible timeline = %q, want Monitoring Identified Investigating", tc.path, got)
				}
			}
		})
	}
}
