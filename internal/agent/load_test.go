package agent

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/probe"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// One agent answers 1,000 checks of a cycle within the check deadline
// (8 s at a 10 s interval), asked by one client max_parallel at a time,
// as a decider asks it.
func TestAgentAnswersAThousandChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 checks")
	}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) }))
	t.Cleanup(target.Close)
	const n, parallel, deadline = 1000, 64, 8 * time.Second
	services := make([]uptime.Service, n)
	for i := range services {
		services[i] = uptime.Service{Name: fmt.Sprintf("svc-%04d", i), URL: fmt.Sprintf("%s/%d", target.URL, i), Method: "GET",
			ExpectedStatus: []int{200}, Retries: 1, Timeout: 5 * time.Second, CheckType: uptime.CheckHTTP}
	}
	s := &Server{Location: "eu-west", Token: testToken, Services: services, Checker: &probe.Prober{UserAgent: "statusgen/test"},
		Deadline: deadline, MaxParallel: parallel}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = parallel
	c := &Client{Location: "eu-west", BaseURL: srv.URL, Token: testToken, HTTP: &http.Client{Transport: transport}}

	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	up, failed := 0, 0
	for _, svc := range services {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r, err := c.Check(ctx, svc.Name)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || r.Status != uptime.Up {
				failed++
				return
			}
			up++
		})
	}
	wg.Wait()
	took := time.Since(start)
	t.Logf("%d checks answered by one agent in %v (%d parallel)", up, took.Round(time.Millisecond), parallel)
	if up != n || took > deadline {
		t.Errorf("%d of %d checks up, %d failed, in %v: want all within the %v deadline", up, n, failed, took, deadline)
	}
}
