package publish

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestGitHubNeverLeaksTheToken runs a publish and an issue sync against
// GitHubs that fail in every way — rejecting the token while echoing it
// back, failing with the token in the message, refusing connections,
// redirecting to another host — with debug logging on: the token is in no
// error and no log line, and reaches no host but the API's own.
func TestGitHubNeverLeaksTheToken(t *testing.T) {
	const token = "ghp_sntl9d41e7secret"
	var mu sync.Mutex
	var atOther []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		r.Header.Write(&b)
		mu.Lock()
		atOther = append(atOther, r.Method+" "+r.URL.String()+"\n"+b.String())
		mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(other.Close)
	_, otherPort, _ := net.SplitHostPort(other.Listener.Addr().String())

	echo := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"message": "Bad credentials: %s", "documentation_url": "https://docs.github.com/?t=%s"}`,
				r.Header.Get("Authorization"), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		}
	}
	tests := []struct {
		name string
		h    http.HandlerFunc // nil: nothing listens
	}{
		{"401 echoing the token", echo(http.StatusUnauthorized)},
		{"403 echoing the token", echo(http.StatusForbidden)},
		{"500 echoing the token, every retry", echo(http.StatusInternalServerError)},
		{"422 echoing the token", echo(http.StatusUnprocessableEntity)},
		{"connection refused", nil},
		{"redirect to another host", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://localhost:"+otherPort+r.URL.Path, http.StatusTemporaryRedirect)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := "http://" + closedAddr(t) + "/"
			if tt.h != nil {
				srv := httptest.NewServer(tt.h)
				t.Cleanup(srv.Close)
				base = srv.URL + "/"
			}
			mu.Lock()
			atOther = nil
			mu.Unlock()
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			client := NewClient(token)
			client.BaseURL, _ = url.Parse(base)
			noSleep := func(ctx context.Context, d time.Duration) error { return nil }

			g := &GitHub{Client: client, Owner: "o", Repo: "r", Sleep: noSleep, Logger: logger}
			pubErr := g.Publish(context.Background(), tree(t, map[string]string{"state.json": "{}"}), "", "msg")
			is := &Issues{Client: client, Owner: "o", Repo: "r", Sleep: noSleep, Logger: logger}
			syncErr := is.Sync(context.Background(), []uptime.Transition{{Kind: uptime.WentDown, Service: "a", IncidentID: "a-1"}})

			if pubErr == nil || syncErr == nil {
				t.Fatalf("Publish = %v, Sync = %v; want both to fail", pubErr, syncErr)
			}
			for what, text := range map[string]string{"Publish error": pubErr.Error(), "Sync error": syncErr.Error(), "logs": logs.String()} {
				if strings.Contains(text, "sntl9d41e7") {
					t.Errorf("%s holds the token:\n%s", what, text)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range atOther {
				if strings.Contains(r, "sntl9d41e7") {
					t.Errorf("another host got the token:\n%s", r)
				}
			}
			if testing.Verbose() {
				t.Logf("Publish: %v\nSync: %v\n%d requests at the other host", pubErr, syncErr, len(atOther))
			}
		})
	}
}

// closedAddr is a 127.0.0.1 address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
