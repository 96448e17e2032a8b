package config

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// fuzzSecret is what every secret holds while fuzzing.
const fuzzSecret = "fzsecret7c1d"

// FuzzParse: whatever the file, Parse does not panic; it either refuses it
// with errors that each name the file (or the environment) and never repeat
// a secret, or returns a configuration that holds its promises: unique
// names and page slugs, absolute http(s) URLs, thresholds and attempts of at least 1,
// every timeout inside the deadline inside the interval; Print works and
// shows no secret; and parsing again gives the same result.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	for _, pattern := range []string{"../../services.toml", "testdata/*.toml"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("[settings]\ninterval = \"1s\"\ncheck_deadline = \"900ms\"\n[[service]]\nname = \"a\"\nurl = \"http://127.0.0.1/\"\ntimeout = \"100ms\"\n" +
		"[service.headers]\nAuthorization = \"Bearer ${TOKEN}\"\n"))
	f.Add([]byte("[settings]\nproxy = \"none\"\nmax_body = \"64KiB\"\n[[service]]\nname = \"a\"\nurl = \"https://x.example/\"\n" +
		"proxy = \"socks5h://u:p@127.0.0.1:1080\"\nhttp2 = true\npost_quantum = false\nmax_body = 2048\n"))
	f.Add([]byte("[[service]]\nname = \"<!channel>\u202e\"\nurl = \"https://u:p@x.example/?q=1\"\nexpect_json = { a = [1, 2.5, \"x\"] }\n"))
	getenv := func(k string) string {
		switch k {
		case "SLACK_WEBHOOK_URL":
			return "https://hooks.example/services/" + fuzzSecret
		case "GITHUB_TOKEN", "TOKEN":
			return fuzzSecret
		case "HTTPS_PROXY":
			return "http://monitor:" + fuzzSecret + "@proxy.example:3128"
		}
		return ""
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("services.toml", data, getenv)
		// A secret may show only where the file itself wrote it.
		secretShown := func(s string) bool {
			return strings.Contains(s, fuzzSecret) && !bytes.Contains(data, []byte(fuzzSecret))
		}
		if err != nil {
			if cfg != nil {
				t.Errorf("Parse returned a config with the error %v", err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "config services.toml") && !strings.HasPrefix(line, "config: ") {
					t.Errorf("error line %q names neither the file nor the environment", line)
				}
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("Parse error %v is not a *config.Error", err)
			}
			if secretShown(err.Error()) {
				t.Errorf("Parse error shows a secret: %v", err)
			}
			return
		}
		s := cfg.Settings
		if !(0 < s.CheckDeadline && s.CheckDeadline < s.Interval) {
			t.Errorf("accepted check_deadline %v with interval %v", s.CheckDeadline, s.Interval)
		}
		if len(cfg.Services) == 0 {
			t.Error("accepted a configuration without services")
		}
		names, slugs := map[string]bool{}, map[string]bool{}
		for _, svc := range cfg.Services {
			key := strings.ToLower(svc.Name)
			if strings.TrimSpace(svc.Name) == "" || names[key] {
				t.Errorf("accepted the empty or duplicate name %q", svc.Name)
			}
			names[key] = true
			if slug := uptime.Slug(svc.Name); slugs[slug] || len(slug) > uptime.MaxSlug {
				t.Errorf("accepted %q, whose page slug %q is shared or too long", svc.Name, slug)
			} else {
				slugs[slug] = true
			}
			if u, err := url.Parse(svc.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Errorf("service %q: accepted the URL %q", svc.Name, svc.URL)
			}
			if svc.FailureThreshold < 1 || svc.Retries < 1 || svc.RetryDelay < 0 {
				t.Errorf("service %q: accepted threshold %d, retries %d, retry_delay %v", svc.Name, svc.FailureThreshold, svc.Retries, svc.RetryDelay)
			}
			if !(0 < svc.Timeout && svc.Timeout < s.CheckDeadline) {
				t.Errorf("service %q: accepted timeout %v with check_deadline %v", svc.Name, svc.Timeout, s.CheckDeadline)
			}
		}
		var out bytes.Buffer
		if err := cfg.Print(&out); err != nil {
			t.Errorf("Print = %v", err)
		}
		if secretShown(out.String()) {
			t.Errorf("Print shows a secret:\n%s", out.String())
		}
		again, err := Parse("services.toml", data, getenv)
		if err != nil || !reflect.DeepEqual(again, cfg) {
			t.Errorf("a second Parse = %+v, %v; want the first result", again, err)
		}
	})
}
