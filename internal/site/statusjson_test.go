package site

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/templates"
)

// statusScenarios are the sites whose status.json is held to Statuspage's
// types and meanings: the full fixture (an outage, a service failing below
// its threshold, a slow one, maintenance in force and to come, a hostile
// name), the same with incident notices and their timelines and a hand-built one with a service never checked, an outage under
// maintenance and no public URL.
func statusScenarios(t *testing.T) map[string]Input {
	t.Helper()
	maint := scenario(t, []svc{{"web", 2, "uuuuu"}, {"api", 2, "udddd"}, {"new", 2, ""}, {"flaky", 3, "d"}},
		maintenance(-2, 60, "api"), maintenance(48*60, 50*60))
	maint.Title, maint.URL = "Maintenance & co", ""
	return map[string]Input{
		"fixture":     fixtureInput(t),
		"timeline":    timelineInput(t), // an open incident notice with its incident_updates
		"maintenance": maint,
		"empty":       {Generated: fixedNow},
		"groups":      groupsInput(t), // groups, with private services left out
	}
}

// Statuspage's time fields: always an RFC 3339 string, or a string or null.
var (
	timeFields     = []string{"updated_at", "created_at", "started_at", "display_at", "scheduled_for", "scheduled_until"}
	nullableTimes  = []string{"monitoring_at", "resolved_at"}
	componentOnce  = []string{"id", "name", "status", "created_at", "updated_at", "position", "description", "showcase", "start_date", "group_id", "page_id", "group", "only_show_if_degraded"}
	componentState = map[string]bool{"operational": true, "degraded_performance": true, "partial_outage": true, "major_outage": true, "under_maintenance": true}
)

// TestStatusJSONFieldsMeanWhatStatuspageSays walks every object of each
// scenario's status.json: every time Statuspage types as a string is one
// that `new Date(...)` reads as itself (RFC 3339, not the zero time, not
// 1970), nullable times are null or such a string, start_date is a date,
// each component has every field Statuspage lists, a status from
// Statuspage's list, a description that is a description (none is
// configured, so null) and was created before it was updated, and the
// indicator agrees with what is listed.
func TestStatusJSONFieldsMeanWhatStatuspageSays(t *testing.T) {
	for name, in := range statusScenarios(t) {
		t.Run(name, func(t *testing.T) {
			v := renderView(t, in)
			walkJSON(v.summary, "", func(path string, obj map[string]any) {
				for _, k := range timeFields {
					if val, ok := obj[k]; ok {
						checkTime(t, path+"."+k, val, false)
					}
				}
				for _, k := range nullableTimes {
					if val, ok := obj[k]; ok {
						checkTime(t, path+"."+k, val, true)
					}
				}
				if val, ok := obj["start_date"]; ok && val != nil {
					if s, ok := val.(string); !ok || !isDate(s) {
						t.Errorf("%s.start_date = %#v, want null or YYYY-MM-DD", path, val)
					}
				}
			})
			components := v.summary["components"].([]any)
			if n := len(components) - groupsOf(t, components); n != len(in.Services) {
				t.Fatalf("%d components not groups, want %d", n, len(in.Services))
			}
			for i, c := range components {
				c := c.(map[string]any)
				for _, k := range componentOnce {
					if _, ok := c[k]; !ok {
						t.Errorf("component %v lacks %s", c["id"], k)
					}
				}
				if !componentState[fmt.Sprint(c["status"])] {
					t.Errorf("component %v status %v is not one of Statuspage's", c["id"], c["status"])
				}
				if c["description"] != nil {
					t.Errorf("component %v description = %#v, want null (no description is configured; the status is in status)", c["id"], c["description"])
				}
				if c["position"] != float64(i+1) {
					t.Errorf("component %v position = %v, want %d", c["id"], c["position"], i+1)
				}
				created, _ := time.Parse(time.RFC3339, fmt.Sprint(c["created_at"]))
				updated, _ := time.Parse(time.RFC3339, fmt.Sprint(c["updated_at"]))
				if created.After(updated) {
					t.Errorf("component %v created_at %v after its updated_at %v", c["id"], c["created_at"], c["updated_at"])
				}
			}
			checkIndicatorAgrees(t, v.summary)
		})
	}
}

// groupsOf checks status.json's groups as Statuspage links them, a
// group's components listing exactly the components whose group_id is
// the group's id, and counts them.
func groupsOf(t *testing.T, components []any) int {
	t.Helper()
	members := map[string][]string{} // by group id, as the groups list them
	var inGroups []string            // "group/member", as the members say
	groups := 0
	for _, c := range components {
		c := c.(map[string]any)
		id := c["id"].(string)
		list, listed := c["components"]
		switch {
		case c["group"] == true:
			groups++
			if c["group_id"] != nil || !listed {
				t.Errorf("group %s: group_id %v, components %v; want null and its members' ids", id, c["group_id"], list)
				continue
			}
			for _, m := range list.([]any) {
				members[id] = append(members[id], m.(string))
			}
		case listed:
			t.Errorf("component %s lists components but is not a group", id)
		case c["group_id"] != nil:
			inGroups = append(inGroups, c["group_id"].(string)+"/"+id)
		}
	}
	var listed []string
	for g, ms := range members {
		if len(ms) == 0 {
			t.Errorf("group %s is empty (Statuspage has no empty groups)", g)
		}
		for _, m := range ms {
			listed = append(listed, g+"/"+m)
		}
	}
	slices.Sort(listed)
	slices.Sort(inGroups)
	if !slices.Equal(listed, inGroups) {
		t.Errorf("groups list %v, members name %v as their groups", listed, inGroups)
	}
	return groups
}

