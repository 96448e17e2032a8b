// Command statusgen-load measures statusgen against its performance
// targets on this machine and prints one table: it starts local target
// servers (this process) and, side by side, one `statusgen run` process
// with N https services and one with N http services (-schemes), https
// first, each figure next to its twin and their ratio after, each runner
// starting with -history-days past days of rollups for its services in
// its data folder, as a runner that has run that long has (seed.go); it
// samples each runner's CPU from /proc/<pid>/stat and RSS from
// /proc/<pid>/status, makes some services fail to time their Slack alerts,
// then, with -locations N, runs N `statusgen agent`s and a deciding
// `statusgen run` that asks them beside a single-location one
// (locations.go), then runs the Go benchmarks (medians of -count runs),
// and finally rebuilds the rollups of a full-size history in a temporary
// folder.
//
// Everything any of them writes stays in one scratch folder that is
// deleted at the very end. On ext4 without a journal (this project's CI
// VM), the inode allocator passes over inodes freed in the last minute or
// more, so creating files just after tens of thousands were deleted costs
// many times the usual kernel CPU; deleting between the measurements made
// each one pay for the one before.
//
//	go run ./cmd/statusgen-load -bin bin/statusgen [-services 10000 -interval 60s -cycles 2 -schemes https,http -history-days 90] [-locations 3]
package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/uptime"
)

func main() {
	bin := flag.String("bin", "bin/statusgen", "the statusgen binary to measure")
	services := flag.Int("services", 10000, "services for the runner")
	interval := flag.Duration("interval", time.Minute, "the runner's interval")
	cycles := flag.Int("cycles", 2, "steady-state render periods measured after the second render")
	schemes := flag.String("schemes", "https,http", "the schemes of the services, one runner each, run side by side; the first is the one the targets are for")
	count := flag.Int("count", 5, "runs of each Go benchmark (the median is shown)")
	rebuild := flag.Bool("rebuild", true, "rebuild 60 days × 100 services of rollups (8.6 M lines)")
	benches := flag.Bool("bench", true, "run the Go benchmarks")
	flag.StringVar(&runnerLog, "runner-log", "", "also write the runner's output to this file (with GODEBUG=gctrace=1, say)")
	loadRun := flag.Bool("load", true, "run the single-location load runs (-services, -schemes)")
	locations := flag.Int("locations", 0, "agents of the locations run (a deciding run asking them, a local run beside it); 0: none")
	locQuorum := flag.Int("location-quorum", 2, "the locations run's quorum")
	locServices := flag.Int("location-services", 1000, "https services of the locations run")
	locInterval := flag.Duration("location-interval", 10*time.Second, "the locations run's interval")
	locCycles := flag.Int("location-cycles", 3, "cycles measured in each locations run, after each runner's second render")
	locSchemes := flag.String("location-schemes", "https,http", "how the agents listen, one locations run each, in turn")
	locRuns := flag.Int("location-runs", 3, "locations runs per agent scheme (each figure is their median)")
	historyDays := flag.Int("history-days", 90, "past days of rollups written into each load run's data folder before its runner starts, for every service; 0: an empty data folder")
	flag.Parse()
	var err error
	if scratch, err = os.MkdirTemp("", "statusgen-load-"); err != nil {
		fatal(err)
	}
	ca := writeTLSMaterial()
	var load []row
	if *loadRun {
		load = loadRuns(*bin, ca, strings.Split(*schemes, ","), *services, *interval, *cycles, *historyDays)
	}
	if *locations > 0 {
		load = append(load, locationRows(*bin, ca, strings.Split(*locSchemes, ","), *locations, *locQuorum,
			*locServices, *locInterval, *locCycles, max(*locRuns, 1))...)
	}
	var rows []row
	if *benches {
		rows = append(rows, goBenchmarks(*count)...)
	}
	rows = append(rows, load...)
	if *rebuild {
		rows = append(rows, rebuildRun())
	}
	os.RemoveAll(scratch)
	printTable(os.Stdout, rows)
	for _, r := range rows {
		if !r.pass && !r.info {
			os.Exit(1)
		}
	}
}

