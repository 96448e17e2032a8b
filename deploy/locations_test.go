package deploy

import (
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestLocationsFlow runs the multi-location Actions flow as
// deploy/locations-flow.sh does it locally (probe per location, folders as
// artifacts, then once --results) with the real binary, three locations and
// a quorum of 2, against a target on 127.0.0.1 that is stopped and started
// again, and Slack as a local server that keeps what it is sent.
func TestLocationsFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs some twenty statusgen commands")
	}
	bin := statusgenBinary(t)
	target := newStoppableTarget(t)
	slack := newSlackFake(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "services.toml")
	writeFile(t, config, `[settings]
title = "Flow"
quorum = 2
retries = 1
retry_delay = "0s"

[slack]
channel = "status"

[[service]]
name = "web"
url = "`+target.url+`/health"
failure_threshold = 2
timeout = "2s"

[[location]]
name = "us-east"
[[location]]
name = "eu-west"
[[location]]
name = "ap-south"
`)
	data, site, artifacts := filepath.Join(dir, "data"), filepath.Join(dir, "site"), filepath.Join(dir, "artifacts")

	cycles := []struct {
		name    string
		up      bool
		skip    []string // jobs that failed: no artifact
		stderr  []string // in the flow's log
		note    string   // the verdict line's note
		verdict string
		slack   int      // messages Slack holds after the cycle
		page    []string // in the rendered services/web.html
	}{
		{name: "all up", up: true, verdict: "up", page: []string{"<h2 id=\"locations\">Locations</h2>", "> Operational</p>"}},
		{name: "one location's file missing: no DOWN, and it is named", up: true, skip: []string{"eu-west"},
			stderr: []string{"location missing from the vote: no results file", "location=eu-west"},
			note:   "no answer from eu-west", verdict: "up",
			page: []string{"> Operational</p>", `<span class="watch">No answer from eu-west</span>`,
				`<bdi>eu-west</bdi></th><td data-label="Status"><span class="s-unknown"><span class="icon" aria-hidden="true">–</span> No answer</span>`}},
		{name: "target stopped, but only one location reported: inconclusive", skip: []string{"us-east", "eu-west"},
			note: "Only 1 of 3 locations could tell, quorum 2; down from ap-south; no answer from us-east, eu-west", verdict: "inconclusive",
			page: []string{"> Operational</p>", `<span class="watch">Only 1 of 3 locations could tell, quorum 2; down from ap-south; no answer from us-east, eu-west</span>`}},
		{name: "target stopped: first agreed failure, below the threshold", verdict: "down"},
		{name: "target stopped: the threshold is reached, one DOWN", verdict: "down", slack: 1},
		{name: "still down with a location missing: nothing new", skip: []string{"ap-south"}, note: "no answer from ap-south", verdict: "down", slack: 1,
			page: []string{"> Down</p>", `<span class="watch">No answer from ap-south</span>`}},
		{name: "restored: one RECOVERED", up: true, verdict: "up", slack: 2},
	}
	for i, c := range cycles {
		target.set(c.up)
		args := []string{"locations-flow.sh", "--statusgen", bin, "--artifacts", artifacts}
		for _, s := range c.skip {
			args = append(args, "--skip", s)
		}
		args = append(args, "us-east", "eu-west", "ap-south", "--", "--config", config, "--data", data, "--site", site)
		cmd := exec.Command("bash", args...)
		cmd.Env = append(os.Environ(), "SLACK_WEBHOOK_URL="+slack.srv.URL+"/ok")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("cycle %d (%s): %v\n%s", i, c.name, err, out)
		}
		for _, want := range c.stderr {
			if !strings.Contains(string(out), want) {
				t.Errorf("cycle %d (%s): output lacks %q:\n%s", i, c.name, want, out)
			}
		}
		v := lastVerdict(t, data)
		if !strings.Contains(v, `"status":"`+c.verdict+`"`) || c.note != "" && !strings.Contains(v, `"note":"`+c.note+`"`) ||
			c.note == "" && strings.Contains(v, `"note"`) {
			t.Errorf("cycle %d (%s): verdict line = %s, want status %s and note %q", i, c.name, v, c.verdict, c.note)
		}
		html, err := os.ReadFile(filepath.Join(site, "services", "web.html"))
		if err != nil {
			t.Fatalf("cycle %d (%s): %v", i, c.name, err)
		}
		for _, want := range c.page {
			if !strings.Contains(string(html), want) {
				t.Errorf("cycle %d (%s): services/web.html lacks %q", i, c.name, want)
			}
		}
		slack.mu.Lock()
		got := len(slack.accepted)
		slack.mu.Unlock()
		if got != c.slack {
			t.Errorf("cycle %d (%s): Slack holds %d messages, want %d", i, c.name, got, c.slack)
		}
	}

	slack.mu.Lock()
	defer slack.mu.Unlock()
	if len(slack.accepted) != 2 {
		t.Fatalf("Slack got %d messages, want a DOWN and a RECOVERED", len(slack.accepted))
	}
	down, recovered := slack.accepted[0], slack.accepted[1]
	for _, want := range []string{"web is down", "Confirmed from 3 locations", "*us-east*: connect", "*eu-west*: connect", "*ap-south*: connect"} {
		if !strings.Contains(down, want) {
			t.Errorf("the DOWN lacks %q:\n%s", want, down)
		}
	}
	if !strings.Contains(recovered, "web recovered") {
		t.Errorf("the second message is not web's RECOVERED:\n%s", recovered)
	}
	if _, err := os.Stat(filepath.Join(site, "index.html")); err != nil {
		t.Errorf("the decide step rendered no site: %v", err)
	}
}

