package main

// The locations run (-locations N): N `statusgen agent` processes on
// 127.0.0.1 and a deciding `statusgen run` that asks them all every
// cycle, with a plain single-location `statusgen run` of the same
// services beside them for reference, every process the real binary.
// Both runners check https services on targets of their own in this
// process, so each one's checks are counted apart.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/Sefaria/statusgen/internal/agent"
)

// locToken is the agents' bearer token: the harness's own, never a secret.
const locToken = "statusgen-load-agent-token"

// locTarget answers the https checks of one runner's services (directly,
// or through its agents) and stands in for its Slack.
type locTarget struct {
	served   atomic.Int64
	failFrom atomic.Int64 // Unix ns after which failing services answer 503; 0: never
	failing  map[int]bool

	mu      sync.Mutex
	answers map[int][]answer // failing services' answers since failFrom
	alerts  map[int]time.Time
	names   map[int]string
}

// answer is one check the target answered for a failing service.
type answer struct {
	at     time.Time
	failed bool
}

func newLocTarget(n int) *locTarget {
	t := &locTarget{failing: map[int]bool{}, answers: map[int][]answer{}, alerts: map[int]time.Time{}, names: map[int]string{}}
	for i := 0; i < n; i += max(n/5, 1) {
		t.failing[i] = true // 5 services at different offsets: Slack takes one message a second
		t.names[i] = svcName(i)
	}
	return t
}

func (t *locTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/slack" {
		body, _ := io.ReadAll(r.Body)
		now := time.Now()
		if t.failFrom.Load() != 0 {
			t.mu.Lock()
			for i, name := range t.names {
				if _, seen := t.alerts[i]; !seen && strings.Contains(string(body), name) {
					t.alerts[i] = now
				}
			}
			t.mu.Unlock()
		}
		io.WriteString(w, "ok")
		return
	}
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/s/"))
	if err != nil || i < 0 {
		http.NotFound(w, r)
		return
	}
	t.served.Add(1)
	from := t.failFrom.Load()
	if from == 0 || !t.failing[i] {
		io.WriteString(w, `{"allReady": true}`)
		return
	}
	now := time.Now()
	failed := now.UnixNano() >= from
	t.mu.Lock()
	t.answers[i] = append(t.answers[i], answer{now, failed})
	t.mu.Unlock()
	if failed {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, `{"allReady": true}`)
}

// serve starts the target's https listener for the services and its plain
// http one for Slack.
func (t *locTarget) serve() (svcBase, slackURL string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	srv := &http.Server{Handler: t, ReadHeaderTimeout: 5 * time.Second}
	tsrv := &http.Server{Handler: t, ReadHeaderTimeout: 5 * time.Second, TLSConfig: serverTLS()}
	go srv.Serve(ln)
	go tsrv.ServeTLS(tln, "", "")
	return "https://" + tln.Addr().String(), "http://" + ln.Addr().String() + "/slack", func() { srv.Close(); tsrv.Close() }
}

// confirmedAt is when the cycle that confirmed a failing service's outage
// ended: its answers are grouped into cycles (a gap of more than gap
// starts a new one), a cycle is a down vote when at least quorum of its
// answers failed, and the threshold-th down cycle in a row confirms; it
// ends with its last answer, when the decider has every vote. ok is false
// when no cycle confirmed.
func confirmedAt(answers []answer, quorum, threshold int, gap time.Duration) (time.Time, bool) {
	answers = slices.Clone(answers)
	slices.SortFunc(answers, func(a, b answer) int { return a.at.Compare(b.at) })
	streak := 0
	for start := 0; start < len(answers); {
		end := start + 1
		for end < len(answers) && answers[end].at.Sub(answers[end-1].at) <= gap {
			end++
		}
		failed := 0
		for _, a := range answers[start:end] {
			if a.failed {
				failed++
			}
		}
		if failed >= quorum {
			streak++
		} else {
			streak = 0
		}
		if streak == threshold {
			return answers[end-1].at, true
		}
		start = end
	}
	return time.Time{}, false
}