// runnerLog is where the runner's output is copied, if anywhere.
var runnerLog string

// scratch holds every file the measurements write, until the end.
var scratch string

// scratchDir is a new folder in scratch.
func scratchDir(pattern string) string {
	dir, err := os.MkdirTemp(scratch, pattern)
	if err != nil {
		fatal(err)
	}
	return dir
}

type row struct {
	target, measured, how string
	pass                  bool
	info                  bool // a figure that explains others, with no target of its own
}

func printTable(w io.Writer, rows []row) {
	fmt.Fprintf(w, "\n| target | measured | pass | how |\n|---|---|---|---|\n")
	for _, r := range rows {
		ok := "PASS"
		switch {
		case r.info:
			ok = "—"
		case !r.pass:
			ok = "FAIL"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.target, r.measured, ok, r.how)
	}
}

// goBenchmarks runs the repository's benchmarks -count times and keeps
// each one's median ns/op.
func goBenchmarks(count int) []row {
	type bench struct {
		pkg, name, target string
		limit             time.Duration
		metric            string // the unit reported instead of ns/op, e.g. cpu-ms/op; informational
	}
	list := []bench{
		{"./internal/runner/", "BenchmarkCycle1000$", "one burst cycle, 1,000 services", time.Second, ""},
		{"./internal/site/", "BenchmarkRender100x90$/cold", "render 100 services × 90 days", 200 * time.Millisecond, ""},
		{"./internal/site/", "BenchmarkRender10000$/cold", "render 10,000 services", 5 * time.Second, ""},
		{"./internal/history/", "BenchmarkAppend10000$", "append a cycle of 10,000 lines", 20 * time.Millisecond, ""},
		{"./internal/runner/", "BenchmarkColdStart1000$", "cold start, 1,000 services (config + state)", 50 * time.Millisecond, ""},
		{"./internal/site/", "BenchmarkRender10000$/cycle", "CPU of one render in `run` at 10,000 services (1,000 pages on their turn)", 0, "cpu-ms/op"},
		// https first, its http twin from the same benchmark after it.
		{"./internal/probe/", "^BenchmarkHTTPSClientCPU$/^ecdsa$/^h1,x25519,resumed$", "client CPU of one https check, ECDSA leaf + intermediate, resumed (the default)", 0, "client-cpu-ns/op"},
		{"./internal/probe/", "^BenchmarkHTTPSClientCPU$/^ecdsa$/^h1,x25519,full$", "client CPU of one https check, ECDSA leaf + intermediate, full handshake (a new host, or daily)", 0, "client-cpu-ns/op"},
		{"./internal/probe/", "^BenchmarkHTTPSClientCPU$/^http$", "client CPU of the same check over plain http (the https twins' reference)", 0, "client-cpu-ns/op"},
	}
	var rows []row
	for _, b := range list {
		c := count
		if strings.Contains(b.name, "10000$") && strings.Contains(b.pkg, "site") {
			c = min(count, 3) // its setup alone takes a while
		}
		cmd := exec.Command("go", "test", "-run", "^$", "-bench", b.name, "-count", strconv.Itoa(c), b.pkg)
		// The benchmarks' folders go to scratch and stay there (see the
		// package comment); the site benchmarks keep theirs past the end
		// of the test binary when asked to.
		cmd.Env = append(os.Environ(), "TMPDIR="+scratchDir("bench-"), "STATUSGEN_BENCH_KEEP=1")
		out, err := cmd.CombinedOutput()
		var ns []float64
		unit := "ns/op"
		if b.metric != "" {
			unit = b.metric
		}
		re := regexp.MustCompile(`\s([0-9.]+) ` + regexp.QuoteMeta(unit))
		for _, m := range re.FindAllSubmatch(out, -1) {
			v, _ := strconv.ParseFloat(string(m[1]), 64)
			ns = append(ns, v)
		}
		if err != nil || len(ns) == 0 {
			rows = append(rows, row{target: b.target + " < " + b.limit.String(), measured: "error: " + firstLine(out), how: b.pkg + " " + b.name})
			continue
		}
		if b.metric != "" {
			rows = append(rows, row{target: b.target, measured: fmt.Sprintf("%.0f %s", median(ns), strings.TrimSuffix(unit, "/op")),
				how: fmt.Sprintf("go test -bench '%s' %s, median of %d", b.name, b.pkg, len(ns)), info: true})
			continue
		}
		med := time.Duration(median(ns))
		rows = append(rows, row{b.target + " < " + b.limit.String(), fmt.Sprintf("%.1f ms", float64(med)/1e6),
			fmt.Sprintf("go test -bench '%s' %s, median of %d", b.name, b.pkg, len(ns)), med < b.limit, false})
	}
	return rows
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// target is the local server every service checks, and the fake Slack.
type target struct {
	checks   atomic.Int64
	resumed  atomic.Int64 // https checks whose TLS session was resumed
	perSvc   []atomic.Int32
	failFrom atomic.Int64 // Unix ns after which failing services answer 503; 0: never
	failing  map[int]bool

	mu        sync.Mutex
	confirmed map[string]time.Time // service → when its second failing check was served
	alerts    map[string]time.Time // service → when its DOWN reached Slack
}

func (t *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/slack" {
		body, _ := io.ReadAll(r.Body)
		now := time.Now()
		t.mu.Lock()
		for name := range t.confirmed {
			if _, seen := t.alerts[name]; !seen && bytes.Contains(body, []byte(name)) {
				t.alerts[name] = now
			}
		}
		t.mu.Unlock()
		io.WriteString(w, "ok")
		return
	}
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/s/"))
	if err != nil || i < 0 || i >= len(t.perSvc) {
		http.NotFound(w, r)
		return
	}
	t.checks.Add(1)
	t.perSvc[i].Add(1)
	if r.TLS != nil && r.TLS.DidResume {
		t.resumed.Add(1)
	}
	if from := t.failFrom.Load(); from != 0 && t.failing[i] && time.Now().UnixNano() >= from {
		t.mu.Lock()
		name := svcName(i)
		if c, ok := t.confirmed[name+"#1"]; !ok {
			t.confirmed[name+"#1"] = time.Now()
		} else if _, ok := t.confirmed[name]; !ok && !c.IsZero() {
			t.confirmed[name] = time.Now() // threshold 2: this check confirms the outage
		}
		t.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, `{"allReady": true}`)
}