// lastVerdict is the last line of the check files without a location.
func lastVerdict(t *testing.T, data string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, "checks", "*.jsonl"))
	last := ""
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
			if !strings.Contains(l, `"location"`) {
				last = l
			}
		}
	}
	return last
}

// stoppableTarget is a real HTTP server on 127.0.0.1 whose listener is
// closed to stop it (connections refused) and opened again on the same
// port to restore it.
type stoppableTarget struct {
	t    *testing.T
	url  string
	addr string
	mu   sync.Mutex
	srv  *http.Server
}

func newStoppableTarget(t *testing.T) *stoppableTarget {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := &stoppableTarget{t: t, addr: ln.Addr().String()}
	tg.url = "http://" + tg.addr
	tg.serve(ln)
	t.Cleanup(func() { tg.set(false) })
	return tg
}

func (tg *stoppableTarget) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
	tg.srv = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			tg.t.Errorf("target: %v", err)
		}
	}()
}

func (tg *stoppableTarget) set(up bool) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	switch {
	case up && tg.srv == nil:
		ln, err := net.Listen("tcp", tg.addr)
		if err != nil {
			tg.t.Fatalf("target: listen again on %s: %v", tg.addr, err)
		}
		tg.serve(ln)
	case !up && tg.srv != nil:
		tg.srv.Close()
		tg.srv = nil
	}
}

// TestStatusLocationsWorkflow pins what the multi-location workflow must
// keep doing, and that the local flow runs the same two commands.
func TestStatusLocationsWorkflow(t *testing.T) {
	b, err := os.ReadFile("../.github/workflows/status-locations.yml")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("locations-flow.sh")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		"needs: probe",
		"if: ${{ !cancelled() && github.ref_type == 'branch' }}", // decide runs when probes failed
		"fail-fast: false",
		"merge-multiple: true",
		"ref: ${{ github.ref_name }}",
		`./bin/statusgen probe --location "$LOCATION" --out "results/$LOCATION.jsonl"`,
		"deploy/commit-data.sh --branch",
		"./bin/statusgen once --results results",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status-locations.yml lacks %q", want)
		}
	}
	for _, want := range []string{`probe "${flags[@]}" --location "$location" --out`, `once "${flags[@]}" --results "$results"`} {
		if !strings.Contains(string(script), want) {
			t.Errorf("locations-flow.sh lacks %q: it must run the workflow's commands", want)
		}
	}
	for _, inline := range []string{"git push", "git commit"} {
		if strings.Contains(text, inline) {
			t.Errorf("status-locations.yml runs %q inline: committing belongs to deploy/commit-data.sh", inline)
		}
	}
}