// latencies are, for each failing service, the time from its confirming
// cycle's end to its DOWN reaching Slack, and how many never arrived.
func (t *locTarget) latencies(quorum, threshold int, gap time.Duration) (ms []float64, missing int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.failing {
		c, ok := confirmedAt(t.answers[i], quorum, threshold, gap)
		s, sent := t.alerts[i]
		if !ok || !sent {
			missing++
			continue
		}
		ms = append(ms, float64(s.Sub(c).Microseconds())/1000)
	}
	return ms, missing
}

// cycleWatch samples a runner's CPU and its target's count of checks
// each time the runner logs a finished cycle, and counts its renders, so
// that a window holds whole cycles whatever the two runners' phases.
type cycleWatch struct {
	pid    atomic.Int64
	served *atomic.Int64
	index  string // the site's index.html, renamed over at each render
	others []int  // processes whose CPU is sampled at the same moments: the agents

	mu      sync.Mutex
	marks   []mark
	renders []time.Time
}

type mark struct {
	at     time.Time
	cpu    cpuTime
	served int64
	others []cpuTime
	took   time.Duration // the cycle's, as the runner logs it
}

// cycleDone is the runner's line at the end of each cycle.
var cycleDone = regexp.MustCompile(`msg="cycle done".* took=([0-9.a-zµ]+)`)

// Write takes the runner's output: a "cycle done" line is a mark.
func (w *cycleWatch) Write(p []byte) (int, error) {
	found := cycleDone.FindAllSubmatch(p, -1)
	if len(found) == 0 {
		return len(p), nil
	}
	m := mark{at: time.Now(), cpu: cpuTicks(int(w.pid.Load())), served: w.served.Load()}
	for _, pid := range w.others {
		m.others = append(m.others, cpuTicks(pid))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range found {
		m.took, _ = time.ParseDuration(string(f[1]))
		w.marks = append(w.marks, m)
	}
	return len(p), nil
}

// watchRenders notes when the index is rewritten: a render.
func (w *cycleWatch) watchRenders(ctx context.Context) {
	var last os.FileInfo
	for ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
		info, err := os.Stat(w.index)
		if err != nil || (last != nil && os.SameFile(info, last) && info.ModTime().Equal(last.ModTime())) {
			continue
		}
		last = info
		w.mu.Lock()
		w.renders = append(w.renders, time.Now())
		w.mu.Unlock()
	}
}

func (w *cycleWatch) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.marks)
}

// window is the CPU, the checks and the renders between marks from and to.
func (w *cycleWatch) window(from, to int) (cpu cpuTime, checks int64, renders int, a, b time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m0, m1 := w.marks[from], w.marks[to]
	for _, r := range w.renders {
		if r.After(m0.at) && !r.After(m1.at) {
			renders++
		}
	}
	return cpuTime{m1.cpu.user - m0.cpu.user, m1.cpu.system - m0.cpu.system}, m1.served - m0.served, renders, m0.at, m1.at
}

func ticksMS(c cpuTime) float64 { return float64(c.user+c.system) * 1000 / float64(clockTicks()) }

// procs are the processes startProc started, for fatal to end.
var (
	procsMu sync.Mutex
	procs   []*proc
)

// killProcs ends every process startProc started that is still running.
func killProcs() {
	procsMu.Lock()
	defer procsMu.Unlock()
	for _, p := range procs {
		if p.alive() {
			p.cmd.Process.Kill()
		}
	}
}

// proc is one started statusgen process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan struct{}
}

