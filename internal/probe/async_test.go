package probe

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

const (
	taskID       = "3f2c9a1e-task"
	pending      = `{"task_id":"3f2c9a1e-task","state":"PENDING","ready":false}`
	goodResult   = `,"result":{"title":{"results":[],"refData":{}},"body":{"results":[{"startChar":0,"endChar":7,"text":"Job 1:1","linkFailed":false,"refs":["Job 1:1"]}],"refData":{}}}`
	pollInterval = 3 * time.Second
)

// linker fakes Sefaria's async Linker API: POST /api/find-refs submits,
// GET /api/async/<task_id> polls.
type linker struct {
	mu     sync.Mutex
	posts  int
	gets   int
	leaked bool // a request carried metaDataForTracking
	submit func(w http.ResponseWriter)
	poll   func(w http.ResponseWriter, r *http.Request, n int)
}

func (l *linker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	l.mu.Lock()
	l.leaked = l.leaked || strings.Contains(string(body), "metaDataForTracking")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/find-refs":
		l.posts++
		l.mu.Unlock()
		l.submit(w)
	case r.Method == http.MethodGet && r.URL.Path == "/api/async/"+taskID:
		l.gets++
		n := l.gets
		l.mu.Unlock()
		l.poll(w, r, n)
	default:
		l.mu.Unlock()
		http.NotFound(w, r)
	}
}

func (l *linker) counts() (posts, gets int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.posts, l.gets
}

func accepted(w http.ResponseWriter) { writeJSON(w, 202, `{"task_id":"`+taskID+`"}`) }

func pendingThen(k int, final func(w http.ResponseWriter)) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= k {
			writeJSON(w, 202, pending)
			return
		}
		final(w)
	}
}

func success(result string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		writeJSON(w, 200, `{"task_id":"`+taskID+`","state":"SUCCESS","ready":true`+result+`}`)
	}
}

func linkerService(baseURL string, maxPolls int) uptime.Service {
	return uptime.Service{
		Name:           "Linker",
		URL:            baseURL + "/api/find-refs",
		Method:         http.MethodPost,
		Headers:        []uptime.Header{{Name: "Content-Type", Value: "application/json"}},
		Body:           `{"text": {"title": "", "body": "Job 1:1"}}`,
		ExpectedStatus: []int{202},
		Timeout:        5 * time.Second,
		Retries:        1,
		RetryDelay:     7 * time.Second,
		CheckType:      uptime.CheckAsyncTwoPhase,
		Async: &uptime.AsyncVerification{
			BaseURL:         baseURL + "/api/async/",
			MaxPollAttempts: maxPolls,
			PollInterval:    pollInterval,
		},
	}
}

