package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// asyncAttempt is one attempt of an async two-phase check (the Linker):
// submit a task, then poll for it and judge it on its JSON "state", never on
// the HTTP status of a poll. The whole sequence is one attempt; its latency
// runs from the submit to the last poll's body, waits included, because that
// is how long a user of the API waits for an answer. The service's headers
// go with the polls too, since base_url is part of the same configured API.
// The submit must answer exactly 202, whatever expected_status says.
func (p *Prober) asyncAttempt(ctx context.Context, svc uptime.Service) outcome {
	switch {
	case svc.Async == nil:
		return outcome{kind: uptime.ErrInternal, detail: "async_two_phase without async_verification"}
	case strings.Contains(svc.Body, "metaDataForTracking"):
		// It makes Sefaria store the request; a monitor must never write.
		return outcome{kind: uptime.ErrInternal, detail: "request_body must not contain metaDataForTracking"}
	}
	c, err := p.newClient(svc)
	if err != nil {
		return outcome{kind: uptime.ErrInternal, detail: err.Error()}
	}
	defer c.close()
	start := p.now()
	o := c.submitAndPoll(ctx, svc)
	o.latency = p.now().Sub(start)
	return o
}

func (c *client) submitAndPoll(ctx context.Context, svc uptime.Service) outcome {
	method := cmpOr(svc.Method, http.MethodPost)
	r := c.do(ctx, method, svc.URL, svc.Body, true)
	o := outcome{code: r.code}
	taskID, kind, detail := submitted(r)
	if kind != "" {
		o.kind, o.detail = kind, detail
		return o
	}

	a := svc.Async
	pollURL := strings.TrimRight(a.BaseURL, "/") + "/" + url.PathEscape(taskID)
	// tolerated is the latest poll's tolerated failure; a later poll that
	// answers with a running state clears it, so a task that is merely slow
	// ends as task_timeout rather than as an old hiccup.
	var tolerated *poll
	state := "PENDING"
	for o.polls < a.MaxPollAttempts {
		if !fits(ctx, a.PollInterval) || c.p.sleep(ctx, a.PollInterval) != nil {
			o.cut = true // whatever the polls found so far, the task had no time to end
			break
		}
		o.polls++
		r := c.do(ctx, http.MethodGet, pollURL, "", true)
		if r.code != 0 {
			o.code = r.code
		}
		pl := judgePoll(r, o.polls)
		switch {
		case pl.final:
			o.kind, o.detail = pl.kind, pl.detail
			return o
		case pl.kind != "":
			tolerated = &pl
		default:
			tolerated, state = nil, pl.state
		}
	}
	if tolerated != nil {
		o.kind, o.detail = tolerated.kind, tolerated.detail
		return o
	}
	o.kind = uptime.ErrTaskTimeout
	o.detail = fmt.Sprintf("still %s after %d polls", state, o.polls)
	if o.polls < a.MaxPollAttempts {
		o.detail = fmt.Sprintf("check deadline: still %s after %d of %d polls", state, o.polls, a.MaxPollAttempts)
	}
	return o
}

// submitted judges the submit phase: exactly 202 with a JSON task_id.
func submitted(r response) (taskID string, kind uptime.ErrorKind, detail string) {
	if r.kind != "" {
		return "", r.kind, "submit: " + r.detail
	}
	if r.code != http.StatusAccepted {
		return "", uptime.ErrStatus, fmt.Sprintf("submit: HTTP %d from %s, want 202", r.code, r.from)
	}
	if r.cutAt > 0 {
		return "", uptime.ErrTooLarge, "submit: HTTP 202 but the " + cutJSON(r.cutAt)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &body); err != nil || body == nil {
		return "", uptime.ErrNotJSON, "submit: HTTP 202 but the body is not a JSON object"
	}
	if err := json.Unmarshal(body["task_id"], &taskID); err != nil || taskID == "" {
		return "", uptime.ErrNoTaskID, "submit: HTTP 202 without a task_id"
	}
	return taskID, "", ""
}

// poll is the verdict on one poll. final means the task has ended (kind
// empty when it succeeded); a non-final kind is a failure the poll budget
// tolerates; neither means the task is still running.
type poll struct {
	final  bool
	kind   uptime.ErrorKind
	detail string
	state  string
}

// taskStatus is the poll answer's shape; only state decides.
type taskStatus struct {
	State  string          `json:"state"`
	Error  any             `json:"error"`
	Result json.RawMessage `json:"result"`
}

func judgePoll(r response, n int) poll {
	if r.kind != "" {
		return poll{kind: r.kind, detail: fmt.Sprintf("poll %d: %s", n, r.detail)}
	}
	if r.code == http.StatusTooManyRequests {
		return poll{kind: uptime.ErrStatus, detail: fmt.Sprintf("poll %d: HTTP 429", n)}
	}
	if r.cutAt > 0 {
		return poll{kind: uptime.ErrTooLarge, detail: fmt.Sprintf("poll %d: HTTP %d but the %s", n, r.code, cutJSON(r.cutAt))}
	}
	var ts taskStatus
	if err := json.Unmarshal(r.body, &ts); err != nil {
		kind := uptime.ErrNotJSON
		if r.code >= 400 {
			kind = uptime.ErrStatus // an error page says more by its status than by not being JSON
		}
		return poll{kind: kind, detail: fmt.Sprintf("poll %d: HTTP %d, body not JSON", n, r.code)}
	}
	switch ts.State {
	case "PENDING", "RECEIVED", "STARTED", "RETRY":
		return poll{state: ts.State}
	case "SUCCESS":
		if why := badResult(ts.Result); why != "" {
			return poll{final: true, kind: uptime.ErrBadResult, detail: "task SUCCESS but " + why}
		}
		return poll{final: true, state: ts.State}
	case "FAILURE", "REVOKED":
		d := "task " + ts.State
		if s, ok := ts.Error.(string); ok && s != "" {
			d += ": " + s // remote text; Check sanitizes every detail
		}
		return poll{final: true, kind: uptime.ErrTaskFailed, detail: d}
	}
	return poll{kind: uptime.ErrBody, detail: fmt.Sprintf("poll %d: HTTP %d, unknown state %q", n, r.code, ts.State)}
}

// badResult says what is wrong with a SUCCESS result, or "" when it holds
// at least one linked ref: a truthy but empty answer is not up.
func badResult(raw json.RawMessage) string {
	var res *struct {
		Body *struct {
			Results []struct {
				Refs []any `json:"refs"`
			} `json:"results"`
		} `json:"body"`
	}
	if len(raw) == 0 {
		return "the result is missing"
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return "the result is malformed"
	}
	if res == nil || res.Body == nil {
		return "the result has no body"
	}
	for _, e := range res.Body.Results {
		for _, ref := range e.Refs {
			if s, ok := ref.(string); ok && s != "" {
				return ""
			}
		}
	}
	return "body.results holds no ref"
}
