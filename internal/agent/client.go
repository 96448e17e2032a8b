package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/probe"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// maxAnswer bounds what is read of an agent's answer: one check line.
const maxAnswer = 64 << 10

// Client is a decider's side of one agent location.
type Client struct {
	Location string // the [[location]]'s name, which the agent must answer with
	BaseURL  string // the agent's base URL, without a query
	Token    string
	HTTP     *http.Client // nil: http.DefaultClient
}

// Check asks the agent for one service's check, within ctx's deadline,
// which it passes on so the agent's check ends first. An error means the
// location did not answer and does not vote; its text holds neither the
// token nor anything the agent could inject.
func (c *Client) Check(ctx context.Context, service string) (uptime.Result, error) {
	u := strings.TrimSuffix(c.BaseURL, "/") + CheckPath + "?service=" + url.QueryEscape(service)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return uptime.Result{}, fmt.Errorf("agent %s: %w", c.Location, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if deadline, ok := ctx.Deadline(); ok {
		req.Header.Set(TimeoutHeader, strconv.FormatFloat(time.Until(deadline).Seconds(), 'f', 3, 64))
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return uptime.Result{}, fmt.Errorf("agent %s: %s", c.Location, probe.Sanitize(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return uptime.Result{}, fmt.Errorf("agent %s: read the answer: %s", c.Location, probe.Sanitize(err.Error()))
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		json.Unmarshal(body, &e)
		return uptime.Result{}, fmt.Errorf("agent %s: %s: %s", c.Location, probe.Sanitize(resp.Status), probe.Sanitize(e.Error))
	}
	r, ok := history.DecodeLine([]byte(strings.TrimSpace(string(body))))
	switch {
	case !ok:
		return uptime.Result{}, fmt.Errorf("agent %s: the answer is not a check line", c.Location)
	case r.Service != service:
		return uptime.Result{}, fmt.Errorf("agent %s: asked for %q, answered for %q", c.Location, service, probe.Sanitize(r.Service))
	case r.Location != c.Location:
		return uptime.Result{}, fmt.Errorf("agent %s: answered as location %q: is it started with --location %s?", c.Location, probe.Sanitize(r.Location), c.Location)
	case r.Error != "" && !slices.Contains(uptime.ErrorKinds, r.Error):
		return uptime.Result{}, fmt.Errorf("agent %s: answered an unknown error kind %q", c.Location, probe.Sanitize(string(r.Error)))
	case r.Note != "":
		return uptime.Result{}, fmt.Errorf("agent %s: answered a verdict, not a check", c.Location)
	}
	r.Detail = probe.Sanitize(r.Detail)
	return r, nil
}
