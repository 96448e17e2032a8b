package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCommitDataRaces runs the scheduled workflow's commit step
// (commit-data.sh) for real: the statusgen binary checking services on
// 127.0.0.1, a bare repository as the remote, shallow clones as the
// runners' checkouts. A run's first push is held while the branch moves
// under it (another run, or someone's commit), then let go. Whatever
// happens, every check line of every cycle must reach the remote, the
// remote state.json must be the latest cycle's, the rollups must count
// every line, and exit 0 must mean the run's commit is on the remote.
func TestCommitDataRaces(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs git and statusgen some dozens of times")
	}
	cases := []struct {
		name string
		// meanwhile moves the branch while run a's first push is held.
		meanwhile func(t *testing.T, r *rig)
		wantRerun bool // a runs its cycle again on the new tip
		check     func(t *testing.T, r *rig, a *run, held string)
	}{
		{
			name: "another run from the same tip",
			meanwhile: func(t *testing.T, r *rig) {
				if code := r.clone("b", "/ok").commit().code; code != 0 {
					t.Errorf("run b: exit %d, want 0", code)
				}
			},
			wantRerun: true,
			check: func(t *testing.T, r *rig, a *run, held string) {
				r.checkRemote(t, map[string]string{"b": r.git(filepath.Join(r.dir, "b"), "rev-parse", "HEAD")})
				if n := checkLines(r); n != 4*2 {
					t.Errorf("the remote has %d check lines, want 8: two services, four cycles (earlier, a, b, a again)", n)
				}
			},
		},
		{
			name: "someone edits the README and adds a notice",
			meanwhile: func(t *testing.T, r *rig) {
				r.humanPush("README: a word; a maintenance notice", func(dir string) {
					writeFile(t, filepath.Join(dir, "README.md"), "# status\n\nEdited meanwhile.\n")
					writeFile(t, filepath.Join(dir, "data", "notices", "upgrade.md"),
						"+++\ntitle = \"Upgrade\"\nkind = \"maintenance\"\nstart = 2030-01-01T00:00:00Z\nend = 2030-01-01T01:00:00Z\n+++\nAn upgrade.\n")
				})
			},
			check: func(t *testing.T, r *rig, a *run, held string) {
				if got := r.git(r.dir, "--git-dir", r.remote, "show", "main:README.md"); !strings.Contains(got, "Edited meanwhile") {
					t.Errorf("the README edit is not on the remote: %q", got)
				}
				if got := r.git(r.dir, "--git-dir", r.remote, "ls-tree", "--name-only", "main", "data/notices/"); got != "data/notices/upgrade.md" {
					t.Errorf("the notice is not on the remote: ls-tree says %q", got)
				}
				// Nothing of the cycle's was touched: its commit went on top unchanged.
				for _, path := range []string{"data/state.json", "data/checks"} {
					if r.git(a.c.dir, "rev-parse", held+":"+path) != r.git(r.dir, "--git-dir", r.remote, "rev-parse", "main:"+path) {
						t.Errorf("%s on the remote differs from the held commit's: a cycle that needed no re-run was changed", path)
					}
				}
			},
		},
		{
			name: "someone resets a service in state.json",
			meanwhile: func(t *testing.T, r *rig) {
				r.humanPush("state: reset alpha's streak", func(dir string) {
					path := filepath.Join(dir, "data", "state.json")
					b, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					var st map[string]any
					if err := json.Unmarshal(b, &st); err != nil {
						t.Fatal(err)
					}
					delete(st["services"].(map[string]any), "alpha")
					b, _ = json.MarshalIndent(st, "", "  ")
					writeFile(t, path, string(b)+"\n")
				})
			},
			wantRerun: true,
			check: func(t *testing.T, r *rig, a *run, held string) {
				// alpha was down in the earlier cycle and in both of a's: on
				// the state as the person left it, one failure, not three.
				if got := r.remoteState().Services["alpha"].Failures; got != 1 {
					t.Errorf("alpha's failures on the remote = %d, want 1: the edited state.json must be the one the cycle ran on", got)
				}
			},
		},
		{
			name: "someone deletes a line of today's checks",
			meanwhile: func(t *testing.T, r *rig) {
				r.humanPush("checks: drop a bogus line", func(dir string) {
					paths, _ := filepath.Glob(filepath.Join(dir, "data", "checks", "*.jsonl"))
					if len(paths) == 0 {
						t.Fatal("no check file to edit")
					}
					b, err := os.ReadFile(paths[0])
					if err != nil {
						t.Fatal(err)
					}
					deleted, rest, _ := strings.Cut(string(b), "\n")
					writeFile(t, paths[0], rest)
					writeFile(t, filepath.Join(r.dir, "deleted"), deleted)
				})
			},
			wantRerun: true,
			check: func(t *testing.T, r *rig, a *run, held string) {
				deleted, err := os.ReadFile(filepath.Join(r.dir, "deleted"))
				if err != nil {
					t.Fatal(err)
				}
				for path, lines := range r.historyLines(r.remote, "main") {
					if slices.Contains(lines, string(deleted)) {
						t.Errorf("the line deleted meanwhile is back in %s on the remote", path)
					}
				}
				if n := checkLines(r); n != 2+2+2-1 {
					t.Errorf("the remote has %d check lines, want 5: the earlier cycle's 2 but the deleted one, the held cycle's 2 and the re-run's 2", n)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.targets.set("alpha", false) // down throughout: failure streaks to follow
			r.seedCycle()
			a := r.clone("a", "/ok")
			g := a.gateFirstPush()
			p := a.start()
			g.wait(p)
			held := a.head()
			tc.meanwhile(t, r)
			g.open()
			if code := p.wait(); code != 0 {
				t.Errorf("run a: exit %d, want 0", code)
			}
			if got := strings.Contains(p.out.String(), "running the cycle again"); got != tc.wantRerun {
				t.Errorf("run a ran its cycle again: %v, want %v", got, tc.wantRerun)
			}
			if !r.onRemote(a, a.head()) {
				t.Errorf("run a exited 0 but its commit %.7s is not on the remote", a.head())
			}
			r.checkRemote(t, map[string]string{"a": held})
			r.checkRemote(t, map[string]string{"a": a.head()})
			if tc.check != nil {
				tc.check(t, r, p, held)
			}
		})
	}
}

