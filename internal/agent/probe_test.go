package agent

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// /probe speaks blackbox_exporter's protocol for configured services'
// URLs only: Prometheus' own parser reads the answer back.
func TestAgentProbe(t *testing.T) {
	tg := newTarget(t)
	srv, logs, _ := agentFor(t, tg, 4)
	down := tg.URL + "/down?token=" + secretValue
	for _, tc := range []struct {
		name, target, module string
		code                 int
		success, status      float64
		err                  string
	}{
		{name: "up", target: tg.URL + "/up?token=" + secretValue, module: "http_2xx", code: 200, success: 1, status: 200},
		{name: "down, first service at the URL", target: down, code: 200, success: 0, status: 503},
		{name: "down, module names the service that expects 503", target: down, module: "Shared 503", code: 200, success: 1, status: 503},
		{name: "a URL no service has", target: "http://127.0.0.1:1/?token=" + secretValue, code: 400,
			err: "target is not the URL of a service in this agent's configuration"},
		{name: "a configured URL without its query", target: tg.URL + "/up", code: 400,
			err: "target is not the URL of a service in this agent's configuration"},
		{name: "no target", code: 400, err: "the target parameter is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			if tc.target != "" {
				q.Set("target", tc.target)
			}
			if tc.module != "" {
				q.Set("module", tc.module)
			}
			code, h, body := get(t, srv.URL+"/probe?"+q.Encode(), auth(testToken))
			if code != tc.code {
				t.Fatalf("status = %d, want %d; body %s", code, tc.code, body)
			}
			if strings.Contains(body, secretValue) || strings.Contains(body, "127.0.0.1") {
				t.Errorf("answer repeats the target: %s", body)
			}
			if tc.err != "" {
				if want := `{"error":"` + tc.err + `"}` + "\n"; body != want {
					t.Errorf("body = %q, want %q", body, want)
				}
				return
			}
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
				t.Errorf("Content-Type = %q, want Prometheus text format", ct)
			}
			p := expfmt.NewTextParser(model.UTF8Validation)
			families, err := p.TextToMetricFamilies(strings.NewReader(body))
			if err != nil {
				t.Fatalf("parse %q: %v", body, err)
			}
			value := func(name string) float64 {
				f := families[name]
				if f == nil || len(f.Metric) != 1 || f.Metric[0].Gauge == nil {
					t.Fatalf("%s missing or not one gauge in:\n%s", name, body)
				}
				return f.Metric[0].Gauge.GetValue()
			}
			if got := value("probe_success"); got != tc.success {
				t.Errorf("probe_success = %v, want %v", got, tc.success)
			}
			if got := value("probe_http_status_code"); got != tc.status {
				t.Errorf("probe_http_status_code = %v, want %v", got, tc.status)
			}
			if got := value("probe_duration_seconds"); got < 0 || got > 5 {
				t.Errorf("probe_duration_seconds = %v, want the check's latency", got)
			}
		})
	}
	if strings.Contains(logs.String(), secretValue) {
		t.Errorf("logs hold a secret:\n%s", logs)
	}
	if code, _, _ := get(t, srv.URL+"/probe?target="+url.QueryEscape(down), http.Header{}); code != http.StatusUnauthorized {
		t.Errorf("/probe without a token = %d, want 401", code)
	}
}
