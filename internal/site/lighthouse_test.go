package site

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/templates"
)

// lighthouseReport is the part of Lighthouse's JSON report the test reads.
type lighthouseReport struct {
	Categories map[string]struct {
		Score     *float64 `json:"score"`
		AuditRefs []struct {
			ID     string  `json:"id"`
			Weight float64 `json:"weight"`
		} `json:"auditRefs"`
	} `json:"categories"`
	Audits map[string]struct {
		Title        string   `json:"title"`
		Score        *float64 `json:"score"`
		DisplayValue string   `json:"displayValue"`
	} `json:"audits"`
	RuntimeError *struct{ Code, Message string } `json:"runtimeError"`
}

// TestLighthouse runs Lighthouse (npm lighthouse, installed by .ci/run) in
// Debian's Chromium on pages of the site served by a plain static server
// (net/http's FileServer on 127.0.0.1, with status_page_url its address, as
// the site would be published): 100 for accessibility, best practices and
// SEO, at least 95 for performance, with Lighthouse's default phone
// emulation and simulated slow network. Each audit that lost points is
// named.
func TestLighthouse(t *testing.T) {
	exe := chromium(t)
	cli := npmFile(t, "LIGHTHOUSE", "lighthouse/cli/index.js")
	node, err := exec.LookPath("node")
	if err != nil {
		if browserTestsRequired() {
			t.Fatal("no node on PATH for Lighthouse")
		}
		t.Skip("no node on PATH: Lighthouse skipped")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	in := fixtureInput(t)
	in.URL = base
	dir := t.TempDir()
	if err := Render(templates.FS, dir, in); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	for _, page := range []string{"index.html", "services/linker.html"} {
		t.Run(page, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "report.json")
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, cli, base+"/"+page,
				"--output=json", "--output-path="+out, "--quiet",
				"--only-categories=performance,accessibility,best-practices,seo",
				"--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-quic --disable-sync --user-data-dir="+t.TempDir())
			cmd.Env = append(os.Environ(), "CHROME_PATH="+exe)
			start := time.Now()
			msg, err := cmd.CombinedOutput()
			t.Logf("lighthouse %s: %v", page, time.Since(start).Round(100*time.Millisecond))
			if err != nil {
				t.Fatalf("lighthouse: %v\n%s", err, msg)
			}
			raw, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var r lighthouseReport
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatalf("lighthouse's report: %v", err)
			}
			if r.RuntimeError != nil && r.RuntimeError.Code != "" && r.RuntimeError.Code != "NO_ERROR" {
				t.Fatalf("lighthouse: %s: %s", r.RuntimeError.Code, r.RuntimeError.Message)
			}
			for _, c := range []struct {
				id   string
				want float64
			}{{"accessibility", 1}, {"best-practices", 1}, {"seo", 1}, {"performance", 0.95}} {
				cat, ok := r.Categories[c.id]
				if !ok || cat.Score == nil {
					t.Errorf("%s: no score", c.id)
					continue
				}
				t.Logf("%s: %.0f", c.id, *cat.Score*100)
				if *cat.Score >= c.want {
					continue
				}
				var lost []string
				for _, ref := range cat.AuditRefs {
					a := r.Audits[ref.ID]
					if ref.Weight > 0 && a.Score != nil && *a.Score < 1 {
						lost = append(lost, fmt.Sprintf("    %s (weight %g): %s — score %.2f %s", ref.ID, ref.Weight, a.Title, *a.Score, a.DisplayValue))
					}
				}
				slices.Sort(lost)
				t.Errorf("%s = %.0f, want ≥ %.0f; audits that lost points:\n%s", c.id, *cat.Score*100, c.want*100, strings.Join(lost, "\n"))
			}
		})
	}
}
