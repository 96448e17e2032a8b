package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Sefaria/statusgen/internal/realserver"
)

// TestQuorumAcrossNetworkNamespaces: three locations, each a network
// namespace with its own link to this machine, run `statusgen agent`; the
// target listens on an address each reaches over its own link; `once`
// decides with quorum 2, the real binary, which renders the site. One
// location's route cut is a note and no DOWN, and the service page says
// "Down from 1 of 3 locations" beside an unchanged Operational; the
// target failing is one DOWN naming the three; a killed agent's vote is
// missing, nothing else changes and the page says it gave no answer; the
// target's return is one RECOVERED.
func TestQuorumAcrossNetworkNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and sets up network namespaces")
	}
	ipCmd := realserver.Tool(t, "ip", "iproute2")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("network namespaces need root: CI runs the tests as root")
		}
		t.Skip("network namespaces need root; skipping the topology test")
	}
	bin := buildStatusgen(t)
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ipCmd, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	b := make([]byte, 3)
	rand.Read(b)
	id := hex.EncodeToString(b)
	target := fmt.Sprintf("10.216.%d.1", b[0])

	type location struct{ name, ns, hostIf, hostIP, agentIP string }
	var locs []location
	for i, name := range []string{"eu-west", "us-east", "ap-south"} {
		l := location{
			name:    name,
			ns:      fmt.Sprintf("sgag-%s-%d", id, i),
			hostIf:  fmt.Sprintf("sga%s%dh", id, i),
			hostIP:  fmt.Sprintf("10.215.%d.%d", b[0], 4*i+1),
			agentIP: fmt.Sprintf("10.215.%d.%d", b[0], 4*i+2),
		}
		nsIf := fmt.Sprintf("sga%s%dn", id, i)
		ip("netns", "add", l.ns)
		t.Cleanup(func() {
			exec.Command(ipCmd, "netns", "del", l.ns).Run()
			exec.Command(ipCmd, "link", "del", l.hostIf).Run()
		})
		ip("link", "add", l.hostIf, "type", "veth", "peer", "name", nsIf)
		ip("link", "set", nsIf, "netns", l.ns)
		ip("addr", "add", l.hostIP+"/30", "dev", l.hostIf)
		ip("link", "set", l.hostIf, "up")
		ip("-n", l.ns, "addr", "add", l.agentIP+"/30", "dev", nsIf)
		ip("-n", l.ns, "link", "set", nsIf, "up")
		ip("-n", l.ns, "link", "set", "lo", "up")
		// The target is this machine's address, reached over the
		// location's own link: cutting this route cuts that location only.
		ip("-n", l.ns, "route", "add", target+"/32", "via", l.hostIP)
		locs = append(locs, l)
	}
	ip("addr", "add", target+"/32", "dev", locs[0].hostIf)

	var down atomic.Bool
	ln, err := net.Listen("tcp", target+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	var conf strings.Builder
	fmt.Fprintf(&conf, "[settings]\ninterval = \"10s\"\nretries = 1\nfailure_threshold = 1\nquorum = 2\n\n"+
		"[[service]]\nname = \"Web\"\nurl = \"http://%s/health\"\n", ln.Addr())
	for _, l := range locs {
		fmt.Fprintf(&conf, "\n[[location]]\nname = %q\nurl = \"http://%s:9464\"\n", l.name, l.agentIP)
	}
	w := newWorkspace(t, conf.String())
	agents := map[string]*exec.Cmd{}
	for _, l := range locs {
		cmd := exec.Command(ipCmd, "netns", "exec", l.ns, bin, "agent", "--config", w.config,
			"--listen", l.agentIP+":9464", "--location", l.name)
		cmd.Env = []string{AgentTokenEnv + "=" + agentToken, "PATH=" + os.Getenv("PATH")}
		startAgent(t, cmd, l.agentIP+":9464")
		agents[l.name] = cmd
	}

	downs, recovered := 0, 0
	const page = "services/web.html"
	noAnswer := regexp.QuoteMeta(`<bdi>ap-south</bdi></th><td data-label="Status"><span class="s-unknown"><span class="icon" aria-hidden="true">–</span> No answer</span>`)
	for i, step := range []struct {
		name              string
		do                func()
		want              []string
		notWant           []string
		onPage, notOnPage []string // in services/web.html as the binary wrote it
	}{
		{name: "all up", do: func() {},
			want: []string{`(?m)^Web\s+up\b`}, notWant: []string{`Down from`, `no answer`},
			onPage: []string{`<h2 id="locations">Locations</h2>`}, notOnPage: []string{`class="watch"`, `No answer`}},
		{name: "eu-west's route to the target is cut",
			do:      func() { ip("-n", locs[0].ns, "route", "replace", "unreachable", target+"/32") },
			want:    []string{`(?m)^Web\s+up\b`, `Web: Down from 1 of 3 locations: eu-west`},
			notWant: []string{`DOWN`},
			onPage: []string{`<p class="state s-up"><span class="icon" aria-hidden="true">✔</span> Operational</p>`,
				`<span class="watch">Down from 1 of 3 locations: eu-west</span>`,
				`<bdi>eu-west</bdi></th><td data-label="Status"><span class="s-down"><span class="icon" aria-hidden="true">✖</span> Down</span> · Service unreachable`},
			notOnPage: []string{`No answer`}},
		{name: "the route is back and the target fails",
			do: func() {
				ip("-n", locs[0].ns, "route", "replace", target+"/32", "via", locs[0].hostIP)
				down.Store(true)
			},
			want: []string{`DOWN Web since \S+ \(1 failed checks, status, from eu-west, us-east, ap-south\)`}},
		{name: "ap-south's agent is killed",
			do: func() {
				agents["ap-south"].Process.Kill()
				agents["ap-south"].Process.Wait()
			},
			want:    []string{`(?m)^Web\s+down\b`, `locations missing from the vote: ap-south`},
			notWant: []string{`DOWN`, `RECOVERED`},
			onPage:  []string{`<span class="watch">No answer from ap-south</span>`, noAnswer + `.*last answered <time datetime="`}},
		{name: "the target is back", do: func() { down.Store(false) },
			want: []string{`RECOVERED Web`},
			onPage: []string{`<p class="state s-up"><span class="icon" aria-hidden="true">✔</span> Operational</p>`,
				`<span class="watch">No answer from ap-south</span>`, noAnswer}},
	} {
		step.do()
		cmd := exec.Command(bin, "once", "--config", w.config, "--data", w.data, "--site", w.site)
		cmd.Env = []string{AgentTokenEnv + "=" + agentToken, "PATH=" + os.Getenv("PATH")}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		all := stdout.String() + stderr.String()
		if err != nil {
			t.Fatalf("cycle %d (%s): statusgen once: %v\n%s", i, step.name, err, all)
		}
		html, err := os.ReadFile(filepath.Join(w.site, page))
		if err != nil {
			t.Fatalf("cycle %d (%s): %v", i, step.name, err)
		}
		for _, p := range step.onPage {
			if !regexp.MustCompile(p).Match(html) {
				t.Errorf("cycle %d (%s): %s lacks %q", i, step.name, page, p)
			}
		}
		for _, p := range step.notOnPage {
			if regexp.MustCompile(p).Match(html) {
				t.Errorf("cycle %d (%s): %s says %q", i, step.name, page, p)
			}
		}
		for _, p := range step.want {
			if !regexp.MustCompile(p).MatchString(all) {
				t.Errorf("cycle %d (%s): want %q in\n%s", i, step.name, p, all)
			}
		}
		for _, p := range step.notWant {
			if regexp.MustCompile(p).MatchString(all) {
				t.Errorf("cycle %d (%s): did not want %q in\n%s", i, step.name, p, all)
			}
		}
		downs += strings.Count(all, "DOWN Web")
		recovered += strings.Count(all, "RECOVERED Web")
	}
	if downs != 1 || recovered != 1 {
		t.Errorf("%d DOWN and %d RECOVERED alerts, want one of each", downs, recovered)
	}
}
