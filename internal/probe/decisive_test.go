package probe

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// attemptServer answers each attempt of a check by its number: first(k)
// answers the k-th attempt's own request (a plain GET, or the Linker's
// submit), poll(k, n) the n-th poll of the task that attempt k submitted
// (task-k).
type attemptServer struct {
	first func(k int, w http.ResponseWriter, r *http.Request)
	poll  taskFunc

	mu     sync.Mutex
	firsts int
	polls  map[int]int
}

func (s *attemptServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Read the request to its end, as a real server does: until then
	// net/http does not watch the connection, so a held request would
	// never learn that its client left.
	io.Copy(io.Discard, r.Body)
	var k int
	if _, err := fmt.Sscanf(r.URL.Path, "/api/async/task-%d", &k); err == nil {
		s.mu.Lock()
		s.polls[k]++
		n := s.polls[k]
		s.mu.Unlock()
		s.poll(k, n, w, r)
		return
	}
	s.mu.Lock()
	s.firsts++
	k = s.firsts
	s.mu.Unlock()
	s.first(k, w, r)
}

// taskFunc answers the n-th poll of task k.
type taskFunc func(k, n int, w http.ResponseWriter, r *http.Request)

// hold answers only once the client has given up: a server that is alive
// but does not answer before the check's deadline.
func hold(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func submitTask(k int, w http.ResponseWriter) {
	writeJSON(w, 202, fmt.Sprintf(`{"task_id":"task-%d"}`, k))
}

func taskState(k int, w http.ResponseWriter, code int, state, rest string) {
	writeJSON(w, code, fmt.Sprintf(`{"task_id":"task-%d","state":%q,"ready":%t%s}`, k, state, state != "PENDING", rest))
}

// linkerAttempts fakes the Linker whose every submit is accepted, and
// whose task k answers each poll as task(k, n) says.
func linkerAttempts(task taskFunc) *attemptServer {
	return &attemptServer{
		first: func(k int, w http.ResponseWriter, r *http.Request) { submitTask(k, w) },
		poll:  task,
	}
}

// TestCheckDecisiveAttemptWins: when the check's deadline cuts a retry
// short, or a later attempt only times out, the result is the most
// decisive observation among the attempts (the Linker's FAILURE, an empty
// result, an HTTP status), with that attempt's code and detail, not the
// timeout. The deadline is a real one; the server holds its answer until
// the client gives up, or the Linker's task stays PENDING until the check
// has no time left to poll.
func TestCheckDecisiveAttemptWins(t *testing.T) {
	const (
		checkDeadline = 800 * time.Millisecond
		delay         = 20 * time.Millisecond
	)
	var failed taskFunc = func(k, n int, w http.ResponseWriter, r *http.Request) {
		taskState(k, w, 500, "FAILURE", `,"error":"worker lost"`)
	}
	var empty taskFunc = func(k, n int, w http.ResponseWriter, r *http.Request) {
		taskState(k, w, 200, "SUCCESS", `,"result":{"title":{"results":[]},"body":{"results":[]}}`)
	}
	var pendingTask taskFunc = func(k, n int, w http.ResponseWriter, r *http.Request) { taskState(k, w, 202, "PENDING", "") }
	var good taskFunc = func(k, n int, w http.ResponseWriter, r *http.Request) { taskState(k, w, 200, "SUCCESS", goodResult) }
	// firstThen answers task 1 with a and every later task with b.
	firstThen := func(a, b taskFunc) taskFunc {
		return func(k, n int, w http.ResponseWriter, r *http.Request) {
			if k == 1 {
				a(k, n, w, r)
				return
			}
			b(k, n, w, r)
		}
	}
	var heldPoll taskFunc = func(k, n int, w http.ResponseWriter, r *http.Request) { hold(w, r) }
	plain := func(codes ...int) func(k int, w http.ResponseWriter, r *http.Request) {
		return func(k int, w http.ResponseWriter, r *http.Request) {
			if k > len(codes) || codes[k-1] == 0 {
				hold(w, r)
				return
			}
			w.WriteHeader(codes[k-1])
		}
	}

	tests := []struct {
		name      string
		srv       *attemptServer
		async     bool
		realTimer bool          // the production timer between polls, so the poll budget meets the deadline
		deadline  time.Duration // the check's; 0: 800ms
		timeout   time.Duration // per request; 0: longer than the deadline
		retries   int
		status    uptime.Status
		kind      uptime.ErrorKind
		code      int
		maxPolls  int // 0: 1000
		polls     int
		attempts  int
		quick     bool // the decisive attempt is a quick one: its latency, not the deadline's
		msAtLeast time.Duration
		detailHas string
	}{
		{
			name: "FAILURE, then the deadline stops the polls of a PENDING retry", async: true, realTimer: true, retries: 3,
			srv:   linkerAttempts(firstThen(failed, pendingTask)),
			quick: true, status: uptime.Down, kind: uptime.ErrTaskFailed, code: 500, polls: 1, attempts: 2, detailHas: "task FAILURE: worker lost",
		},
		{
			name: "empty result, then the deadline stops the polls of a PENDING retry", async: true, realTimer: true, retries: 3,
			srv:   linkerAttempts(firstThen(empty, pendingTask)),
			quick: true, status: uptime.Down, kind: uptime.ErrBadResult, code: 200, polls: 1, attempts: 2, detailHas: "body.results holds no ref",
		},
		{
			name: "FAILURE, then the deadline cuts a poll of the retry", async: true, retries: 3,
			srv:   linkerAttempts(firstThen(failed, heldPoll)),
			quick: true, status: uptime.Down, kind: uptime.ErrTaskFailed, code: 500, polls: 1, attempts: 2, detailHas: "task FAILURE",
		},
		{
			name: "empty result, then the deadline cuts a poll of the retry", async: true, retries: 3,
			srv:   linkerAttempts(firstThen(empty, heldPoll)),
			quick: true, status: uptime.Down, kind: uptime.ErrBadResult, code: 200, polls: 1, attempts: 2, detailHas: "no ref",
		},
		{
			name: "submit 503, then the deadline cuts the retry's submit", async: true, retries: 3,
			srv:   &attemptServer{first: plain(503)},
			quick: true, status: uptime.Down, kind: uptime.ErrStatus, code: 503, attempts: 2, detailHas: "submit: HTTP 503",
		},
		{
			name: "FAILURE, then a retry PENDING for its whole poll budget", async: true, retries: 2, maxPolls: 3,
			srv:   linkerAttempts(firstThen(failed, pendingTask)),
			quick: true, status: uptime.Down, kind: uptime.ErrTaskFailed, code: 500, polls: 1, attempts: 2, detailHas: "task FAILURE",
		},
		{
			// The first submit times out after 700ms; the second starts with
			// 500ms left, so the deadline cuts it before its own timeout.
			name: "a per-request timeout outranks a retry cut by the deadline", async: true, retries: 3,
			deadline: 1200 * time.Millisecond, timeout: 700 * time.Millisecond,
			srv:    &attemptServer{first: func(k int, w http.ResponseWriter, r *http.Request) { hold(w, r) }},
			status: uptime.Down, kind: uptime.ErrTimeout, attempts: 2, detailHas: "submit: POST", msAtLeast: 700 * time.Millisecond,
		},
		{
			name: "FAILURE, then success", async: true, retries: 3,
			srv:    linkerAttempts(firstThen(failed, good)),
			status: uptime.Up, code: 200, polls: 1, attempts: 2,
		},
		{
			name: "HTTP 503, then the deadline cuts the retry", retries: 3,
			srv:   &attemptServer{first: plain(503)},
			quick: true, status: uptime.Down, kind: uptime.ErrStatus, code: 503, attempts: 2, detailHas: "HTTP 503 from GET",
		},
		{
			name: "HTTP 503, then a timed-out retry", retries: 2, timeout: 50 * time.Millisecond,
			srv:   &attemptServer{first: plain(503)},
			quick: true, status: uptime.Down, kind: uptime.ErrStatus, code: 503, attempts: 2, detailHas: "HTTP 503",
		},
		{
			name: "a timeout, then HTTP 503", retries: 2, timeout: 50 * time.Millisecond,
			srv:   &attemptServer{first: plain(0, 503)},
			quick: true, status: uptime.Down, kind: uptime.ErrStatus, code: 503, attempts: 2, detailHas: "HTTP 503",
		},
		{
			name: "among equals the latest attempt speaks", retries: 3,
			srv:   &attemptServer{first: plain(503, 502, 500)},
			quick: true, status: uptime.Down, kind: uptime.ErrStatus, code: 500, attempts: 3, detailHas: "HTTP 500",
		},
		{
			name: "HTTP 503, then success", retries: 3,
			srv:    &attemptServer{first: plain(503, 200)},
			status: uptime.Up, code: 200, attempts: 2,
		},
		{
			name: "only the cut attempt: its own timeout", retries: 1,
			srv:    &attemptServer{first: plain()},
			status: uptime.Down, kind: uptime.ErrTimeout, attempts: 1, detailHas: "no answer within",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.srv.polls = map[int]int{}
			srv := newServer(t, tt.srv.ServeHTTP)
			svc := plainService(srv.URL + "/healthz")
			if tt.async {
				svc = linkerService(srv.URL, cmp.Or(tt.maxPolls, 1000))
				svc.Async.PollInterval = delay
			}
			svc.Retries, svc.RetryDelay = tt.retries, delay
			if tt.timeout > 0 {
				svc.Timeout = tt.timeout
			}
			p, _ := newProber()
			if tt.realTimer {
				p.Sleep = nil
			}
			deadline := cmp.Or(tt.deadline, checkDeadline)
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()

			got := p.Check(ctx, svc)

			checkResult(t, got, tt.status, tt.kind)
			if got.Code != tt.code {
				t.Errorf("Check().Code = %d, want %d (the decisive attempt's)", got.Code, tt.code)
			}
			if got.Polls != tt.polls {
				t.Errorf("Check().Polls = %d, want %d (the decisive attempt's)", got.Polls, tt.polls)
			}
			if got.Attempts != tt.attempts {
				t.Errorf("Check().Attempts = %d, want %d", got.Attempts, tt.attempts)
			}
			if !strings.Contains(got.Detail, tt.detailHas) {
				t.Errorf("Check().Detail = %q, want it to contain %q", got.Detail, tt.detailHas)
			}
			// A cut attempt takes the whole deadline; the decisive ones here
			// answered at once.
			msMax := deadline + 200*time.Millisecond
			if tt.quick {
				msMax = deadline / 2
			}
			if ms := time.Duration(got.MS) * time.Millisecond; ms < tt.msAtLeast || ms > msMax {
				t.Errorf("Check().MS = %d, want the decisive attempt's latency, in [%s, %s]", got.MS, tt.msAtLeast, msMax)
			}
		})
	}
}
