package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/realserver"
	"github.com/Sefaria/statusgen/internal/uptime"
)

const agentToken = "agent-token-for-tests-0123456789"

// agentConfig has two locations and one service per path of target.
func agentConfig(target string) string {
	return fmt.Sprintf(`[settings]
interval = "10s"
retries = 1

[[service]]
name = "Web"
url = "%[1]s/web?key=query-secret-42"
headers = { "X-Api-Key" = "${API_KEY}" }

[[service]]
name = "Linker"
url = "%[1]s/linker"

[[location]]
name = "eu-west"

[[location]]
name = "us-east"
`, target)
}

// The agent refuses to start, with exit 2 and a message naming the
// problem, when it could not authenticate or serve as asked.
func TestAgentRefusesToStart(t *testing.T) {
	w := newWorkspace(t, agentConfig("http://127.0.0.1:1"))
	good := map[string]string{AgentTokenEnv: agentToken, "API_KEY": "k"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no token", map[string]string{"API_KEY": "k"}, []string{"--listen", "127.0.0.1:0", "--location", "eu-west"},
			"statusgen agent: STATUSGEN_AGENT_TOKEN is not set: an agent answers only callers that send it as a bearer token"},
		{"short token", map[string]string{AgentTokenEnv: "short-token", "API_KEY": "k"}, []string{"--listen", "127.0.0.1:0", "--location", "eu-west"},
			"statusgen agent: STATUSGEN_AGENT_TOKEN must be at least 16 characters"},
		{"no listen", good, []string{"--location", "eu-west"}, "statusgen agent: --listen and --location are required"},
		{"no location", good, []string{"--listen", "127.0.0.1:0"}, "statusgen agent: --listen and --location are required"},
		{"bad listen", good, []string{"--listen", "localhost", "--location", "eu-west"}, `statusgen agent: --listen must be a host:port like "127.0.0.1:9464", got "localhost"`},
		{"unknown location", good, []string{"--listen", "127.0.0.1:0", "--location", "mars"},
			`statusgen agent: --location "mars" is not a [[location]] in ` + w.config + " (configured: eu-west, us-east)"},
		{"cert without key", good, []string{"--listen", "127.0.0.1:0", "--location", "eu-west", "--tls-cert", "c.pem"},
			"statusgen agent: --tls-cert and --tls-key go together"},
		{"missing cert", good, []string{"--listen", "127.0.0.1:0", "--location", "eu-west", "--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"},
			"statusgen agent: --tls-cert and --tls-key: open /nonexistent/c.pem: no such file or directory"},
		{"unexpected argument", good, []string{"--listen", "127.0.0.1:0", "--location", "eu-west", "extra"}, `statusgen agent: unexpected argument "extra"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := w.run(t, tc.env, append([]string{"agent"}, tc.args...)...)
			if code != ExitUsage {
				t.Errorf("exit = %d, want %d; stderr:\n%s", code, ExitUsage, stderr)
			}
			if !strings.HasPrefix(stderr, tc.want) {
				t.Errorf("stderr = %q, want it to start %q", stderr, tc.want)
			}
			if stdout != "" || strings.Contains(stderr, agentToken) || strings.Contains(stderr, "short-token") {
				t.Errorf("stdout %q, stderr %q: want nothing on stdout and no token anywhere", stdout, stderr)
			}
		})
	}
}

// switchable is a local service whose paths answer 200 while up and 503
// while down.
type switchable struct {
	*httptest.Server
	down atomic.Bool
	keys sync.Map // X-Api-Key values seen
}

func newSwitchable(t *testing.T) *switchable {
	s := &switchable{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.keys.Store(r.Header.Get("X-Api-Key"), true)
		if s.down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s
}

// buildStatusgen builds the binary into the test's folder.
func buildStatusgen(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "statusgen")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/statusgen").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The real binary, started as `statusgen agent` over plain HTTP and over
// TLS, answers checks and /probe to a caller with the token, and nothing
// to others; its log holds neither the token nor a secret.
func TestAgentBinaryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildStatusgen(t)
	target := newSwitchable(t)
	w := newWorkspace(t, agentConfig(target.URL))
	cert, key, pool := selfSigned(t)
	for _, tc := range []struct {
		name   string
		tls    bool
		scheme string
	}{
		{"http", false, "http"},
		{"https", true, "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fmt.Sprintf("127.0.0.1:%d", realserver.FreePort(t, "127.0.0.1"))
			args := []string{"agent", "--config", w.config, "--listen", addr, "--location", "us-east"}
			client := &http.Client{Timeout: 15 * time.Second}
			if tc.tls {
				args = append(args, "--tls-cert", cert, "--tls-key", key)
				client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = []string{AgentTokenEnv + "=" + agentToken, "API_KEY=header-secret-7", "PATH=" + os.Getenv("PATH"), "DEBUG=true"}
			logs := &realserver.SyncBuffer{}
			cmd.Stderr = logs
			startAgent(t, cmd, addr)
			base := tc.scheme + "://" + addr

			ask := func(t *testing.T, path, token string) (int, string) {
				t.Helper()
				req, _ := http.NewRequest(http.MethodGet, base+path, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			check := func(t *testing.T, service string) uptime.Result {
				t.Helper()
				code, body := ask(t, "/check?service="+url.QueryEscape(service), agentToken)
				if code != http.StatusOK {
					t.Fatalf("check %s = %d %s, want 200", service, code, body)
				}
				r, ok := history.DecodeLine([]byte(strings.TrimSpace(body)))
				if !ok {
					t.Fatalf("check %s answered %q, not a check line", service, body)
				}
				return r
			}

			target.down.Store(false)
			if r := check(t, "Web"); r.Status != uptime.Up || r.Code != 200 || r.Location != "us-east" || r.Service != "Web" {
				t.Errorf("Web while up = %+v, want up 200 from us-east", r)
			}
			if _, sent := target.keys.Load("header-secret-7"); !sent {
				t.Error("the check did not send the configured header: the agent did not run the service's full check")
			}
			target.down.Store(true)
			if r := check(t, "Linker"); r.Status != uptime.Down || r.Code != 503 || r.Error != uptime.ErrStatus || r.Location != "us-east" {
				t.Errorf("Linker while down = %+v, want down 503 status from us-east", r)
			}

			for _, bad := range []struct{ name, token, path string }{
				{"no token", "", "/check?service=Web"},
				{"bad token", "agent-token-for-tests-0123456780", "/check?service=Web"},
				{"no token, probe", "", "/probe?target=" + url.QueryEscape(target.URL+"/linker")},
			} {
				if code, body := ask(t, bad.path, bad.token); code != http.StatusUnauthorized || body != `{"error":"unauthorized"}`+"\n" {
					t.Errorf("%s: %d %q, want a bare 401", bad.name, code, body)
				}
			}
			if code, body := ask(t, "/check?service=Nope", agentToken); code != http.StatusNotFound ||
				!strings.Contains(body, `"error":"no service named \"Nope\" in this agent's configuration"`) {
				t.Errorf("unknown service: %d %s, want 404 naming it", code, body)
			}
			if code, body := ask(t, "/probe?target="+url.QueryEscape("http://169.254.169.254/latest/meta-data/"), agentToken); code != http.StatusBadRequest {
				t.Errorf("probe of an unconfigured target: %d %s, want 400", code, body)
			}

			for _, st := range []struct {
				down    bool
				success float64
				code    float64
			}{{false, 1, 200}, {true, 0, 503}} {
				target.down.Store(st.down)
				code, body := ask(t, "/probe?module=http_2xx&target="+url.QueryEscape(target.URL+"/web?key=query-secret-42"), agentToken)
				if code != http.StatusOK {
					t.Fatalf("probe = %d %s, want 200", code, body)
				}
				p := expfmt.NewTextParser(model.UTF8Validation)
				fams, err := p.TextToMetricFamilies(strings.NewReader(body))
				if err != nil {
					t.Fatalf("probe answer does not parse: %v\n%s", err, body)
				}
				for name, want := range map[string]float64{"probe_success": st.success, "probe_http_status_code": st.code} {
					if f := fams[name]; f == nil || len(f.Metric) != 1 || f.Metric[0].GetGauge().GetValue() != want {
						t.Errorf("down=%v: %s = %v, want %v", st.down, name, f, want)
					}
				}
				if fams["probe_duration_seconds"] == nil {
					t.Errorf("no probe_duration_seconds in:\n%s", body)
				}
			}

			out := logs.String()
			if !strings.Contains(out, "agent listening") || !strings.Contains(out, "url="+tc.scheme+"://"+addr) {
				t.Errorf("the log does not say where the agent listens:\n%s", out)
			}
			for _, secret := range []string{agentToken, "header-secret-7", "query-secret-42"} {
				if strings.Contains(out, secret) {
					t.Errorf("the agent's log holds %q:\n%s", secret, out)
				}
			}
		})
	}
}

// startAgent starts cmd and waits until addr accepts connections; at the
// end of the test, unless it was stopped, it must exit 0 on SIGINT.
func startAgent(t *testing.T, cmd *exec.Cmd, addr string) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
			return // stopped by the test
		default:
		}
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Error("the agent did not stop within 10 s of SIGINT")
		}
		if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() != ExitOK {
			t.Errorf("the agent exited %v after SIGINT, want 0", cmd.ProcessState)
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("the agent exited at start: %v", cmd.ProcessState)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent is not listening on %s after 15 s", addr)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "statusgen agent test"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "agent.crt"), filepath.Join(dir, "agent.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
