package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/Sefaria/statusgen/internal/publish"
	"github.com/Sefaria/statusgen/internal/realserver"
)

// behindProxy is a world that the monitor reaches only through a real
// forward proxy: tinyproxy forwards every host under .test to this server
// (its "upstream"), and nothing else resolves those names. It serves the
// service (web.test), the canary (canary.test), the heartbeat (hb.test)
// and Slack (hooks.test), and counts what each received.
type behindProxy struct {
	proxy string // the proxy's URL

	mu    sync.Mutex
	hits  map[string]int // by host
	slack []string       // the bodies Slack received
}

func newBehindProxy(t *testing.T) *behindProxy {
	b := &behindProxy{hits: map[string]int{}}
	world := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		host, _, _ := strings.Cut(r.Host, ":") // tinyproxy names port 80
		b.mu.Lock()
		b.hits[host]++
		if host == "hooks.test" {
			b.slack = append(b.slack, string(body))
		}
		b.mu.Unlock()
		switch host {
		case "web.test":
			w.WriteHeader(http.StatusServiceUnavailable) // an outage, so that the canary and Slack have work
			fmt.Fprint(w, `{"allReady": false}`)
		case "canary.test":
			w.WriteHeader(http.StatusNoContent)
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	t.Cleanup(world.Close)
	b.proxy = "http://" + realserver.Tinyproxy(t, realserver.ProxyOptions{Upstream: map[string]string{".test": world.Listener.Addr().String()}})
	return b
}

func (b *behindProxy) count(host string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hits[host]
}

func (b *behindProxy) config(settings, service string) string {
	return `[settings]
interval = "60s"
retries = 1
canary_url = "http://canary.test/generate_204"
heartbeat_url = "http://hb.test/ping/abc"
` + settings + `

[[service]]
name = "web"
url = "http://web.test/healthz"
failure_threshold = 1
timeout = "5s"
expect_json = { allReady = true }
` + service
}

// TestOnceBehindAProxy: behind an egress proxy named by HTTP_PROXY (read
// through getenv, like every variable), the checks, the canary, the
// heartbeat and Slack all take it: the outage is seen as the service's
// (HTTP 503, not a DNS failure made inconclusive by a failing canary),
// announced to Slack, and the heartbeat says the cycle completed. A
// service with proxy = "none" goes direct and fails, while the canary,
// on the checks' route, still vouches for the monitor's network.
func TestOnceBehindAProxy(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		service  string
		env      string // the variable naming the proxy
		row      string // in web's row
		slack    bool   // a DOWN reached Slack
	}{
		{name: "HTTP_PROXY", env: "HTTP_PROXY", row: "down (status)", slack: true},
		{name: "http_proxy", env: "http_proxy", row: "down (status)", slack: true},
		// web.test resolves nowhere (.test is reserved): dns, or timeout
		// where the resolver does not answer.
		{name: "the service goes direct", env: "HTTP_PROXY", service: `proxy = "none"`, row: "down (", slack: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBehindProxy(t)
			w := newWorkspace(t, b.config(tt.settings, tt.service))
			env := map[string]string{tt.env: b.proxy, "SLACK_WEBHOOK_URL": "http://hooks.test/services/T0/B0/secret"}
			code, out, errOut := w.run(t, env, "once")
			if code != ExitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			if row := lineWith(out, "web "); !strings.Contains(row, tt.row) {
				t.Errorf("web row = %q, want %q\n%s", row, tt.row, out)
			}
			if strings.Contains(out, "canary failed") {
				t.Errorf("the canary failed: it should take the checks' route, the proxy:\n%s\n%s", out, errOut)
			}
			if direct := strings.Contains(tt.service, `"none"`); direct != (b.count("web.test") == 0) || strings.Contains(out, "(status)") == direct {
				t.Errorf("web.test got %d requests through the proxy; want none only when the service goes direct (%t):\n%s", b.count("web.test"), direct, out)
			}
			for _, host := range []string{"canary.test", "hb.test"} {
				if b.count(host) != 1 {
					t.Errorf("%s got %d requests through the proxy, want 1", host, b.count(host))
				}
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			if got := len(b.slack) == 1 && strings.Contains(b.slack[0], "web"); got != tt.slack {
				t.Errorf("Slack got %q through the proxy, want a DOWN for web: %t\nstderr:\n%s", b.slack, tt.slack, errOut)
			}
		})
	}
}

// TestOnceProxyNone: [settings] proxy = "none" overrides HTTP_PROXY for
// everything: the checks and the canary fail alike, so the cycle is
// inconclusive, not an outage.
func TestOnceProxyNone(t *testing.T) {
	b := newBehindProxy(t)
	w := newWorkspace(t, b.config(`proxy = "none"`, ""))
	code, out, errOut := w.run(t, map[string]string{"HTTP_PROXY": b.proxy}, "once")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if row := lineWith(out, "web "); !strings.Contains(row, "inconclusive") || !strings.Contains(out, "canary failed") {
		t.Errorf("web row = %q, want inconclusive with the canary failed:\n%s", row, out)
	}
	if n := b.count("web.test") + b.count("canary.test") + b.count("hb.test"); n != 0 {
		t.Errorf("the proxy carried %d requests, want none", n)
	}
}

// TestGitHubTakesTheRoute: the GitHub client's requests take [settings]
// proxy, like Slack's (TestOnceBehindAProxy). GitHub's API cannot be
// served locally, so this looks at the route its transport chooses.
func TestGitHubTakesTheRoute(t *testing.T) {
	for _, tt := range []struct{ setting, env, want string }{
		{`proxy = "http://proxy.example:3128"`, "", "http://proxy.example:3128"},
		{"", "http://egress.example:8080", "http://egress.example:8080"},
		{`proxy = "none"`, "http://egress.example:8080", ""},
		{"", "", ""},
	} {
		w := newWorkspace(t, "[settings]\n"+tt.setting+"\n[publish]\ntarget = \"github\"\nrepo = \"o/r\"\n[[service]]\nname = \"a\"\nurl = \"https://a.example/\"\n")
		cfg, code := loadConfig(env{getenv: func(k string) string {
			return map[string]string{"HTTPS_PROXY": tt.env, "GITHUB_TOKEN": "t"}[k]
		}, stderr: io.Discard}, &globalFlags{config: w.config})
		if cfg == nil {
			t.Fatalf("loadConfig = exit %d", code)
		}
		client, _, _, err := githubClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		base := client.Client().Transport.(*publish.TokenTransport).Base.(*http.Transport)
		req, _ := http.NewRequest(http.MethodGet, "https://api.github.com/repos/o/r", nil)
		var u *url.URL
		if base.Proxy != nil { // nil: direct
			u, err = base.Proxy(req)
		}
		got := ""
		if u != nil {
			got = u.String()
		}
		if err != nil || got != tt.want {
			t.Errorf("%s, HTTPS_PROXY=%q: GitHub's route = %q, %v; want %q", tt.setting, tt.env, got, err, tt.want)
		}
	}
}
