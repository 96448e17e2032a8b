package site

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

// svc is a monitored service and its checks, one a minute up to fixedNow:
// u up, g up but slow (degraded), d down, ? inconclusive.
type svc struct {
	name      string
	threshold int
	checks    string
}

// scenario builds a site's Input the way statusgen does: the checks go
// through the real tracker (its thresholds, and the maintenance notices
// holding alerts), and Load reads the resulting state and the notices
// from a data folder. Notices are TOML front matter with times as
// offsets in minutes from fixedNow: {{-5}}.
func scenario(t *testing.T, services []svc, notices ...string) Input {
	t.Helper()
	return scenarioWith(t, services, nil, notices...)
}

// scenarioWith is scenario with more settings for some services, TOML
// lines by service name (group = "…", public = false).
func scenarioWith(t *testing.T, services []svc, settings map[string]string, notices ...string) Input {
	t.Helper()
	dir := t.TempDir()
	var toml strings.Builder
	toml.WriteString("[settings]\ntitle = \"T\"\ninterval = \"60s\"\n")
	thresholds := map[string]int{}
	for _, s := range services {
		fmt.Fprintf(&toml, "\n[[service]]\nname = %q\nurl = \"https://example.org/\"\nfailure_threshold = %d\n%s\n", s.name, s.threshold, settings[s.name])
		thresholds[s.name] = s.threshold
	}
	cfg, err := config.Parse("services.toml", []byte(toml.String()), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	at := regexp.MustCompile(`\{\{(-?\d+)\}\}`)
	for i, n := range notices {
		n = at.ReplaceAllStringFunc(n, func(m string) string {
			var minutes int
			fmt.Sscanf(m, "{{%d}}", &minutes)
			return fixedNow.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339)
		})
		writeNotice(t, dir, fmt.Sprintf("n%d.md", i), n)
	}
	ns, problems := notice.LoadDir(filepath.Join(dir, NoticesDir), nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	st := tracker.New()
	policy := tracker.Policy{Thresholds: thresholds, Held: notice.Held(ns)}
	cycles := 0
	for _, s := range services {
		cycles = max(cycles, len(s.checks))
	}
	for c := range cycles {
		now := fixedNow.Add(time.Duration(c-cycles+1) * time.Minute)
		var results []uptime.Result
		for _, s := range services {
			k := c - (cycles - len(s.checks)) // services with fewer checks start later
			if k < 0 {
				continue
			}
			r := uptime.Result{Time: now, Service: s.name, Status: uptime.Up, Code: 200, MS: 90, Attempts: 1}
			switch s.checks[k] {
			case 'g':
				r.Status, r.MS = uptime.Degraded, 4000
			case 'd':
				r.Status, r.Code, r.Error, r.MS = uptime.Down, 503, uptime.ErrStatus, 120
			case '?':
				r.Status, r.Error = uptime.Inconclusive, uptime.ErrCanary
			}
			results = append(results, r)
		}
		st.Apply(results, policy)
	}
	in, err := Load(cfg, dir, st, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// maintenance is a notice of a maintenance window from and to (minutes
// from fixedNow) covering services (none: all).
func maintenance(from, to int, services ...string) string {
	list := ""
	if len(services) > 0 {
		quoted := make([]string, len(services))
		for i, s := range services {
			quoted[i] = fmt.Sprintf("%q", s)
		}
		list = "services = [" + strings.Join(quoted, ", ") + "]\n"
	}
	return fmt.Sprintf("+++\ntitle = \"Upgrade\"\nkind = \"maintenance\"\nstart = {{%d}}\nend = {{%d}}\n%s+++\nWork.\n", from, to, list)
}

// siteView is one rendered site, as a visitor and a client read it.
type siteView struct {
	index   string
	summary map[string]any
	files   map[string][]byte
}

func renderView(t *testing.T, in Input) siteView {
	t.Helper()
	files, err := Files(templates.FS, in)
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	v := siteView{index: string(files["index.html"]), files: files}
	if err := json.Unmarshal(files["status.json"], &v.summary); err != nil {
		t.Fatalf("status.json: %v", err)
	}
	return v
}

// banner is the index's banner text.
func (v siteView) banner() string {
	m := regexp.MustCompile(`<p class="banner [^"]*"><span[^>]*>[^<]*</span> ([^<]*)</p>`).FindStringSubmatch(v.index)
	if m == nil {
		return ""
	}
	return m[1]
}

// row is the index's list item for slug.
func (v siteView) row(slug string) string {
	i := strings.Index(v.index, `<li class="svc" id="`+slug+`">`)
	if i < 0 {
		return ""
	}
	item := v.index[i:]
	return item[:strings.Index(item, "</li>")]
}

// component is status.json's component with id slug.
func (v siteView) component(slug string) map[string]any {
	for _, c := range v.summary["components"].([]any) {
		if c := c.(map[string]any); c["id"] == slug {
			return c
		}
	}
	return nil
}

func (v siteView) indicator() string {
	return v.summary["status"].(map[string]any)["indicator"].(string)
}

// TestStatusFollowsConfirmedState: failures below a service's threshold
// change neither the banner, nor the service's status on the page, its
// badge or status.json; they show only as a note on the service.
// "Degraded performance" is slowness, never failure.
func TestStatusFollowsConfirmedState(t *testing.T) {
	tests := []struct {
		name      string
		services  []svc
		notices   []string
		banner    string // the index's banner
		indicator string // status.json's status.indicator
		word      string // what b's row, page and badge say
		component string // b's status in status.json
		note      string // the muted note in b's row, "" for none
	}{
		{"one failed check", []svc{{"a", 2, "uuu"}, {"b", 2, "uud"}, {"c", 2, "uuu"}}, nil,
			"All systems operational", "none", "Operational", "operational", "1 failed check, watching"},
		{"two failed checks below a threshold of three", []svc{{"a", 3, "uuu"}, {"b", 3, "udd"}}, nil,
			"All systems operational", "none", "Operational", "operational", "2 failed checks, watching"},
		{"an inconclusive check between two failures", []svc{{"a", 3, "uuuu"}, {"b", 3, "ud?d"}}, nil,
			"All systems operational", "none", "Operational", "operational", "2 failed checks, watching"},
		{"every service failing below its threshold", []svc{{"a", 2, "ud"}, {"b", 2, "ud"}}, nil,
			"All systems operational", "none", "Operational", "operational", "1 failed check, watching"},
		{"failing since its first check", []svc{{"a", 2, "uu"}, {"b", 2, "d"}}, nil,
			"All systems operational", "none", "No data yet", "operational", "1 failed check, watching"},
		{"never checked", []svc{{"a", 2, "uu"}, {"b", 2, ""}}, nil,
			"All systems operational", "none", "No data yet", "operational", ""},
		{"failing below threshold beside a slow one", []svc{{"a", 2, "uug"}, {"b", 2, "uud"}}, nil,
			"Degraded performance", "minor", "Operational", "operational", "1 failed check, watching"},
		{"slow", []svc{{"a", 2, "uuu"}, {"b", 2, "uug"}, {"c", 2, "uuu"}}, nil,
			"Degraded performance", "minor", "Degraded performance", "degraded_performance", ""},
		{"threshold reached", []svc{{"a", 2, "uuu"}, {"b", 2, "udd"}, {"c", 2, "uuu"}}, nil,
			"Partial outage", "major", "Down", "major_outage", ""},
		{"threshold of one", []svc{{"a", 1, "uu"}, {"b", 1, "ud"}, {"c", 1, "uu"}}, nil,
			"Partial outage", "major", "Down", "major_outage", ""},
		{"threshold reached, another failing once", []svc{{"a", 2, "uud"}, {"b", 2, "udd"}}, nil,
			"Partial outage", "major", "Down", "major_outage", ""},
		{"failing below threshold in maintenance", []svc{{"a", 2, "uuu"}, {"b", 2, "uud"}}, []string{maintenance(-10, 60, "b")},
			"All systems operational", "none", "Under maintenance", "under_maintenance", "1 failed check, watching"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := renderView(t, scenario(t, tt.services, tt.notices...))
			if got := v.banner(); got != tt.banner {
				t.Errorf("banner = %q, want %q", got, tt.banner)
			}
			if got := v.indicator(); got != tt.indicator {
				t.Errorf("status.json indicator = %q, want %q", got, tt.indicator)
			}
			checkIndicatorAgrees(t, v.summary)
			row := v.row("b")
			if !strings.Contains(row, "</span> "+tt.word+"</p>") {
				t.Errorf("b's row does not say %q:\n%s", tt.word, row)
			}
			if badge := string(v.files["badges/b.svg"]); !strings.Contains(badge, ">"+tt.word+"</text>") {
				t.Errorf("b's badge does not say %q:\n%s", tt.word, badge)
			}
			if page := string(v.files["services/b.html"]); !strings.Contains(page, "</span> "+tt.word+"</p>") {
				t.Errorf("b's page does not say %q", tt.word)
			}
			if got := v.component("b")["status"]; got != tt.component {
				t.Errorf("status.json component b = %v, want %q", got, tt.component)
			}
			note := regexp.MustCompile(`<span class="watch">([^<]*)</span>`).FindStringSubmatch(row)
			switch {
			case tt.note == "" && note != nil:
				t.Errorf("b's row has the note %q, want none", note[1])
			case tt.note != "" && (note == nil || note[1] != tt.note):
				t.Errorf("b's row note = %v, want %q", note, tt.note)
			}
			if tt.note != "" && strings.Contains(row, "<strong>") {
				t.Errorf("b's row shows a failure below the threshold as a cause:\n%s", row)
			}
			for _, bad := range []string{"Possible outage", "partial_outage"} {
				for name, data := range v.files {
					if strings.Contains(string(data), bad) {
						t.Errorf("%s says %q", name, bad)
					}
				}
			}
		})
	}
}

// TestIndicatorAgreesWithWhatIsListed: status.json's indicator (and the
// page's banner) is never less than the incidents status.json lists, even
// when their services are under maintenance.
func TestIndicatorAgreesWithWhatIsListed(t *testing.T) {
	tests := []struct {
		name      string
		services  []svc
		notices   []string
		incidents int // unresolved incidents listed
		indicator string
		banner    string
	}{
		{"outage announced, then its service under maintenance", []svc{{"a", 2, "uuuuu"}, {"b", 2, "uuddd"}},
			[]string{maintenance(0, 60, "b")}, 1, "major", "Partial outage"},
		{"outage announced, then every service under maintenance", []svc{{"a", 2, "uuuuu"}, {"b", 2, "uuddd"}},
			[]string{maintenance(0, 60)}, 1, "major", "Partial outage"},
		{"every service under maintenance, nothing unresolved", []svc{{"a", 2, "uuu"}, {"b", 2, "uud"}},
			[]string{maintenance(-10, 60)}, 0, "maintenance", "Under maintenance"},
		{"outage over before the maintenance", []svc{{"a", 2, "uuuuu"}, {"b", 2, "dduuu"}},
			[]string{maintenance(-1, 60, "b")}, 0, "none", "All systems operational"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := renderView(t, scenario(t, tt.services, tt.notices...))
			if got := len(v.summary["incidents"].([]any)); got != tt.incidents {
				t.Fatalf("status.json lists %d unresolved incidents, want %d", got, tt.incidents)
			}
			if got := v.indicator(); got != tt.indicator {
				t.Errorf("indicator = %q, want %q", got, tt.indicator)
			}
			if got := v.banner(); got != tt.banner {
				t.Errorf("banner = %q, want %q", got, tt.banner)
			}
			checkIndicatorAgrees(t, v.summary)
		})
	}
}

// severity orders Statuspage's indicators and impacts.
var severity = map[string]int{"none": 0, "maintenance": 0, "minor": 1, "major": 2, "critical": 3}

// checkIndicatorAgrees holds a summary to Statuspage's rule: the indicator
// is at least every unresolved incident's impact and what the components
// say.
func checkIndicatorAgrees(t *testing.T, s map[string]any) {
	t.Helper()
	indicator := s["status"].(map[string]any)["indicator"].(string)
	level, ok := severity[indicator]
	if !ok {
		t.Fatalf("indicator %q is none of none, minor, major, critical, maintenance", indicator)
	}
	for _, inc := range s["incidents"].([]any) {
		inc := inc.(map[string]any)
		if impact := inc["impact"].(string); severity[impact] > level {
			t.Errorf("indicator %q while the unresolved incident %v has impact %q", indicator, inc["id"], impact)
		}
	}
	for _, c := range s["components"].([]any) {
		c := c.(map[string]any)
		need := map[string]int{"degraded_performance": 1, "partial_outage": 2, "major_outage": 2}[c["status"].(string)]
		if need > level {
			t.Errorf("indicator %q while component %v is %v", indicator, c["id"], c["status"])
		}
	}
}