func svcName(i int) string { return fmt.Sprintf("svc-%05d", i) }

// loadRuns runs one runner per scheme side by side, each against a target
// of its own in this process, and reports them in the order given (https
// first by default), every figure of one scheme next to its twin. Before
// they start, each runner's data folder gets historyDays past days of
// rollups (seed.go).
func loadRuns(bin, ca string, schemes []string, n int, interval time.Duration, cycles, historyDays int) []row {
	if historyDays < 0 {
		fatal(fmt.Errorf("-history-days: %d is negative", historyDays))
	}
	for _, s := range schemes {
		if s != "http" && s != "https" {
			fatal(fmt.Errorf("-schemes: %q is neither http nor https", s))
		}
	}
	dirs := make([]string, len(schemes))
	dataDirs := make([]string, len(schemes))
	for i, s := range schemes {
		dirs[i] = scratchDir("run-" + s + "-")
		dataDirs[i] = filepath.Join(dirs[i], "data")
	}
	names := make([]string, n)
	for i := range names {
		names[i] = svcName(i)
	}
	seeded, err := seedHistory(dataDirs, names, historyDays, time.Now())
	if err != nil {
		fatal(err)
	}
	debug.FreeOSMemory() // the days built to write them: not this process's to keep beside the runners
	results := make([]loadResult, len(schemes))
	var wg sync.WaitGroup
	for i, s := range schemes {
		wg.Go(func() { results[i] = loadRun(bin, s, ca, dirs[i], n, interval, cycles, historyDays) })
	}
	wg.Wait()
	var rows []row
	if historyDays > 0 {
		rows = append(rows, row{target: "history in each runner's data folder before it starts", measured: seeded.String(),
			how: fmt.Sprintf("statusgen-load -history-days %d: rollups/ of the %d days before today (UTC), as a runner checking every %v leaves them; written in %v, shared by hard links",
				historyDays, historyDays, seedCadence, seeded.took.Round(time.Millisecond)), info: true})
	} else {
		rows = append(rows, row{target: "history in each runner's data folder before it starts", measured: "none (an empty data folder)",
			how: "statusgen-load -history-days 0", info: true})
	}
	for _, r := range results {
		rows = append(rows, r.rows()...)
	}
	var https, http *loadResult
	for i := range results {
		switch results[i].scheme {
		case "https":
			https = &results[i]
		case "http":
			http = &results[i]
		}
	}
	if https != nil && http != nil {
		ratio := https.perCheck / http.perCheck
		rows = append(rows, row{fmt.Sprintf("%d services: https CPU per check ≤ 1.8 × http, same target, same run", n),
			fmt.Sprintf("%.2f × (%.3f ms ÷ %.3f ms)", ratio, https.perCheck, http.perCheck),
			"the two runners above, side by side", ratio <= 1.8, false})
	}
	return rows
}