// startProc starts bin; its output goes to its logs and to watch, if any.
func startProc(name, bin string, watch io.Writer, env []string, args ...string) *proc {
	p := &proc{name: name, cmd: exec.Command(bin, args...), logs: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	var out io.Writer = p.logs
	if watch != nil {
		out = io.MultiWriter(p.logs, watch)
	}
	p.cmd.Stdout, p.cmd.Stderr = out, out
	// Nothing outlives the harness: not when it is interrupted, and not
	// when fatal exits without running the deferred stops.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		fatal(err)
	}
	procsMu.Lock()
	procs = append(procs, p)
	procsMu.Unlock()
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	return p
}

func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// locResult is one locations run.
type locResult struct {
	scheme                  string // the agents'
	deciderPer, localPer    float64
	deciderUser, deciderSys float64
	deciderChecks           int64
	agentPerCheck           float64 // ms of an agent's CPU per check it answered in the window
	agentPerCycle           float64 // ms of an agent's CPU per cycle, the median agent
	cycleTook               float64 // s: the decider's median cycle in the window, as it logs it
	burstWall, burstCPU     float64 // ms: one agent answering every service at once
	burstOK                 int
	lat, localLat           []float64
	missing, localMissing   int
	load                    string // /proc/loadavg's 1-minute figure at the end of the window
	renders                 [2]int // in the decider's window and the local runner's
}

func (r locResult) ratio() float64 { return r.deciderPer / r.localPer }

