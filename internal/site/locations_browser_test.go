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

// TestLocationsInBrowser opens a service page of a three-location setup in
// headless Chromium at 360 px and 1280 px: each location's row reads as a
// visitor sees it (the table stacks on a phone), the muted note is shown,
// the status is still Operational, and nothing scrolls sideways. A
// screenshot of each goes to $ARTIFACTS_DIR when set.
func TestLocationsInBrowser(t *testing.T) {
	exe := chromium(t)
	srv := serveRendered(t, locationsInput(t))
	ctx := newBrowser(t, exe, 60*time.Second)
	artifacts := artifactsDir(t)
	wantRows := []string{"us-east ✔ Up 80 ms", "eu-west ✖ Down · Service unreachable —", "ap-south – No answer — last answered"}
	for _, width := range []int64{360, 1280} {
		t.Run(map[int64]string{360: "phone", 1280: "desktop"}[width], func(t *testing.T) {
			var (
				rows     []string
				state    string
				note     string
				overflow bool
				shot     []byte
			)
			err := chromedp.Run(ctx,
				emulation.SetDeviceMetricsOverride(width, 800, 1, width <= 400),
				chromedp.Navigate(srv.URL+"/services/sefaria-org.html"),
				chromedp.WaitVisible("footer", chromedp.ByQuery),
				chromedp.Evaluate(`Array.from(document.querySelectorAll("section[aria-labelledby=locations] tbody tr")).map(e => e.innerText.replace(/\s+/g, " ").trim())`, &rows),
				chromedp.Evaluate(`document.querySelector(".state").innerText.trim()`, &state),
				chromedp.Evaluate(`(e => e ? e.innerText : "")(document.querySelector(".meta .watch"))`, &note),
				chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow),
				chromedp.FullScreenshot(&shot, 100),
			)
			if err != nil {
				t.Fatalf("chromedp: %v", err)
			}
			file := filepath.Join(artifacts, "statusgen-locations-"+map[int64]string{360: "phone", 1280: "desktop"}[width]+".png")
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", file)
			if len(rows) != len(wantRows) {
				t.Fatalf("location rows = %q, want %d", rows, len(wantRows))
			}
			for i, w := range wantRows {
				got := rows[i]
				if !strings.HasPrefix(got, w) {
					t.Errorf("row %d reads %q, want it to start %q", i, got, w)
				}
			}
			if !strings.HasSuffix(state, "Operational") || note != "Down from 1 of 3 locations: eu-west; no answer from ap-south" {
				t.Errorf("status %q, note %q; want Operational with the muted note", state, note)
			}
			if overflow {
				t.Errorf("the page scrolls sideways at %d px", width)
			}
		})
	}
}