// tlsCert is what the targets' TLS listeners present; writeTLSMaterial
// makes it.
var tlsCert tls.Certificate

// writeTLSMaterial makes a CA and an ECDSA P-256 leaf for 127.0.0.1 signed
// by it, as public CAs issue (the leaf, then the CA's certificate), and
// writes the CA's certificate to scratch for the runners' SSL_CERT_FILE.
func writeTLSMaterial() (caFile string) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "statusgen-load CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		fatal(err)
	}
	tlsCert = tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey}
	caFile = filepath.Join(scratchDir("tls-"), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		fatal(err)
	}
	return caFile
}

// loadResult is one runner's steady state.
type loadResult struct {
	scheme               string
	n                    int
	perCheck, rate, core float64 // ms per check, checks/s, % of a core
	userMS, systemMS     float64
	rssMedian, rssPeak   float64
	everyCycle           bool
	lat50, latMax        float64
	missing, failing     int
	checks, resumed      int64
	how                  string
	gcs                  int     // collections in the window
	gcShare              float64 // % of the window's CPU the collector took
}

func (r loadResult) rows() []row {
	s := r.scheme
	res := ""
	if s == "https" {
		res = fmt.Sprintf("; %.1f%% of handshakes resumed", 100*float64(r.resumed)/max(float64(r.checks), 1))
	}
	return []row{
		{fmt.Sprintf("%s, %d services: CPU per check", s, r.n), fmt.Sprintf("%.3f ms (%.0f checks/s; user %.1f s, system %.1f s%s)", r.perCheck, r.rate, r.userMS/1000, r.systemMS/1000, res), r.how + "/stat utime+stime ÷ checks served", true, true},
		{fmt.Sprintf("%s, %d services: CPU < 10%% of a core", s, r.n), fmt.Sprintf("%.1f%%", r.core), r.how + "/stat utime+stime ÷ wall time", r.core < 10, false},
		{fmt.Sprintf("%s, %d services: RSS < 150 MB", s, r.n), fmt.Sprintf("median %.0f MB, peak %.0f MB", r.rssMedian, r.rssPeak), r.how + "/status VmRSS every 0.5 s, VmHWM", r.rssPeak < 150, false},
		{fmt.Sprintf("%s, %d services: garbage collection's share of the CPU", s, r.n), fmt.Sprintf("%.1f%% (%d collections)", r.gcShare, r.gcs), "the runner's GODEBUG=gctrace=1 lines in the window: their ms cpu ÷ its CPU", true, true},
		{s + ": every service checked every cycle, the first included", fmt.Sprintf("%v", r.everyCycle), "target's per-service request counts", r.everyCycle, false},
		{s + ": DOWN alert leaves < 1 s after the confirming check", fmt.Sprintf("median %.0f ms, max %.0f ms, %d of %d alerts missing", r.lat50, r.latMax, r.missing, r.failing), "fake Slack receipt − target's 2nd failing answer, threshold 2", r.missing == 0 && r.latMax < 1000, false},
	}
}

