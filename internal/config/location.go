package config

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// Location kinds.
const (
	KindAgent    = "agent"    // a statusgen probe: `statusgen probe` in CI, or an agent server
	KindBlackbox = "blackbox" // a Prometheus blackbox_exporter, asked on /probe
)

// defaultBlackboxModule is blackbox_exporter's own default module.
const defaultBlackboxModule = "http_2xx"

// Location is one [[location]]: a named vantage point whose checks vote on
// each service's verdict.
type Location struct {
	Name string
	// URL is the agent's or blackbox_exporter's base URL; "" for a location
	// whose results the decider makes itself or reads from `once --results`.
	URL    string
	Kind   string // KindAgent (the default) or KindBlackbox
	Module string // blackbox_exporter's module; KindBlackbox only
}

// LocationNames are the configured locations' names, in file order.
func (c *Config) LocationNames() []string {
	names := make([]string, len(c.Locations))
	for i, l := range c.Locations {
		names[i] = l.Name
	}
	return names
}

// MultiLocation reports whether several locations vote: only then do
// results carry a location and verdicts a quorum.
func (c *Config) MultiLocation() bool { return len(c.Locations) > 1 }

// locations resolves the optional [[location]] tables in file order.
func (d *decoder) locations(root *table) []Location {
	v, ok := root.get("location")
	if !ok {
		return nil
	}
	list, ok := v.([]map[string]any)
	if !ok {
		d.fail("location", "location", "must be an array of tables, written [[location]], not "+tomlType(v))
		return nil
	}
	out := make([]Location, 0, len(list))
	byName := map[string]int{} // folded name → index of its first location
	for i, m := range list {
		at := fmt.Sprintf("location[%d]", i)
		t := &table{d: d, m: m, at: at, label: fmt.Sprintf("location #%d: ", i+1)}
		name := strings.TrimSpace(t.str("name", ""))
		_, isString := m["name"].(string)
		switch {
		case !t.has("name"):
			t.fail("name", "is required")
		case !isString:
		case !validLocationName(name):
			t.fail("name", fmt.Sprintf(`must be 1 to 64 letters, digits, ".", "_" or "-", not starting with "." (it names the results file), got %q`, printable(name)))
		default:
			t.label = fmt.Sprintf("location %q: ", name)
			folded := strings.ToLower(name)
			if first, dup := byName[folded]; dup {
				t.fail("name", fmt.Sprintf("duplicates location %q on line %d: names must be unique, ignoring case",
					out[first].Name, d.lines.line(fmt.Sprintf("location[%d].name", first))))
				break
			}
			byName[folded] = i
		}
		l := Location{
			Name:   name,
			URL:    t.baseURL("url"),
			Kind:   t.str("kind", KindAgent),
			Module: t.str("module", ""),
		}
		switch l.Kind {
		case KindAgent:
			if t.has("module") {
				t.fail("module", `is only for kind = "blackbox"`)
			}
		case KindBlackbox:
			if l.URL == "" && !t.has("url") {
				t.fail("url", `is required for kind = "blackbox": the blackbox_exporter's base URL`)
			}
			if l.Module == "" {
				if t.has("module") {
					t.fail("module", "must not be empty")
				}
				l.Module = defaultBlackboxModule
			}
		default:
			t.fail("kind", fmt.Sprintf(`must be "agent" or "blackbox", got %q`, printable(l.Kind)))
		}
		t.rejectUnknown()
		out = append(out, l)
	}
	return out
}

