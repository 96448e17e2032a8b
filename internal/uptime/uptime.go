// Package uptime holds the domain types every other part of statusgen shares:
// a monitored Service, the Result of one check, its Status, and the
// Transitions and Incidents the threshold tracker derives from results.
// It knows nothing of files, HTTP or Slack.
package uptime

import (
	"fmt"
	"time"
)

// Status is the outcome of one cycle's check of one service.
type Status string

const (
	// Up: the service answered as expected within its degraded_after.
	Up Status = "up"
	// Degraded: the service answered as expected but slower than degraded_after.
	// It counts as up for thresholds and alerts.
	Degraded Status = "degraded"
	// Down: the service did not answer as expected after every attempt.
	Down Status = "down"
	// Inconclusive: the monitor itself could not tell (its canary failed too).
	// It neither advances nor resets a failure streak.
	Inconclusive Status = "inconclusive"
)

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	switch s {
	case Up, Degraded, Down, Inconclusive:
		return true
	}
	return false
}

// IsUp reports whether s counts as up for thresholds (up or degraded).
func (s Status) IsUp() bool { return s == Up || s == Degraded }

// ErrorKind classifies why a check failed. The list is fixed so that the
// public page can show one fixed phrase per kind and never remote text.
type ErrorKind string

const (
	ErrTimeout     ErrorKind = "timeout"      // the deadline or a per-request timeout passed
	ErrDNS         ErrorKind = "dns"          // the host name did not resolve
	ErrConnect     ErrorKind = "connect"      // refused, reset or unreachable
	ErrTLS         ErrorKind = "tls"          // handshake or certificate failure
	ErrProtocol    ErrorKind = "protocol"     // the answer was not valid HTTP: framing, headers or content encoding
	ErrRedirect    ErrorKind = "redirect"     // too many redirects, or a redirect when not following
	ErrStatus      ErrorKind = "status"       // an HTTP status other than the expected one(s)
	ErrBody        ErrorKind = "body"         // the body failed its assertion, or could not be read
	ErrNotJSON     ErrorKind = "not_json"     // a JSON answer was expected and something else came
	ErrTooLarge    ErrorKind = "too_large"    // the body passed max_body before its assertion could hold
	ErrNoTaskID    ErrorKind = "no_task_id"   // async submit answered without a task_id
	ErrTaskFailed  ErrorKind = "task_failed"  // async task ended FAILURE or REVOKED
	ErrTaskTimeout ErrorKind = "task_timeout" // async task still not ready when the poll budget ran out
	ErrBadResult   ErrorKind = "bad_result"   // async task succeeded with an empty or malformed result
	ErrCanary      ErrorKind = "canary"       // the monitor's own network failed (inconclusive)
	ErrInternal    ErrorKind = "internal"     // the monitor could not run the check (bad request config)
	ErrNoQuorum    ErrorKind = "no_quorum"    // too few locations reported to reach the quorum (inconclusive)
)

// ErrorKinds lists every kind, in a stable order, for validation and docs.
var ErrorKinds = []ErrorKind{
	ErrTimeout, ErrDNS, ErrConnect, ErrTLS, ErrProtocol, ErrRedirect, ErrStatus,
	ErrBody, ErrNotJSON, ErrTooLarge, ErrNoTaskID, ErrTaskFailed, ErrTaskTimeout, ErrBadResult,
	ErrCanary, ErrInternal, ErrNoQuorum,
}

// CheckType selects how a service is probed.
type CheckType string

const (
	CheckHTTP          CheckType = "http"
	CheckAsyncTwoPhase CheckType = "async_two_phase"
)

// Header is one request header. Secret values (those that referenced
// ${VAR}) must never be printed, logged or stored.
type Header struct {
	Name   string
	Value  string
	Secret bool
}

// AsyncVerification configures the polling phase of an async_two_phase check.
type AsyncVerification struct {
	BaseURL         string        // the task id is appended to it
	MaxPollAttempts int           // polls before the task counts as timed out
	PollInterval    time.Duration // wait between polls
}

// Service is one monitored endpoint with every setting resolved
// (defaults and environment applied, ${VAR} expanded).
type Service struct {
	Name             string
	URL              string
	Method           string
	Headers          []Header
	Body             string
	ExpectedStatus   []int
	FollowRedirects  bool
	Timeout          time.Duration // per request
	FailureThreshold int
	Retries          int           // attempts per check, the first included
	RetryDelay       time.Duration // between attempts
	DegradedAfter    time.Duration // 0: never degraded
	ExpectBody       string        // substring the body must contain; "" for none
	ExpectJSON       map[string]any
	CheckType        CheckType
	Async            *AsyncVerification // set only for async_two_phase
	Quorum           int                // locations that must find it down for a down verdict; 1 with one location

	MaxBody     int64  // bytes of a body read at most; 0: the prober's default
	Proxy       string // "" the prober's default route, "none" a direct connection, or a proxy URL (its userinfo is a secret)
	HTTP2       bool   // offer HTTP/2; a check speaks HTTP/1.1 otherwise
	PostQuantum bool   // offer Go's default hybrid key exchange (X25519MLKEM768); X25519 alone otherwise

	Group   string // the status page's section for it; "" for none
	Private bool   // public = false: checked and alerted, but left off the status site
	// Names are its names on the status page by language code; Name,
	// its identity (page, history, alerts), where none is given.
	Names map[string]string
}

