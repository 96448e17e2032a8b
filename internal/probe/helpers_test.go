package probe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

const testUA = "statusgen/test (+https://status.example.org)"

// fakeSleep records every wait and returns at once, unless ctx is done.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeSleep) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// newProber returns a Prober whose waits are recorded, not slept.
func newProber() (*Prober, *fakeSleep) {
	fs := &fakeSleep{}
	return &Prober{UserAgent: testUA, Sleep: fs.Sleep}, fs
}

// plainService is a plain GET check of url with one attempt.
func plainService(url string) uptime.Service {
	return uptime.Service{
		Name:           "svc",
		URL:            url,
		Method:         http.MethodGet,
		ExpectedStatus: []int{200},
		Timeout:        5 * time.Second,
		Retries:        1,
		RetryDelay:     7 * time.Second,
		CheckType:      uptime.CheckHTTP,
	}
}

// newServer starts an httptest server on 127.0.0.1 closed with the test.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func writeJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write([]byte(body))
}

// hangUp closes the connection without an answer: a transport error.
func hangUp(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func checkResult(t *testing.T, got uptime.Result, status uptime.Status, kind uptime.ErrorKind) {
	t.Helper()
	if got.Status != status || got.Error != kind {
		t.Errorf("Check() = %s/%q (detail %q), want %s/%q", got.Status, got.Error, got.Detail, status, kind)
	}
}

func newServerB(b *testing.B, h http.HandlerFunc) string {
	b.Helper()
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}
