package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// retryingSefaria answers each attempt of a check by its number: the first
// attempt meets the failure under test, every later one a service that
// does not answer in time (a Linker task that stays PENDING, a request
// held until the client leaves).
type retryingSefaria struct {
	mu      sync.Mutex
	submits int // Linker tasks submitted, task-1 first
	gets    int // plain checks
}

func newRetryingSefaria(t *testing.T, firstTask, firstGet func(w http.ResponseWriter)) *httptest.Server {
	f := &retryingSefaria{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/find-refs", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		f.mu.Lock()
		f.submits++
		k := f.submits
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"task_id": "task-%d"}`, k)
	})
	mux.HandleFunc("GET /api/async/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "task-1" {
			firstTask(w)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"task_id":%q,"state":"PENDING","ready":false}`, r.PathValue("id"))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.gets++
		k := f.gets
		f.mu.Unlock()
		if k == 1 {
			firstGet(w)
			return
		}
		<-r.Context().Done() // alive, but no answer before the check's deadline
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestOnceRecordsTheDecisiveAttempt: through the whole program, a check
// whose first attempt got a definite answer and whose retry the check's
// deadline cut short records and shows that answer, not a timeout. The
// numbers are the issue's: the retry's task stays PENDING through 2 of its
// 10 polls when the deadline stops it.
func TestOnceRecordsTheDecisiveAttempt(t *testing.T) {
	failure := func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"task_id":"task-1","state":"FAILURE","ready":true,"error":"worker lost"}`)
	}
	empty := func(w http.ResponseWriter) {
		fmt.Fprint(w, `{"task_id":"task-1","state":"SUCCESS","ready":true,"result":{"title":{"results":[],"refData":{}},"body":{"results":[],"refData":{}}}}`)
	}
	unavailable := func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }
	tests := []struct {
		name      string
		service   string // the [[service]] table; %[1]s is the server's URL
		firstTask func(w http.ResponseWriter)
		firstGet  func(w http.ResponseWriter)
		kind      string
		code      float64
		detail    string
		phrase    string // on the page
		notPhrase string // the timeout's phrase, which the page must not show
	}{
		{
			name: "Linker FAILURE", service: linkerTable, firstTask: failure,
			kind: "task_failed", code: 500, detail: "task FAILURE: worker lost",
			phrase: "Task failed", notPhrase: "Task did not finish in time",
		},
		{
			name: "Linker empty result", service: linkerTable, firstTask: empty,
			kind: "bad_result", code: 200, detail: "body.results holds no ref",
			phrase: "Not responding correctly", notPhrase: "Task did not finish in time",
		},
		{
			name: "HTTP 503", service: webTable, firstGet: unavailable,
			kind: "status", code: 503, detail: "HTTP 503 from GET",
			phrase: "Unexpected response (HTTP 503)", notPhrase: "Request timed out",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRetryingSefaria(t, tt.firstTask, tt.firstGet)
			w := newWorkspace(t, decisiveSettings+fmt.Sprintf(tt.service, srv.URL))
			code, out, errOut := w.run(t, nil, "once")
			if code != ExitOK {
				t.Fatalf("once: exit %d, stderr:\n%s", code, errOut)
			}

			lines := readJSONL(t, filepath.Join(w.data, "checks"))
			if len(lines) != 1 {
				t.Fatalf("history holds %d lines, want 1:\n%v", len(lines), lines)
			}
			l := lines[0]
			// How many attempts fit before the deadline depends on the
			// machine's load; the retry cut short must have been made.
			attempts, _ := l["attempts"].(float64)
			if l["status"] != "down" || l["error"] != tt.kind || l["code"] != tt.code || attempts < 2 {
				t.Errorf("recorded status %v, error %v, code %v, attempts %v; want down, %s, %v, at least 2 (stdout:\n%s)",
					l["status"], l["error"], l["code"], l["attempts"], tt.kind, tt.code, out)
			}
			if d, _ := l["detail"].(string); !strings.Contains(d, tt.detail) {
				t.Errorf("recorded detail %q, want it to contain %q", d, tt.detail)
			}

			page, err := os.ReadFile(filepath.Join(w.site, "index.html"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(page), tt.phrase) || strings.Contains(string(page), tt.notPhrase) {
				t.Errorf("index.html: want %q and not %q; its cause cells say %q",
					tt.phrase, tt.notPhrase, causes(string(page), tt.phrase, tt.notPhrase))
			}
		})
	}
}

// The deadline (1s) leaves the retry time for 2 of its 10 polls, 200ms
// apart, after a retry_delay of 100ms; each poll needs the interval plus
// a quarter second left.
const decisiveSettings = `[settings]
title = "Test Status"
status_page_url = "https://status.example.org"
interval = "2s"
check_deadline = "1s"
retries = 3
retry_delay = "100ms"
failure_threshold = 1

`

const linkerTable = `[[service]]
name = "Linker"
url = "%[1]s/api/find-refs"
method = "POST"
expected_status = 202
check_type = "async_two_phase"
timeout = "900ms"
request_body = '{"text": {"title": "", "body": "Job 1:1"}}'
[service.async_verification]
base_url = "%[1]s/api/async/"
max_poll_attempts = 10
poll_interval = "200ms"
`

const webTable = `[[service]]
name = "web"
url = "%[1]s/healthz"
expected_status = 200
timeout = "900ms"
`

// causes lists which of the phrases the page holds, for a failure message.
func causes(page string, phrases ...string) []string {
	var found []string
	for _, p := range phrases {
		if strings.Contains(page, p) {
			found = append(found, p)
		}
	}
	return found
}