func TestCheckLinker(t *testing.T) {
	tests := []struct {
		name      string
		submit    func(http.ResponseWriter)
		poll      func(http.ResponseWriter, *http.Request, int)
		maxPolls  int
		status    uptime.Status
		kind      uptime.ErrorKind
		gets      int
		code      int
		detailHas string
	}{
		{
			name: "pending thrice then success", submit: accepted,
			poll:     pendingThen(3, success(goodResult)),
			maxPolls: 10, status: uptime.Up, gets: 4, code: 200,
		},
		{
			name: "failure on HTTP 500 stops at once", submit: accepted,
			poll: pendingThen(1, func(w http.ResponseWriter) {
				writeJSON(w, 500, `{"task_id":"`+taskID+`","state":"FAILURE","ready":true,"error":"Traceback\n\u202Eboom"}`)
			}),
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrTaskFailed, gets: 2, code: 500, detailHas: "task FAILURE: Traceback boom",
		},
		{
			name: "revoked stops at once", submit: accepted,
			poll: pendingThen(0, func(w http.ResponseWriter) {
				writeJSON(w, 200, `{"task_id":"`+taskID+`","state":"REVOKED","ready":true}`)
			}),
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrTaskFailed, gets: 1, code: 200,
		},
		{
			name: "success without a ref", submit: accepted,
			poll:     pendingThen(0, success(`,"result":{"title":{"results":[]},"body":{"results":[{"text":"Job 1:1","refs":[]}]}}`)),
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrBadResult, gets: 1, code: 200, detailHas: "no ref",
		},
		{
			name: "success with empty results", submit: accepted,
			poll:     pendingThen(0, success(`,"result":{"body":{"results":[]}}`)),
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrBadResult, gets: 1, code: 200,
		},
		{
			name: "success without result", submit: accepted,
			poll:     pendingThen(0, success(``)),
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrBadResult, gets: 1, code: 200, detailHas: "missing",
		},
		{
			name: "success with malformed result", submit: accepted,
			poll:     pendingThen(0, success(`,"result":{"body":{"results":"Job 1:1"}}`)),
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrBadResult, gets: 1, code: 200, detailHas: "malformed",
		},
		{
			name: "pending forever ends by the poll budget", submit: accepted,
			poll:     pendingThen(1000, nil),
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrTaskTimeout, gets: 10, code: 202, detailHas: "still PENDING after 10 polls",
		},
		{
			name: "202 without task_id", submit: func(w http.ResponseWriter) { writeJSON(w, 202, `{"status":"queued"}`) },
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrNoTaskID, code: 202,
		},
		{
			name: "202 with empty task_id", submit: func(w http.ResponseWriter) { writeJSON(w, 202, `{"task_id":""}`) },
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrNoTaskID, code: 202,
		},
		{
			name: "202 not JSON", submit: func(w http.ResponseWriter) { w.WriteHeader(202); io.WriteString(w, "queued") },
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrNotJSON, code: 202,
		},
		{
			name: "200 instead of 202", submit: func(w http.ResponseWriter) { writeJSON(w, 200, `{"task_id":"`+taskID+`"}`) },
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrStatus, code: 200, detailHas: "submit: HTTP 200",
		},
		{
			name: "500 with an HTML page", submit: func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(500)
				io.WriteString(w, "<html><body><h1>Server Error (500)</h1></body></html>")
			},
			maxPolls: 10, status: uptime.Down, kind: uptime.ErrStatus, code: 500, detailHas: "submit: HTTP 500",
		},
		{
			name: "transport error and 429 between polls tolerated", submit: accepted,
			poll: func(w http.ResponseWriter, r *http.Request, n int) {
				switch n {
				case 1:
					hangUp(w)
				case 2:
					writeJSON(w, 429, `{"detail":"throttled"}`)
				case 3:
					w.WriteHeader(502)
					io.WriteString(w, "<html>bad gateway</html>")
				case 4:
					writeJSON(w, 202, pending)
				default:
					success(goodResult)(w)
				}
			},
			maxPolls: 10, status: uptime.Up, gets: 5, code: 200,
		},
		{
			name: "budget ends on a 429", submit: accepted,
			poll: func(w http.ResponseWriter, r *http.Request, n int) {
				if n < 3 {
					writeJSON(w, 202, pending)
					return
				}
				writeJSON(w, 429, `{}`)
			},
			maxPolls: 3, status: uptime.Down, kind: uptime.ErrStatus, gets: 3, code: 429, detailHas: "poll 3: HTTP 429",
		},
		{
			name: "budget ends on a hang-up", submit: accepted,
			poll: func(w http.ResponseWriter, r *http.Request, n int) {
				if n < 2 {
					writeJSON(w, 202, pending)
					return
				}
				hangUp(w)
			},
			maxPolls: 2, status: uptime.Down, kind: uptime.ErrConnect, gets: 2, code: 202, detailHas: "poll 2",
		},
		{
			name: "budget ends on non-JSON", submit: accepted,
			poll: func(w http.ResponseWriter, r *http.Request, n int) {
				io.WriteString(w, "not json")
			},
			maxPolls: 2, status: uptime.Down, kind: uptime.ErrNotJSON, gets: 2, code: 200,
		},
		{
			name: "an error followed by pending is a task timeout", submit: accepted,
			poll: func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					writeJSON(w, 429, `{}`)
					return
				}
				writeJSON(w, 202, `{"state":"STARTED","ready":false}`)
			},
			maxPolls: 3, status: uptime.Down, kind: uptime.ErrTaskTimeout, gets: 3, code: 202, detailHas: "still STARTED after 3 polls",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &linker{submit: tt.submit, poll: tt.poll}
			srv := newServer(t, l.ServeHTTP)
			p, fs := newProber()
			got := p.Check(context.Background(), linkerService(srv.URL, tt.maxPolls))

			checkResult(t, got, tt.status, tt.kind)
			posts, gets := l.counts()
			if posts != 1 || gets != tt.gets || got.Polls != tt.gets {
				t.Errorf("Check() made %d POSTs, %d GETs, Polls %d; want 1, %d, %d", posts, gets, got.Polls, tt.gets, tt.gets)
			}
			if got.Code != tt.code {
				t.Errorf("Check().Code = %d, want %d", got.Code, tt.code)
			}
			if got.Attempts != 1 {
				t.Errorf("Check().Attempts = %d, want 1", got.Attempts)
			}
			if !strings.Contains(got.Detail, tt.detailHas) {
				t.Errorf("Check().Detail = %q, want it to contain %q", got.Detail, tt.detailHas)
			}
			if got.Detail != Sanitize(got.Detail) {
				t.Errorf("Check().Detail = %q, not sanitized", got.Detail)
			}
			// The first poll comes one interval after the submit, and so on.
			want := slices.Repeat([]time.Duration{pollInterval}, tt.gets)
			if w := fs.Waits(); !slices.Equal(w, want) {
				t.Errorf("waits = %v, want %v", w, want)
			}
			if l.leaked {
				t.Error("a request carried metaDataForTracking")
			}
		})
	}
}

