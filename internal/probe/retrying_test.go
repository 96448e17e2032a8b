package probe

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestRetryingHearsEachRetry: a check that fails twice and then answers
// tells Retrying of both retries, before their waits, with the failure
// that caused each; a check that is up at once tells it nothing.
func TestRetryingHearsEachRetry(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
	})
	p, _ := newProber()
	var heard []Retry
	p.Retrying = func(svc uptime.Service, r Retry) {
		if svc.Name != "svc" {
			t.Errorf("Retrying got service %q, want svc", svc.Name)
		}
		heard = append(heard, r)
	}
	svc := plainService(srv.URL + "/healthz?token=hidden")
	svc.Retries = 3
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := p.Check(ctx, svc)
	if res.Status != uptime.Up || res.Attempts != 3 {
		t.Fatalf("Check = %s after %d attempts, want up after 3", res.Status, res.Attempts)
	}
	want := []Retry{
		{Next: 2, Of: 3, Wait: 7 * time.Second, Error: uptime.ErrStatus},
		{Next: 3, Of: 3, Wait: 7 * time.Second, Error: uptime.ErrStatus},
	}
	for i := range heard {
		if !strings.Contains(heard[i].Detail, "502") || strings.Contains(heard[i].Detail, "hidden") {
			t.Errorf("retry %d detail = %q, want the 502 and no query string", i+1, heard[i].Detail)
		}
		heard[i].Detail = ""
	}
	if !reflect.DeepEqual(heard, want) {
		t.Errorf("Retrying heard %+v, want %+v", heard, want)
	}

	heard = nil
	if res := p.Check(ctx, svc); res.Status != uptime.Up || len(heard) != 0 {
		t.Errorf("a check up at once: %s, Retrying heard %+v; want up and nothing", res.Status, heard)
	}
}