// TestCommitDataStartsFromTheTip is a run that waited in the concurrency
// queue: its checkout is older than the branch, which another run has
// moved on, announcing an outage meanwhile. The run must start from the
// branch's state, not announce the outage again.
func TestCommitDataStartsFromTheTip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs git and statusgen")
	}
	r := newRig(t)
	r.targets.set("alpha", false)
	r.seedCycle()
	queued := r.clone("queued", "/ok") // checked out when it was queued
	if code := r.clone("b", "/ok").commit().code; code != 0 {
		t.Fatalf("run b: exit %d", code)
	}
	if n := r.slack.mentioning("alpha"); n != 1 {
		t.Fatalf("after run b Slack has %d messages about alpha, want its DOWN", n)
	}
	p := queued.commit()
	if p.code != 0 {
		t.Errorf("the queued run: exit %d, want 0", p.code)
	}
	if n := r.slack.mentioning("alpha"); n != 1 {
		t.Errorf("Slack has %d messages about alpha, want 1: the queued run announced the outage again from a stale state", n)
	}
	if st := r.remoteState().Services["alpha"]; !st.Announced || st.Failures != 3 {
		t.Errorf("remote alpha: %+v, want announced with 3 failures (three cycles, one after the other)", st)
	}
	r.checkRemote(t, map[string]string{"queued": queued.head()})
}

