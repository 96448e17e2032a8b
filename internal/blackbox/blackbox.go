// Package blackbox makes a Prometheus blackbox_exporter a location: it
// asks the exporter's /probe for a service's URL and reads the answer,
// Prometheus text format, into the check result a statusgen location
// would have made.
package blackbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/probe"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// maxAnswer bounds what is read of an exporter's answer; a probe's
// metrics take a few kilobytes.
const maxAnswer = 1 << 20

// timeoutHeader is how Prometheus tells the exporter its scrape timeout;
// the exporter ends its probe before it.
const timeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// Client asks one blackbox_exporter for probes.
type Client struct {
	Location string // the [[location]]'s name, set on every result
	BaseURL  string // the exporter's base URL, without a query
	Module   string // the exporter's module, e.g. http_2xx
	HTTP     *http.Client
	Now      func() time.Time // nil: time.Now
}

// Eligible reports whether the exporter can check svc as statusgen would
// (config.Location.Checks has the rule); why says what keeps svc out.
func Eligible(svc uptime.Service) (ok bool, why string) {
	return config.Location{Kind: config.KindBlackbox}.Checks(svc)
}

// Probe asks the exporter to probe svc's URL within ctx's deadline and
// reads its answer. svc must be Eligible. An error means the exporter did
// not answer a probe, and the location does not vote.
func (c *Client) Probe(ctx context.Context, svc uptime.Service) (uptime.Result, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	start := now().UTC()
	q := url.Values{"target": {svc.URL}, "module": {c.Module}}
	u := strings.TrimSuffix(c.BaseURL, "/") + "/probe?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return uptime.Result{}, fmt.Errorf("blackbox %s: %w", c.Location, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		req.Header.Set(timeoutHeader, strconv.FormatFloat(time.Until(deadline).Seconds(), 'f', 3, 64))
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return uptime.Result{}, fmt.Errorf("blackbox %s: %s", c.Location, probe.Sanitize(err.Error()))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return uptime.Result{}, fmt.Errorf("blackbox %s: %s: %s", c.Location, probe.Sanitize(resp.Status), probe.Sanitize(string(b)))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return uptime.Result{}, fmt.Errorf("blackbox %s: the answer is not Prometheus text: %s", c.Location, probe.Sanitize(err.Error()))
	}
	value := func(name string) (float64, bool) {
		f := families[name]
		if f == nil || len(f.Metric) != 1 || f.Metric[0].GetGauge() == nil {
			return 0, false
		}
		return f.Metric[0].GetGauge().GetValue(), true
	}
	success, ok := value("probe_success")
	if !ok {
		return uptime.Result{}, fmt.Errorf("blackbox %s: the answer has no probe_success: is module %q a prober?", c.Location, c.Module)
	}
	seconds, _ := value("probe_duration_seconds")
	code, _ := value("probe_http_status_code")
	r := uptime.Result{
		Time:     start,
		Service:  svc.Name,
		Status:   uptime.Up,
		Code:     int(code),
		MS:       int64(seconds*1000 + 0.5),
		Attempts: 1,
		Location: c.Location,
	}
	if success != 1 {
		r.Status = uptime.Down
		r.Error, r.Detail = failure(value, r.Code, c.Module)
	} else if svc.DegradedAfter > 0 && time.Duration(r.MS)*time.Millisecond > svc.DegradedAfter {
		r.Status = uptime.Degraded
	}
	return r, nil
}

// failure says why a failed probe failed, as far as its metrics tell: the
// exporter reports no reason beside the probe's own metrics.
func failure(value func(string) (float64, bool), code int, module string) (uptime.ErrorKind, string) {
	from := "blackbox_exporter module " + module + ": "
	if v, _ := value("probe_failed_due_to_regex"); v == 1 {
		return uptime.ErrBody, probe.Sanitize(from + "the body failed the module's regular expressions")
	}
	if code != 0 {
		return uptime.ErrStatus, probe.Sanitize(from + "HTTP " + strconv.Itoa(code) + " is not a valid status code")
	}
	return uptime.ErrConnect, probe.Sanitize(from + "no HTTP answer (connection, TLS or timeout; see the exporter's log)")
}