// loadRun starts a runner in dir whose services all use scheme against a
// target of its own and measures its steady state.
func loadRun(bin, scheme, caFile, dir string, n int, interval time.Duration, cycles, historyDays int) loadResult {
	t := &target{perSvc: make([]atomic.Int32, n), failing: map[int]bool{}, confirmed: map[string]time.Time{}, alerts: map[string]time.Time{}}
	for i := 0; i < n; i += max(n/5, 1) {
		t.failing[i] = true // 5 services fail during the last interval (Slack takes one request a second)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	srv := &http.Server{Handler: t, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() // Slack's, and the services' over http
	svcBase := base
	if scheme == "https" {
		tln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fatal(err)
		}
		tsrv := &http.Server{Handler: t, ReadHeaderTimeout: 5 * time.Second, TLSConfig: serverTLS()}
		go tsrv.ServeTLS(tln, "", "")
		defer tsrv.Close()
		svcBase = "https://" + tln.Addr().String()
	}

	cfgPath := filepath.Join(dir, "services.toml")
	if err := os.WriteFile(cfgPath, []byte(loadConfig(svcBase, n, interval, historyDays)), 0o644); err != nil {
		fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", cfgPath, "--data", filepath.Join(dir, "data"), "--site", filepath.Join(dir, "site"))
	// The runner trusts the targets' CA the way Go on Linux finds system
	// roots: SSL_CERT_FILE (crypto/x509).
	cmd.Env = append(os.Environ(), "SLACK_WEBHOOK_URL="+base+"/slack", "SSL_CERT_FILE="+caFile)
	// gctrace: one line per collection on the runner's stderr, so the
	// table can say what share of its CPU the collector took.
	cmd.Env = append(cmd.Env, "GODEBUG="+strings.TrimPrefix(os.Getenv("GODEBUG")+",gctrace=1", ","))
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if runnerLog != "" {
		f, err := os.Create(runnerLog)
		if err != nil {
			fatal(err)
		}
		defer f.Close()
		w := io.MultiWriter(&logs, f) // one writer, so exec copies both streams in one goroutine
		cmd.Stdout, cmd.Stderr = w, w
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	pid := cmd.Process.Pid
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}()

	// The first interval: every service must be checked once in it.
	time.Sleep(interval + interval/20)
	firstAll := true
	for i := range t.perSvc {
		if t.perSvc[i].Load() < 1 {
			firstAll = false
			break
		}
	}
	// The first render writes every page of the site, once, and the
	// runner paces the next one by how long it took. Steady state is
	// measured from the end of the render after it to the end of the
	// cycles-th render after that, so the window holds whole render
	// periods (a site of 10,000 services is rendered every second cycle)
	// and exactly cycles renders. Each render in place renames a new
	// index over the old one.
	index := filepath.Join(dir, "site", "index.html")
	var last os.FileInfo
	rendered := func() bool {
		info, err := os.Stat(index)
		if err != nil || (last != nil && os.SameFile(info, last) && info.ModTime().Equal(last.ModTime())) {
			return false
		}
		last = info
		return true
	}
	waitRender := func() {
		for give := time.Now().Add(10 * interval); !rendered(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(give) {
				cmd.Process.Kill()
				fatal(fmt.Errorf("the runner rendered nothing within %v:\n%s", 10*interval, logs.String()))
			}
		}
	}
	waitRender()
	waitRender()
	// Steady state: cycles renders; 5 services fail from the start of the
	// last render period on.
	cpu0, checks0, resumed0, t0 := cpuTicks(pid), t.checks.Load(), t.resumed.Load(), time.Now()
	var rss []float64
	var peak float64
	for renders := 0; renders < cycles; {
		if t.failFrom.Load() == 0 && renders >= cycles-1 {
			t.failFrom.Store(time.Now().UnixNano())
		}
		time.Sleep(100 * time.Millisecond)
		if rendered() {
			renders++
		}
		if len(rss) < int(time.Since(t0)/(500*time.Millisecond)) {
			r, hwm := rssMB(pid)
			rss = append(rss, r)
			peak = max(peak, hwm)
		}
	}
	cpu1, checks1, resumed1, t1 := cpuTicks(pid), t.checks.Load(), t.resumed.Load(), time.Now()
	gcs, gcMS := gcWork(logs.String(), t0.Sub(started), t1.Sub(started))
	// Let the second failing check of every failing service land and
	// alert: it comes at most two intervals after the failing began, which
	// with a render every cycle is one interval before the window ended.
	time.Sleep(2*interval + 2*time.Second)

	select {
	case <-exited:
		fmt.Fprintf(os.Stderr, "statusgen-load: the runner exited early:\n%s\n", logs.String())
	default:
	}
	checks := float64(checks1 - checks0)
	userMS := float64(cpu1.user-cpu0.user) * 1000 / float64(clockTicks())
	systemMS := float64(cpu1.system-cpu0.system) * 1000 / float64(clockTicks())
	cpuMS := userMS + systemMS
	perCheck := cpuMS / checks
	rate := checks / t1.Sub(t0).Seconds()
	everyCycle := firstAll
	for i := range t.perSvc {
		// One check per service in the first cycle, which ends at the
		// first boundary, and one in every cycle since: at least one
		// per whole interval since the start.
		if got := int(t.perSvc[i].Load()); got < int(t1.Sub(started)/interval) {
			everyCycle = false
		}
	}
	var lat []float64
	t.mu.Lock()
	missing := 0
	for i := range t.failing {
		c, ok := t.confirmed[svcName(i)]
		if s, sent := t.alerts[svcName(i)]; ok && sent {
			lat = append(lat, float64(s.Sub(c).Milliseconds()))
		} else {
			missing++
		}
	}
	t.mu.Unlock()
	lat50, latMax := median(slices.Clone(lat)), 0.0
	for _, l := range lat {
		latMax = max(latMax, l)
	}
	how := fmt.Sprintf("statusgen-load: %s, %d services, %v interval, %d days of history, %d render periods (%.1f min) after the second render; /proc/<pid>", scheme, n, interval, historyDays, cycles, t1.Sub(t0).Minutes())
	return loadResult{
		scheme: scheme, n: n, perCheck: perCheck, rate: rate, core: cpuMS / t1.Sub(t0).Seconds() / 10,
		userMS: userMS, systemMS: systemMS, rssMedian: median(rss), rssPeak: peak, everyCycle: everyCycle,
		lat50: lat50, latMax: latMax, missing: missing, failing: len(t.failing),
		checks: checks1 - checks0, resumed: resumed1 - resumed0, how: how,
		gcs: gcs, gcShare: 100 * gcMS / cpuMS,
	}
}

// loadConfig is a load run's services.toml: n services svc-00000… at
// svcBase/s/<i>. incident_retention_days is the loader's window, today
// included, and how long rollups are kept: it covers the seeded days and
// one more, in case the run crosses midnight, and is never below the
// default, 365.
func loadConfig(svcBase string, n int, interval time.Duration, historyDays int) string {
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "[settings]\ntitle = \"Load\"\ninterval = \"%s\"\nretries = 1\nretry_delay = \"0s\"\nfailure_threshold = 2\nmax_parallel = 64\nincident_retention_days = %d\n\n[slack]\nchannel = \"load\"\n",
		interval, max(365, historyDays+2))
	for i := range n {
		fmt.Fprintf(&cfg, "\n[[service]]\nname = %q\nurl = \"%s/s/%d\"\ntimeout = \"%s\"\nexpect_json = { allReady = true }\n", svcName(i), svcBase, i, min(5*time.Second, interval/2))
	}
	return cfg.String()
}