// walkJSON calls f for every object in v, with its path.
func walkJSON(v any, path string, f func(path string, obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(path, v)
		for k, e := range v {
			walkJSON(e, path+"."+k, f)
		}
	case []any:
		for i, e := range v {
			walkJSON(e, fmt.Sprintf("%s[%d]", path, i), f)
		}
	}
}

// checkTime wants val to be a time a JavaScript client reads as meant:
// `new Date(null)` is 1970 and `new Date("0001-01-01T00:00:00Z")` the
// first century, both silently.
func checkTime(t *testing.T, path string, val any, nullable bool) {
	t.Helper()
	if val == nil {
		if !nullable {
			t.Errorf("%s is null, want a time (Statuspage's type is string)", path)
		}
		return
	}
	s, ok := val.(string)
	if !ok {
		t.Errorf("%s = %#v, want a string", path, val)
		return
	}
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Errorf("%s = %q, not RFC 3339: %v", path, s, err)
		return
	}
	if at.Year() < 2000 || at.Year() > 9999 {
		t.Errorf("%s = %q, want a real time (a zero or 1970 time reads as a date decades ago)", path, s)
	}
}

func isDate(s string) bool {
	d, err := time.Parse(time.DateOnly, s)
	return err == nil && d.Format(time.DateOnly) == s
}

// statuspageTypes is the TypeScript that holds one status.json to the
// statuspage.io client's published Summary type. JSON carries an enum's
// values, not the enum, so Wire maps each enum to the union of its
// values (`${E}`); fields Statuspage writes and the client does not
// declare (started_at, an incident's components) are allowed, as in
// Statuspage's own answers. One field is widened, where the client
// contradicts Statuspage's documented summary: a scheduled maintenance's
// updates carry the maintenance's statuses ("scheduled", "in_progress"),
// which the client types as an incident's.
const statuspageTypes = `import type { Summary, IncidentUpdate, MaintenanceStatus } from "statuspage.io";

type Wire<T> = T extends string ? ` + "`${T}`" + `
  : T extends readonly (infer U)[] ? Wire<U>[]
  : T extends object ? { [K in keyof T]: Wire<T[K]> } & { [extra: string]: unknown }
  : T;

type MaintenanceUpdate = Omit<IncidentUpdate, "status"> & { status: MaintenanceStatus };
type Maintenance = Omit<Summary["scheduled_maintenances"][number], "incident_updates"> & { incident_updates: MaintenanceUpdate[] };
type Checked = Omit<Summary, "scheduled_maintenances"> & { scheduled_maintenances: Maintenance[] };

export const summary: Wire<Checked> = `

// TestStatusJSONTypeChecks renders each scenario's site into a temporary
// folder and type-checks its status.json with tsc --strict against the
// Summary type that the statuspage.io npm client publishes. .ci/run
// installs both into .ci/node (STATUSPAGE_NODE_MODULES names another
// node_modules); without them the test is skipped, and fails under CI=true.
func TestStatusJSONTypeChecks(t *testing.T) {
	modules := nodeModules(t)
	dir := t.TempDir()
	if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	var files []string
	for name, in := range statusScenarios(t) {
		out := filepath.Join(dir, "site-"+name)
		if err := Render(templates.FS, out, in); err != nil {
			t.Fatalf("%s: Render: %v", name, err)
		}
		js, err := os.ReadFile(filepath.Join(out, "status.json"))
		if err != nil {
			t.Fatal(err)
		}
		ts := filepath.Join(dir, name+".ts")
		if err := os.WriteFile(ts, []byte(statuspageTypes+strings.TrimSpace(string(js))+";\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.Base(ts))
	}
	args := append([]string{filepath.Join(modules, "typescript", "bin", "tsc"), "--noEmit", "--strict", "--target", "es2022",
		"--module", "nodenext", "--moduleResolution", "nodenext"}, files...)
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		errs := strings.Count(string(out), ": error TS")
		t.Errorf("tsc found %d type errors in status.json against statuspage.io's Summary (%v):\n%s", errs, err, trimOutput(out))
	}
}

// trimOutput keeps a failure readable: tsc repeats whole object types.
func trimOutput(out []byte) string {
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		if len(l) > 400 {
			lines[i] = l[:400] + "…"
		}
	}
	if len(lines) > 80 {
		lines = append(lines[:80], fmt.Sprintf("… %d more lines", len(lines)-80))
	}
	return strings.Join(lines, "\n")
}

// nodeModules is the node_modules folder holding statuspage.io and
// typescript, with node on PATH; missing, the test is skipped, or fails
// when CI=true.
func nodeModules(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("STATUSPAGE_NODE_MODULES")
	if dir == "" {
		dir = filepath.Join("..", "..", ".ci", "node", "node_modules") // from internal/site
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node on PATH")
	}
	for _, f := range []string{"statuspage.io/dist/interfaces/Result.d.ts", "typescript/bin/tsc"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing = append(missing, filepath.Join(dir, f))
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("missing %s: run .ci/run, or npm install --prefix .ci/node statuspage.io@3.3.8 typescript@5.9.3", strings.Join(missing, ", "))
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip(msg)
	}
	return dir
}