// validLocationName keeps names safe as file names (results/<name>.jsonl),
// workflow matrix values and log fields.
func validLocationName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// checkQuorum holds every quorum to the number of locations: a quorum no
// set of locations can reach would never confirm an outage. Without
// [[location]]s there is one, the runner's own.
func (d *decoder) checkQuorum(st *table, set Settings, services []uptime.Service, root *table, locations int) {
	n := max(locations, 1)
	what := fmt.Sprintf("the number of locations (%d)", n)
	if locations == 0 {
		what = "1 without [[location]]s"
	}
	if set.Quorum > n {
		st.fail("quorum", fmt.Sprintf("must be at most %s, got %d", what, set.Quorum))
	}
	list, _ := root.m["service"].([]map[string]any)
	for i, svc := range services {
		if i >= len(list) || svc.Quorum <= n {
			continue
		}
		if raw, ok := list[i]["quorum"].(int64); !ok || raw < 1 {
			continue // inherited from [settings] and reported there, or already reported as invalid
		}
		label := fmt.Sprintf("service %q: ", svc.Name)
		d.errs = append(d.errs, &Error{File: d.path, Line: d.lines.line(fmt.Sprintf("service[%d].quorum", i)),
			Key: label + "quorum", Msg: fmt.Sprintf("must be at most %s, got %d", what, svc.Quorum)})
	}
}

// printLocations writes the [[location]] tables for Print.
func printLocations(b *bytes.Buffer, p *printer, locations []Location) {
	for _, l := range locations {
		b.WriteString("\n[[location]]\n")
		p.field("name", strconv.Quote(l.Name), "")
		if l.URL != "" {
			p.field("url", strconv.Quote(l.URL), "")
		} else {
			p.field("url", "(not set)", "results come from `statusgen once --results`")
		}
		p.field("kind", strconv.Quote(l.Kind), "")
		if l.Kind == KindBlackbox {
			p.field("module", strconv.Quote(l.Module), "")
		}
		p.flush()
	}
}

// baseURL reads a location's base URL: an absolute http(s) URL without a
// query or fragment, which a base has no use for and which would be printed
// and logged (the agent's token comes from the environment).
func (t *table) baseURL(key string) string {
	s := t.url(key, false)
	if u, err := url.Parse(s); err == nil && (u.RawQuery != "" || u.Fragment != "" || u.ForceQuery) {
		t.fail(key, "must be a base URL without a query or fragment (the value is not shown: it may hold a token)")
		return ""
	}
	return s
}

// Checks reports whether the location can check svc as statusgen would;
// why says what keeps it out. An agent runs every check type. A
// blackbox_exporter makes a plain GET whose success its module judges
// alone: anything the module cannot know (headers, a body, an expected
// answer, a non-2xx status, an async task) would make its vote mean
// something else, and a URL's query may hold a secret that must not leave
// for another host. A location that cannot check a service is left out
// of that service's vote, and its quorum counts only the others (package
// quorum); the page says "Not checked from here".
func (l Location) Checks(svc uptime.Service) (ok bool, why string) {
	if l.Kind != KindBlackbox {
		return true, ""
	}
	u, err := url.Parse(svc.URL)
	switch {
	case svc.CheckType != "" && svc.CheckType != uptime.CheckHTTP:
		return false, "an async check: blackbox_exporter makes one request"
	case svc.Method != "" && svc.Method != "GET":
		return false, "method " + svc.Method + ": a module sets the method"
	case len(svc.Headers) > 0:
		return false, "request headers: a module sets them, and they may be secrets"
	case svc.Body != "":
		return false, "a request body: a module sets it"
	case svc.ExpectBody != "" || svc.ExpectJSON != nil:
		return false, "a body assertion: the module cannot know it"
	case err != nil || u.RawQuery != "" || u.ForceQuery || u.User != nil:
		return false, "its URL has a query or credentials, which must not leave for another host"
	}
	for _, code := range svc.ExpectedStatus {
		if code < 200 || code > 299 {
			return false, "an expected status outside 2xx: a module judges by its own list"
		}
	}
	return true, ""
}

// Checkers says, for each location in order, whether it checks svc.
func (c *Config) Checkers(svc uptime.Service) []bool {
	out := make([]bool, len(c.Locations))
	for i, l := range c.Locations {
		out[i], _ = l.Checks(svc)
	}
	return out
}