// lockedBuffer collects the runner's output while the tool reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// gctraceLine is GODEBUG=gctrace=1's line: "gc 12 @3.456s 2%: 0.1+2.0+0.02
// ms clock, 0.2+0.5/1.8/3.0+0.04 ms cpu, ...". The CPU figures are sweep
// termination, mark assist/background/idle and mark termination.
var gctraceLine = regexp.MustCompile(`(?m)^gc \d+ @([0-9.]+)s \d+%(?: \(forced\))?: [^,]*, ([0-9.]+)\+([0-9.]+)/([0-9.]+)/([0-9.]+)\+([0-9.]+) ms cpu`)

// gcWork counts the collections that started between from and to (since
// the runner started) and the CPU they took, idle marking included: it
// runs on otherwise idle cores but is CPU the process is charged for.
func gcWork(trace string, from, to time.Duration) (n int, cpuMS float64) {
	for _, m := range gctraceLine.FindAllStringSubmatch(trace, -1) {
		at, _ := strconv.ParseFloat(m[1], 64)
		if d := time.Duration(at * float64(time.Second)); d < from || d >= to {
			continue
		}
		n++
		for _, f := range m[2:] {
			v, _ := strconv.ParseFloat(f, 64)
			cpuMS += v
		}
	}
	return n, cpuMS
}