// Result is the outcome of one service's check in one cycle: one line of
// data/checks/YYYY-MM-DD.jsonl. Detail is already sanitized.
type Result struct {
	Time     time.Time `json:"time"`             // when the check started, UTC
	Service  string    `json:"service"`          // Service.Name
	Status   Status    `json:"status"`           // the outcome after every attempt
	Code     int       `json:"code"`             // the last HTTP status seen; 0 for none
	MS       int64     `json:"ms"`               // latency of the last attempt, milliseconds
	Attempts int       `json:"attempts"`         // attempts made, the first included
	Error    ErrorKind `json:"error,omitempty"`  // why it failed; empty when up
	Detail   string    `json:"detail,omitempty"` // sanitized detail, at most 200 characters
	Polls    int       `json:"polls,omitempty"`  // async checks: polls made in the last attempt
	// Location is the vantage point that made the check; "" is the single
	// default location of a setup without [[location]]s, and the quorum's
	// verdict of a cycle in one with several (see package quorum).
	Location string `json:"location,omitempty"`
	// Note says what the quorum set aside in a verdict: a failure seen from
	// fewer locations than the quorum, or locations that did not report.
	// It changes neither the status nor the alerts.
	Note string `json:"note,omitempty"`
	// Agreed are, in a down verdict, the locations that found the service
	// down, for the alert; never written to the history. A pointer, so
	// that Results stay comparable with ==.
	Agreed *Agreement `json:"-"`
}

// Agreement is the locations whose checks made a down verdict, in the
// configured order.
type Agreement struct {
	Locations []LocationError
}

// LocationError is one location's failed check of a service: what a DOWN
// alert shows for each location that agreed.
type LocationError struct {
	Location string    `json:"location"`
	Code     int       `json:"code,omitempty"`
	Error    ErrorKind `json:"error,omitempty"`
	Detail   string    `json:"detail,omitempty"` // sanitized, as Result.Detail
}

// TransitionKind says what a Transition announces.
type TransitionKind string

const (
	WentDown  TransitionKind = "down"
	Recovered TransitionKind = "recovered"
)

// Transition is a change that must be announced: a service confirmed down
// (its failure streak reached the threshold) or recovered after an
// announced DOWN. It is what an alert is made of.
type Transition struct {
	Kind       TransitionKind `json:"kind"`
	Service    string         `json:"service"`
	IncidentID string         `json:"incident_id"`      // stable for one outage: DOWN and RECOVERED share it
	Since      time.Time      `json:"since"`            // the first failed cycle of the outage
	At         time.Time      `json:"at"`               // the cycle that fired the transition
	Failures   int            `json:"failures"`         // consecutive failed cycles at At
	Code       int            `json:"code,omitempty"`   // HTTP code of the cycle at At
	Error      ErrorKind      `json:"error,omitempty"`  // for DOWN: the failure's kind
	Detail     string         `json:"detail,omitempty"` // for DOWN: the sanitized detail
	MS         int64          `json:"ms,omitempty"`     // for RECOVERED: the response time
	// Locations are, for a DOWN decided by a quorum of several locations,
	// the ones that agreed, each with its error.
	Locations []LocationError `json:"locations,omitempty"`
}

// Downtime is how long the outage lasted (RECOVERED) or has lasted so far (DOWN).
func (t Transition) Downtime() time.Duration { return t.At.Sub(t.Since) }

// String is the structured one-line form used for logs and stderr alerts.
func (t Transition) String() string {
	switch t.Kind {
	case WentDown:
		from := ""
		for i, l := range t.Locations {
			if i == 0 {
				from = ", from "
			} else {
				from += ", "
			}
			from += l.Location
		}
		return fmt.Sprintf("DOWN %s since %s (%d failed checks, %s%s)",
			t.Service, t.Since.UTC().Format(time.RFC3339), t.Failures, t.Error, from)
	case Recovered:
		return fmt.Sprintf("RECOVERED %s after %s", t.Service, DurationText(t.Downtime()))
	}
	return fmt.Sprintf("%s %s", t.Kind, t.Service)
}

// Incident is one announced outage that has ended: a line of data/incidents.jsonl.
type Incident struct {
	ID      string    `json:"id"`
	Service string    `json:"service"`
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
	Seconds int64     `json:"seconds"` // Until − Since, whole seconds
	Error   ErrorKind `json:"error"`   // the kind that confirmed the outage
}

// IncidentFrom makes the Incident a RECOVERED transition closes.
func IncidentFrom(t Transition) Incident {
	return Incident{
		ID:      t.IncidentID,
		Service: t.Service,
		Since:   t.Since.UTC(),
		Until:   t.At.UTC(),
		Seconds: int64(t.Downtime() / time.Second),
		Error:   t.Error,
	}
}