// locationsRun runs one decider with `locations` agents whose listeners
// use agentScheme, and the single-location runner beside it.
func locationsRun(bin, agentScheme, caFile string, locations, quorum, n int, interval time.Duration, cycles int) locResult {
	dir := scratchDir("locations-" + agentScheme + "-")
	dt, lt := newLocTarget(n), newLocTarget(n)
	dBase, dSlack, stopD := dt.serve()
	defer stopD()
	lBase, lSlack, stopL := lt.serve()
	defer stopL()

	ports := make([]string, locations)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fatal(err)
		}
		ports[i] = ln.Addr().String()
		ln.Close()
	}
	settings := fmt.Sprintf("[settings]\ntitle = \"Load\"\ninterval = \"%s\"\nretries = 1\nretry_delay = \"0s\"\nfailure_threshold = 2\nmax_parallel = 64\n", interval)
	services := func(base string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "\n[[service]]\nname = %q\nurl = \"%s/s/%d\"\ntimeout = \"%s\"\nexpect_json = { allReady = true }\n", svcName(i), base, i, min(5*time.Second, interval/2))
		}
		return b.String()
	}
	var dcfg strings.Builder
	fmt.Fprintf(&dcfg, "%squorum = %d\n\n[slack]\nchannel = \"load\"\n", settings, quorum)
	for i, addr := range ports {
		fmt.Fprintf(&dcfg, "\n[[location]]\nname = \"loc-%d\"\nurl = \"%s://%s\"\n", i+1, agentScheme, addr)
	}
	dcfg.WriteString(services(dBase))
	lcfg := settings + "\n[slack]\nchannel = \"load\"\n" + services(lBase)
	dPath, lPath := filepath.Join(dir, "decider.toml"), filepath.Join(dir, "local.toml")
	for path, text := range map[string]string{dPath: dcfg.String(), lPath: lcfg} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			fatal(err)
		}
	}
	certFile, keyFile := writeAgentTLS(dir)
	env := []string{"STATUSGEN_AGENT_TOKEN=" + locToken, "SSL_CERT_FILE=" + caFile}

	agents := make([]*proc, locations)
	for i, addr := range ports {
		args := []string{"agent", "--config", dPath, "--listen", addr, "--location", fmt.Sprintf("loc-%d", i+1)}
		if agentScheme == "https" {
			args = append(args, "--tls-cert", certFile, "--tls-key", keyFile)
		}
		agents[i] = startProc(fmt.Sprintf("agent loc-%d", i+1), bin, nil, env, args...)
	}
	defer func() {
		for _, a := range agents {
			a.stop()
		}
	}()
	client := agentHTTPClient(caFile)
	for i, addr := range ports {
		waitHealthy(agents[i], agentScheme+"://"+addr, client)
	}
	dDir, lDir := filepath.Join(dir, "decider"), filepath.Join(dir, "local")
	dw := &cycleWatch{served: &dt.served, index: filepath.Join(dDir, "site", "index.html")}
	for _, a := range agents {
		dw.others = append(dw.others, a.cmd.Process.Pid)
	}
	lw := &cycleWatch{served: &lt.served, index: filepath.Join(lDir, "site", "index.html")}
	decider := startProc("decider", bin, dw, append(env, "SLACK_WEBHOOK_URL="+dSlack),
		"run", "--config", dPath, "--data", filepath.Join(dDir, "data"), "--site", filepath.Join(dDir, "site"))
	dw.pid.Store(int64(decider.cmd.Process.Pid))
	defer decider.stop()
	local := startProc("local runner", bin, lw, append(env, "SLACK_WEBHOOK_URL="+lSlack),
		"run", "--config", lPath, "--data", filepath.Join(lDir, "data"), "--site", filepath.Join(lDir, "site"))
	lw.pid.Store(int64(local.cmd.Process.Pid))
	defer local.stop()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go dw.watchRenders(ctx)
	go lw.watchRenders(ctx)
	// Start-up is left out: the first cycle, and the first render, which
	// writes every page once. Each runner's window runs from the end of
	// its second cycle to the end of its (2+cycles)-th.
	const skip = 2
	give := time.Now().Add(time.Duration(cycles+skip+4) * interval)
	for dw.count() < skip+cycles || lw.count() < skip+cycles {
		for _, p := range append([]*proc{decider, local}, agents...) {
			if !p.alive() {
				fatal(fmt.Errorf("the %s exited early:\n%s", p.name, p.logs.String()))
			}
		}
		if time.Now().After(give) {
			fatal(fmt.Errorf("the runners finished %d and %d cycles in %v, want %d:\ndecider:\n%s\nlocal:\n%s",
				dw.count(), lw.count(), time.Duration(cycles+skip+4)*interval, skip+cycles, decider.logs.String(), local.logs.String()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	res := locResult{scheme: agentScheme, load: loadAvg()}
	dCPU, dChecks, dRenders, d0, d1 := dw.window(skip-1, skip-1+cycles)
	lCPU, lChecks, lRenders, _, _ := lw.window(skip-1, skip-1+cycles)
	res.deciderPer, res.localPer = ticksMS(dCPU)/float64(dChecks), ticksMS(lCPU)/float64(lChecks)
	res.deciderUser, res.deciderSys = ticksMS(cpuTime{user: dCPU.user}), ticksMS(cpuTime{system: dCPU.system})
	res.deciderChecks, res.renders = dChecks, [2]int{dRenders, lRenders}
	var perCycle []float64
	var agentTotal float64
	dw.mu.Lock()
	for i := range agents {
		ms := ticksMS(dw.marks[skip-1+cycles].others[i]) - ticksMS(dw.marks[skip-1].others[i])
		agentTotal += ms
		perCycle = append(perCycle, ms*float64(interval)/float64(d1.Sub(d0)))
	}
	res.agentPerCycle = median(perCycle)
	var took []float64
	for _, m := range dw.marks[skip : skip+cycles] {
		took = append(took, m.took.Seconds())
	}
	res.cycleTook = median(took)
	dw.mu.Unlock()
	res.agentPerCheck = agentTotal / float64(dChecks)

	// One agent asked for every service at once, max_parallel in flight,
	// as a decider whose services all fall due together would.
	res.burstWall, res.burstCPU, res.burstOK = burst(agents[0], agentScheme+"://"+ports[0], client, n, 64, interval*4/5)

	// The outage: from now on the failing services answer 503 to every
	// location; threshold 2 confirms it in the second failing cycle.
	now := time.Now().UnixNano()
	dt.failFrom.Store(now)
	lt.failFrom.Store(now)
	for end := time.Now().Add(3*interval + 3*time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		dt.mu.Lock()
		lt.mu.Lock()
		done := len(dt.alerts) == len(dt.failing) && len(lt.alerts) == len(lt.failing)
		lt.mu.Unlock()
		dt.mu.Unlock()
		if done {
			break
		}
	}
	gap := interval / 3
	res.lat, res.missing = dt.latencies(quorum, 2, gap)
	res.localLat, res.localMissing = lt.latencies(1, 2, gap)
	return res
}

// agentHTTPClient asks the agents as the decider does: keep-alive, up to
// 64 connections, trusting the harness's CA.
func agentHTTPClient(caFile string) *http.Client {
	pool := x509.NewCertPool()
	b, err := os.ReadFile(caFile)
	if err != nil {
		fatal(err)
	}
	pool.AppendCertsFromPEM(b)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = pool
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: tr}
}

func waitHealthy(p *proc, base string, hc *http.Client) {
	for give := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := hc.Get(base + agent.HealthzPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if !p.alive() || time.Now().After(give) {
			fatal(fmt.Errorf("the %s does not answer on %s: %v\n%s", p.name, base, err, p.logs.String()))
		}
	}
}

// burst asks one agent for n checks, parallel at a time, within deadline:
// the wall time, the agent's CPU for them, and how many were answered.
func burst(p *proc, base string, hc *http.Client, n, parallel int, deadline time.Duration) (wallMS, cpuMS float64, ok int) {
	c := &agent.Client{Location: "loc-1", BaseURL: base, Token: locToken, HTTP: hc}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var answered atomic.Int64
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	cpu0, t0 := cpuTicks(p.cmd.Process.Pid), time.Now()
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := c.Check(ctx, svcName(i)); err == nil {
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	wall := time.Since(t0)
	return float64(wall.Microseconds()) / 1000, ticksMS(cpuTicks(p.cmd.Process.Pid)) - ticksMS(cpu0), int(answered.Load())
}

// writeAgentTLS writes the targets' certificate (chain included) and key
// for the agents' --tls-cert and --tls-key.
func writeAgentTLS(dir string) (certFile, keyFile string) {
	var chain []byte
	for _, der := range tlsCert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(tlsCert.PrivateKey)
	if err != nil {
		fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "agent.pem"), filepath.Join(dir, "agent-key.pem")
	if err := os.WriteFile(certFile, chain, 0o644); err != nil {
		fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
		fatal(err)
	}
	return certFile, keyFile
}

// loadAvg is the 1-minute load average, as uptime shows it.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// locationRows runs the locations run runs times per agent scheme and
// reports each figure's median, the runs' values beside it.
func locationRows(bin, caFile string, schemes []string, locations, quorum, n int, interval time.Duration, cycles, runs int) []row {
	var rows []row
	for _, s := range schemes {
		if s != "http" && s != "https" {
			fatal(fmt.Errorf("-location-schemes: %q is neither http nor https", s))
		}
		var rs []locResult
		for range runs {
			rs = append(rs, locationsRun(bin, s, caFile, locations, quorum, n, interval, cycles))
		}
		rows = append(rows, locSummary(rs, locations, quorum, n, interval, cycles)...)
	}
	return rows
}

// locSummary turns one scheme's runs into rows: medians, each run's value
// and load average in brackets.
func locSummary(rs []locResult, locations, quorum, n int, interval time.Duration, cycles int) []row {
	if len(rs) == 0 {
		return nil
	}
	s := rs[0].scheme
	pick := func(f func(locResult) float64) (float64, []float64) {
		var v []float64
		for _, r := range rs {
			v = append(v, f(r))
		}
		return median(slices.Clone(v)), v
	}
	runs := func(format string, v []float64) string {
		var parts []string
		for i, x := range v {
			parts = append(parts, fmt.Sprintf(format+" @ load %s", x, rs[i].load))
		}
		return strings.Join(parts, "; ")
	}
	ratio, ratios := pick(locResult.ratio)
	dPer, _ := pick(func(r locResult) float64 { return r.deciderPer })
	lPer, _ := pick(func(r locResult) float64 { return r.localPer })
	aCheck, _ := pick(func(r locResult) float64 { return r.agentPerCheck })
	aCycle, _ := pick(func(r locResult) float64 { return r.agentPerCycle })
	took, _ := pick(func(r locResult) float64 { return r.cycleTook })
	bWall, bWalls := pick(func(r locResult) float64 { return r.burstWall })
	bCPU, _ := pick(func(r locResult) float64 { return r.burstCPU })
	var lat, localLat []float64
	missing, localMissing, bFailed := 0, 0, 0
	for _, r := range rs {
		lat = append(lat, r.lat...)
		localLat = append(localLat, r.localLat...)
		missing += r.missing
		localMissing += r.localMissing
		bFailed += n - r.burstOK
	}
	failing := len(newLocTarget(n).failing) * len(rs)
	var rr []string
	for _, r := range rs {
		rr = append(rr, fmt.Sprintf("%d/%d", r.renders[0], r.renders[1]))
	}
	renders := strings.Join(rr, ", ")
	how := fmt.Sprintf("statusgen-load -locations %d: agents over %s, quorum %d, %d https services, %v interval, %d cycles from each runner's second render; median of %d runs",
		locations, s, quorum, n, interval, cycles, len(rs))
	return []row{
		{fmt.Sprintf("%d locations, agents over %s: decider CPU per service per location ≤ 1.2 × a local check's", locations, s),
			fmt.Sprintf("%.2f × (%.3f ms ÷ %.3f ms) [%s; renders in the windows: %s]", ratio, dPer, lPer, runs("%.2f", ratios), renders),
			how + "; /proc/<pid>/stat utime+stime of each `run` ÷ checks its target served", ratio <= 1.2, false},
		{fmt.Sprintf("%d locations, agents over %s: an agent's CPU", locations, s),
			fmt.Sprintf("%.3f ms per check, %.0f ms per cycle of %d checks; the decider's cycle took %.2f s", aCheck, aCycle, n, took),
			how + "; /proc/<pid>/stat of each agent over the decider's window; the decider's `cycle done` took=", true, true},
		{fmt.Sprintf("agents over %s: one agent answers %d checks at once (64 in flight) < the check deadline %v", s, n, interval*4/5),
			fmt.Sprintf("%.0f ms wall, %.0f ms of the agent's CPU, %d of %d unanswered [%s]", bWall, bCPU, bFailed, n*len(rs), runs("%.0f ms", bWalls)),
			"statusgen-load: agent.Client as the decider asks, while the runners run", bFailed == 0 && bWall < float64((interval*4/5).Milliseconds()), false},
		{fmt.Sprintf("%d locations, agents over %s: DOWN leaves < 1 s after the confirming cycle", locations, s),
			fmt.Sprintf("median %.0f ms, max %.0f ms, %d of %d alerts missing", median(slices.Clone(lat)), maxOf(lat), missing, failing),
			"Slack stand-in's receipt − the target's last answer in the second cycle that a quorum found down, threshold 2", missing == 0 && maxOf(lat) < 1000, false},
		{"the same, one location (the local runner beside it)",
			fmt.Sprintf("median %.0f ms, max %.0f ms, %d of %d alerts missing", median(slices.Clone(localLat)), maxOf(localLat), localMissing, failing),
			"as above, threshold 2, quorum 1", true, true},
	}
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// serverTLS is the targets' TLS: Go's TLS 1.3 server, session tickets on,
// HTTP/2 offered, as a default net/http server in production would be.
func serverTLS() *tls.Config { return &tls.Config{Certificates: []tls.Certificate{tlsCert}} }