func TestCheckLinkerPollURL(t *testing.T) {
	for _, base := range []string{"/api/async/", "/api/async", "/api/async//"} {
		t.Run(base, func(t *testing.T) {
			l := &linker{submit: accepted, poll: pendingThen(0, success(goodResult))}
			srv := newServer(t, l.ServeHTTP)
			p, _ := newProber()
			svc := linkerService(srv.URL, 3)
			svc.Async.BaseURL = srv.URL + base
			got := p.Check(context.Background(), svc)
			checkResult(t, got, uptime.Up, "")
		})
	}
}

func TestCheckLinkerSlowPollTolerated(t *testing.T) {
	l := &linker{submit: accepted, poll: func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			<-r.Context().Done() // answers only after the client gave up
			return
		}
		success(goodResult)(w)
	}}
	srv := newServer(t, l.ServeHTTP)
	p, _ := newProber()
	svc := linkerService(srv.URL, 3)
	svc.Timeout = 50 * time.Millisecond
	got := p.Check(context.Background(), svc)
	checkResult(t, got, uptime.Up, "")
	if got.Polls != 2 {
		t.Errorf("Check().Polls = %d, want 2", got.Polls)
	}
}

func TestCheckLinkerRefusesMetaData(t *testing.T) {
	l := &linker{submit: accepted, poll: pendingThen(0, success(""))}
	srv := newServer(t, l.ServeHTTP)
	p, _ := newProber()
	svc := linkerService(srv.URL, 3)
	svc.Body = `{"text":{"title":"","body":"Job 1:1"},"metaDataForTracking":{"url":"x"}}`
	got := p.Check(context.Background(), svc)
	checkResult(t, got, uptime.Down, uptime.ErrInternal)
	if posts, gets := l.counts(); posts+gets != 0 || l.leaked {
		t.Errorf("Check() made %d requests, want 0", posts+gets)
	}
}

func TestCheckLinkerDeadlineStopsPolling(t *testing.T) {
	l := &linker{submit: accepted, poll: pendingThen(1000, nil)}
	srv := newServer(t, l.ServeHTTP)
	p, fs := newProber()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	svc := linkerService(srv.URL, 10)
	svc.Async.PollInterval = time.Minute // more than the deadline leaves
	got := p.Check(ctx, svc)
	checkResult(t, got, uptime.Down, uptime.ErrTaskTimeout)
	if _, gets := l.counts(); gets != 0 || len(fs.Waits()) != 0 {
		t.Errorf("Check() polled %d times after %v waits, want none", gets, fs.Waits())
	}
}
