package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrivateServiceIsCheckedAlertedAndUnlisted runs cycles through the CLI
// with a service marked public = false that goes down: it is checked,
// recorded and alerted like any other, while no file of the site (page,
// badge, status.json, feed, a notice naming it) holds its name or slug.
// The same run shows the [site] logo and link home.
func TestPrivateServiceIsCheckedAlertedAndUnlisted(t *testing.T) {
	f := newFakeSefaria(t)
	f.healthy.Store(false)
	const secret = "Payroll Backend Zebra"
	config := fmt.Sprintf(`[settings]
title = "Test Status"
retries = 1
retry_delay = "0s"

[site]
home_url = "https://www.example.org/"
logo = "brand/logo.svg"

[[service]]
name = "Linker"
group = "APIs"
url = "%[1]s/api/find-refs"
check_type = "async_two_phase"
expected_status = 202
request_body = '{"text": {"title": "", "body": "Job 1:1"}}'
[service.async_verification]
base_url = "%[1]s/api/async/"
poll_interval = "0s"

[[service]]
name = %[2]q
url = "%[1]s/healthz"
public = false
failure_threshold = 1
`, f.srv.URL, secret)
	w := newWorkspace(t, config)
	logo := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>`
	if err := os.MkdirAll(filepath.Join(w.dir, "brand"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "brand", "logo.svg"), []byte(logo), 0o644); err != nil {
		t.Fatal(err)
	}
	notice := "+++\ntitle = \"Heads up\"\nkind = \"info\"\nstart = 2020-01-01T00:00:00Z\nservices = [\"Linker\", \"" + secret + "\"]\n+++\nWork on both.\n"
	if err := os.MkdirAll(filepath.Join(w.data, "notices"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.data, "notices", "both.md"), []byte(notice), 0o644); err != nil {
		t.Fatal(err)
	}

	var stderr string
	for i := range 2 {
		code, _, errOut := w.run(t, nil, "once")
		if code != ExitOK {
			t.Fatalf("cycle %d: exit %d, stderr:\n%s", i, code, errOut)
		}
		stderr += errOut
	}
	if !strings.Contains(stderr, "DOWN "+secret) {
		t.Errorf("the private service's outage was not announced; stderr:\n%s", stderr)
	}
	checks := 0
	for _, line := range readJSONL(t, filepath.Join(w.data, "checks")) {
		if line["service"] == secret {
			checks++
		}
	}
	if checks != 2 {
		t.Errorf("history holds %d checks of the private service, want 2", checks)
	}

	slug := "payroll-backend-zebra"
	files := 0
	err := filepath.WalkDir(w.site, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		if strings.Contains(strings.ToLower(path), slug) {
			t.Errorf("site file %s is named after the private service", path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range []string{secret, slug, "Payroll"} {
			if strings.Contains(string(b), s) {
				t.Errorf("site file %s holds %q", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 8 {
		t.Fatalf("the site has %d files: not rendered?", files)
	}

	index, err := os.ReadFile(filepath.Join(w.site, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<img src="logo.svg" alt=""`, `<a class="home" href="https://www.example.org/">example.org`, `<summary><span class="gname"><bdi>APIs</bdi></span>`, "Linker"} {
		if !strings.Contains(string(index), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if got, err := os.ReadFile(filepath.Join(w.site, "logo.svg")); err != nil || string(got) != logo {
		t.Errorf("site/logo.svg = %q, %v; want the configured logo", got, err)
	}
}
