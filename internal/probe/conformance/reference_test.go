package conformance

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// reference is what another client found asked the same as statusgen.
type reference struct {
	Up   bool   // the status expected and the body assertions held
	What string // what it found, for messages
	// Gunzipped: net/http decompressed the answer. Encoding: curl's
	// Content-Encoding, which it does not decompress unasked.
	Gunzipped bool
	Encoding  string
}

// netHTTPReference is net/http's default client asked for svc over rt:
// net/http's redirect policy (unless follow_redirects is off, as any Go
// caller would set), no cap on the body, svc.Timeout as the client's.
func netHTTPReference(ctx context.Context, svc uptime.Service, rt http.RoundTripper) reference {
	client := &http.Client{Transport: rt, Timeout: svc.Timeout}
	if !svc.FollowRedirects {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	var body io.Reader
	if svc.Body != "" {
		body = strings.NewReader(svc.Body)
	}
	req, err := http.NewRequestWithContext(ctx, cmp.Or(svc.Method, http.MethodGet), svc.URL, body)
	if err != nil {
		return reference{What: err.Error()}
	}
	for _, h := range svc.Headers {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Set(h.Name, h.Value)
	}
	resp, err := client.Do(req)
	if err != nil {
		return reference{What: err.Error()}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ref := reference{Gunzipped: resp.Uncompressed}
	if err != nil {
		ref.What = fmt.Sprintf("HTTP %d, body: %v", resp.StatusCode, err)
		return ref
	}
	ref.Up, ref.What = judge(svc, resp.StatusCode, b)
	return ref
}

// netHTTPTransport is net/http's default transport trusting the test's
// roots and resolving as w does, with no proxy: the worlds outside the
// network namespace reach their servers directly, as statusgen does there.
func (w *world) netHTTPTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.TLSClientConfig = &tls.Config{RootCAs: w.pki.roots}
	if w.dial != nil {
		tr.DialContext = w.dial
	}
	return tr
}

// judge applies svc's expected status and body assertions as a user
// reading the whole answer would.
func judge(svc uptime.Service, code int, body []byte) (bool, string) {
	what := fmt.Sprintf("HTTP %d, %d bytes", code, len(body))
	ok := code >= 200 && code < 300
	if len(svc.ExpectedStatus) > 0 {
		ok = slices.Contains(svc.ExpectedStatus, code)
	}
	if !ok {
		return false, what
	}
	if svc.ExpectBody != "" && !bytes.Contains(body, []byte(svc.ExpectBody)) {
		return false, fmt.Sprintf("%s without %q", what, svc.ExpectBody)
	}
	if len(svc.ExpectJSON) > 0 {
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			return false, fmt.Sprintf("%s, not a JSON object: %v", what, err)
		}
		for k, want := range svc.ExpectJSON {
			g, _ := json.Marshal(got[k])
			w, _ := json.Marshal(want)
			if !bytes.Equal(g, w) {
				return false, fmt.Sprintf("%s, JSON %s = %s, want %s", what, k, g, w)
			}
		}
	}
	return true, what
}

// curlReference runs curl for svc: cmd is curl, or curl inside a network
// namespace, args curl's options for the world (route, roots, names).
func curlReference(ctx context.Context, t *testing.T, svc uptime.Service, cmd *exec.Cmd, args []string, bodyFile string) reference {
	t.Helper()
	args = append(args, "-sS", "-g", "--max-time", fmt.Sprint(svc.Timeout.Seconds()),
		"-o", bodyFile, "-w", "%{http_code} %header{content-encoding}")
	if svc.FollowRedirects {
		args = append(args, "-L", "--max-redirs", "10")
	}
	switch method := cmp.Or(svc.Method, http.MethodGet); method {
	case http.MethodGet:
	case http.MethodHead:
		args = append(args, "-I") // -X HEAD would wait for a body
	default:
		args = append(args, "-X", method)
	}
	if svc.Body != "" {
		args = append(args, "--data-binary", svc.Body)
	}
	for _, h := range svc.Headers {
		args = append(args, "-H", h.Name+": "+h.Value)
	}
	run := exec.CommandContext(ctx, cmd.Path, append(cmd.Args[1:], append(args, svc.URL)...)...)
	run.Env = cmd.Env
	var stderr bytes.Buffer
	run.Stderr = &stderr
	out, err := run.Output()
	if err != nil {
		return reference{What: fmt.Sprintf("curl: %v: %s", err, strings.TrimSpace(stderr.String()))}
	}
	var code int
	var enc string
	fmt.Sscanf(string(out), "%d %s", &code, &enc)
	var body []byte
	if svc.Method != http.MethodHead { // -I writes the headers to the file
		body, err = os.ReadFile(bodyFile)
		if err != nil && !os.IsNotExist(err) { // no file: an empty body
			t.Fatal(err)
		}
	}
	ref := reference{Encoding: enc}
	ref.Up, ref.What = judge(svc, code, body)
	return ref
}

var curlMissing sync.Once

// curlPath is curl's path; without it the verdicts are compared with
// net/http's only, which a CI run does not accept.
func curlPath(t *testing.T) (string, bool) {
	path, err := exec.LookPath("curl")
	if err == nil {
		return path, true
	}
	if onCI() {
		t.Fatal("curl is not installed: .ci/run installs it (apt-get install curl)")
	}
	curlMissing.Do(func() {
		t.Log("curl is not installed (apt-get install curl): verdicts are compared with net/http's only")
	})
	return "", false
}