// TestCommitDataKeepsUndeliveredAlerts: a run whose Slack delivery failed
// loses the push race. Its DOWN must not vanish with its commit: either the
// branch's state holds it (queued, or announced by the other run), or the
// run fails, naming it.
func TestCommitDataKeepsUndeliveredAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs git and statusgen")
	}
	cases := []struct {
		name      string
		otherOK   bool // run b's Slack accepts
		otherUp   bool // alpha answers while run b checks
		wantCode  int
		wantQueue bool // the remote outbox holds alpha's DOWN
		wantSaid  string
	}{
		{name: "the other run announced it", otherOK: true, wantCode: 0},
		// Slack unavailable is no failure of the run (statusgen once exits 0):
		// the alert waits in the outbox, on the branch.
		{name: "the other run could not deliver it either", otherOK: false, wantCode: 0, wantQueue: true},
		{name: "the branch's state never confirmed it", otherOK: true, otherUp: true, wantCode: 1, wantSaid: "DOWN alpha"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.targets.set("alpha", false)
			r.seedCycle() // alpha: one failure of two
			a := r.clone("a", "/fail")
			g := a.gateFirstPush()
			p := a.start()
			g.wait(p)
			held := a.head()
			var lost state
			if err := json.Unmarshal([]byte(r.git(a.dir, "show", held+":data/state.json")), &lost); err != nil {
				t.Fatal(err)
			}
			if len(lost.Outbox) != 1 || lost.Outbox[0].Kind != "down" || lost.Outbox[0].Service != "alpha" {
				t.Fatalf("run a's cycle should have queued alpha's DOWN (Slack failing); its outbox: %+v", lost.Outbox)
			}
			r.targets.set("alpha", tc.otherUp)
			slack := "/fail"
			if tc.otherOK {
				slack = "/ok"
			}
			r.clone("b", slack).commit()
			r.targets.set("alpha", false)
			g.open()
			code := p.wait()
			if code != tc.wantCode {
				t.Errorf("run a: exit %d, want %d", code, tc.wantCode)
			}
			if !r.onRemote(a, a.head()) {
				t.Errorf("run a's last commit is not on the remote")
			}
			st := r.remoteState()
			queued := false
			for _, al := range st.Outbox {
				queued = queued || al.Kind == "down" && al.Service == "alpha"
			}
			if queued != tc.wantQueue {
				t.Errorf("the remote outbox holds alpha's DOWN: %v, want %v (outbox %+v)", queued, tc.wantQueue, st.Outbox)
			}
			if tc.otherOK && !tc.otherUp && (!st.Services["alpha"].Announced || st.Services["alpha"].IncidentID != lost.Outbox[0].IncidentID) {
				t.Errorf("remote alpha %+v: want the DOWN run a could not send announced", st.Services["alpha"])
			}
			if tc.wantSaid != "" && !strings.Contains(p.out.String(), tc.wantSaid) {
				t.Errorf("run a's output does not name the alert it could not account for (%q)", tc.wantSaid)
			}
			r.checkRemote(t, map[string]string{"a": held})
		})
	}
}

// TestCommitDataNeverGreenOffTheRemote: when the remote refuses the push,
// or takes it and then loses it, the step fails and says so.
func TestCommitDataNeverGreenOffTheRemote(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs git and statusgen")
	}
	cases := []struct {
		name string
		hook string // a hook of the bare repository
		body string
	}{
		{"the remote refuses every push", "pre-receive", "#!/bin/sh\necho 'protected branch' >&2\nexit 1\n"},
		{"the remote takes the push and loses it", "post-receive",
			"#!/bin/sh\nwhile read -r old new ref; do git update-ref \"$ref\" \"$old\"; done\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.seedCycle()
			before := r.remoteTip()
			hook := filepath.Join(r.remote, "hooks", tc.hook)
			writeFile(t, hook, tc.body)
			if err := os.Chmod(hook, 0o755); err != nil {
				t.Fatal(err)
			}
			a := r.clone("a", "/ok")
			p := a.commit()
			if p.code == 0 {
				t.Errorf("run a: exit 0 with its commit %.7s not on the remote", a.head())
			}
			if r.onRemote(a, a.head()) || r.remoteTip() != before {
				t.Fatalf("the remote moved; the test's hook did not work")
			}
			if !strings.Contains(p.out.String(), "NOT on origin/main") {
				t.Errorf("run a's output does not say its data is not on the remote")
			}
		})
	}
}

// checkLines counts the check lines on the remote.
func checkLines(r *rig) int {
	n := 0
	for path, lines := range r.historyLines(r.remote, "main") {
		if strings.HasPrefix(path, "data/checks/") {
			n += len(lines)
		}
	}
	return n
}
