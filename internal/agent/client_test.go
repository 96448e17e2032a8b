package agent

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// The decider's client reads the agent's answers back into results, and
// turns every answer that must not vote into an error.
func TestClientCheck(t *testing.T) {
	tg := newTarget(t)
	srv, _, _ := agentFor(t, tg, 4)
	for _, tc := range []struct {
		name, location, token, service string
		want                           uptime.Result
		err                            string
	}{
		{name: "up", location: "eu-west", token: testToken, service: "Up",
			want: uptime.Result{Service: "Up", Status: uptime.Up, Code: 200, Attempts: 1, Location: "eu-west"}},
		{name: "down", location: "eu-west", token: testToken, service: "Down",
			want: uptime.Result{Service: "Down", Status: uptime.Down, Code: 503, Attempts: 1, Error: uptime.ErrStatus, Location: "eu-west"}},
		{name: "wrong token", location: "eu-west", token: "wrong-token-0123456789", service: "Up",
			err: "agent eu-west: 401 Unauthorized: unauthorized"},
		{name: "unknown service", location: "eu-west", token: testToken, service: "Nope",
			err: `agent eu-west: 404 Not Found: no service named "Nope" in this agent's configuration`},
		{name: "agent started as another location", location: "us-east", token: testToken, service: "Up",
			err: `agent us-east: answered as location "eu-west": is it started with --location us-east?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c := &Client{Location: tc.location, BaseURL: srv.URL + "/", Token: tc.token}
			got, err := c.Check(ctx, tc.service)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("Check error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Time, got.MS, got.Detail = time.Time{}, 0, ""
			if got != tc.want {
				t.Errorf("Check = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// The client passes its deadline on: a check that hangs comes back as a
// timeout, a vote, before the caller's context ends.
func TestClientPassesDeadline(t *testing.T) {
	tg := newTarget(t)
	srv, _, _ := agentFor(t, tg, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c := &Client{Location: "eu-west", BaseURL: srv.URL, Token: testToken}
	got, err := c.Check(ctx, "Hang")
	if err != nil {
		t.Fatalf("Check: %v, want the agent's timeout before the deadline", err)
	}
	if got.Status != uptime.Down || got.Error != uptime.ErrTimeout {
		t.Errorf("Check = %+v, want down with a timeout", got)
	}
}

// Nothing listening is an error whose text holds no token.
func TestClientUnreachable(t *testing.T) {
	c := &Client{Location: "eu-west", BaseURL: "http://127.0.0.1:1", Token: testToken}
	_, err := c.Check(context.Background(), "Up")
	if err == nil || !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), testToken) {
		t.Errorf("Check error = %v, want a refused connection without the token", err)
	}
}