// cpuTicks is the process's user and system CPU time so far, in ticks.
func cpuTicks(pid int) cpuTime {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuTime{}
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	s := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(s)
	ut, _ := strconv.ParseInt(f[11], 10, 64) // utime is field 14, i.e. index 11 after pid and comm
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return cpuTime{ut, st}
}

type cpuTime struct{ user, system int64 }

func clockTicks() int64 { return 100 } // USER_HZ on Linux

func rssMB(pid int) (rss, hwm float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch k {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

// rebuildRun writes 60 days × 100 services at 60 s of raw history into a
// temporary folder and times one RebuildRollups over it.
func rebuildRun() row {
	dir := scratchDir("rebuild-")
	s := history.New(dir)
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]uptime.Result, 0, 100*60)
	lines := 0
	for m := range 60 * 1440 {
		at := start.Add(time.Duration(m) * time.Minute)
		for i := range 100 {
			r := uptime.Result{Time: at, Service: fmt.Sprintf("service-%03d", i), Status: uptime.Up, Code: 200, MS: int64(50 + (m*7+i*13)%300), Attempts: 1}
			if (m+i*31)%997 == 0 {
				r.Status, r.Code, r.Error, r.Detail = uptime.Down, 503, uptime.ErrStatus, "HTTP 503"
			}
			batch = append(batch, r)
		}
		if len(batch) == cap(batch) {
			if err := s.Append(batch); err != nil {
				fatal(err)
			}
			lines += len(batch)
			batch = batch[:0]
		}
	}
	t0 := time.Now()
	st, err := history.New(dir).RebuildRollups(time.Minute)
	took := time.Since(t0)
	if err != nil {
		fatal(err)
	}
	return row{"rollup rebuild, 60 d × 100 services at 60 s < 10 s", fmt.Sprintf("%.1f s (%d lines)", took.Seconds(), st.Lines),
		"statusgen-load: history.RebuildRollups over generated files, one run", took < 10*time.Second && st.Lines == lines, false}
}

func fatal(err error) {
	killProcs()
	if scratch != "" {
		os.RemoveAll(scratch)
	}
	fmt.Fprintln(os.Stderr, "statusgen-load:", err)
	os.Exit(2)
}

var _ = json.Marshal
