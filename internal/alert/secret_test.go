package alert

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/Sefaria/statusgen/internal/uptime"
)

const sentinel = "SENTINELxyz123"

// TestWebhookURLNeverLeaks plants a sentinel in the webhook URL, makes every
// request fail in the transport, and checks that the sentinel is in no log
// line (debug included) and no error.
func TestWebhookURLNeverLeaks(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close() // connection refused from now on

	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select { // never answers; the client's timeout cuts it
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(stop) }) // runs first

	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("no_service"))
	}))
	t.Cleanup(broken.Close)

	tests := []struct {
		name    string
		webhook string
		client  *http.Client
	}{
		{"connection refused", closedURL + "/services/T0/B0/" + sentinel, nil},
		{"secret in the query and userinfo too", "http://u" + sentinel + ":p" + sentinel + "@" + strings.TrimPrefix(closedURL, "http://") + "/services/" + sentinel + "?k=" + sentinel, nil},
		// A few real milliseconds: the network timeout is what is under test.
		{"timeout", hang.URL + "/services/T0/B0/" + sentinel, &http.Client{Timeout: 20 * time.Millisecond}},
		{"unresolvable host", "http://" + sentinel + ".invalid/services/" + sentinel, nil},
		{"unparsable URL", "http://[::1" + sentinel + "/x", nil},
		{"broken webhook", broken.URL + "/services/T0/B0/" + sentinel, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			c := newClock()
			s := &Slack{
				WebhookURL: tt.webhook,
				HTTPClient: tt.client,
				Now:        c.Now,
				Sleep:      c.Sleep,
				Logger:     slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
				Budget:     5 * time.Second,
			}
			if s.HTTPClient == nil {
				s.HTTPClient = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
					DialContext: (&net.Dialer{Timeout: time.Second}).DialContext,
					Proxy:       nil,
				}}
			}
			// The premise: slack-go itself puts the URL into its errors.
			raw := slack.PostWebhookCustomHTTPContext(context.Background(), tt.webhook, s.client(), &slack.WebhookMessage{Text: "x"})
			if tt.name != "broken webhook" && (raw == nil || !strings.Contains(raw.Error(), sentinel)) {
				t.Fatalf("slack-go error %v does not contain the URL; the test lost its premise", raw)
			}

			accepted, err := s.Deliver(context.Background(), []uptime.Transition{down("sefaria.org", 0, 1, 2)})
			testErr := s.SendTest(context.Background())
			if count(accepted) != 0 {
				t.Errorf("Deliver accepted %v through a failing transport", accepted)
			}
			if (tt.name == "broken webhook") != errors.Is(err, ErrWebhookBroken) {
				t.Errorf("Deliver error = %v; want ErrWebhookBroken only for the broken webhook", err)
			}
			if testErr == nil {
				t.Fatal("SendTest = nil through a failing transport, want an error")
			}
			for what, text := range map[string]string{"log": logs.String(), "Deliver error": errString(err), "SendTest error": testErr.Error()} {
				if strings.Contains(text, sentinel) {
					t.Errorf("%s contains the webhook secret:\n%s", what, text)
				}
			}
			if tt.name != "broken webhook" && !strings.Contains(logs.String(), "Slack unavailable") {
				t.Errorf("log =\n%s\nwant a warning that Slack is unavailable", logs.String())
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRedactURL(t *testing.T) {
	secret := "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/fake-token-0000"
	tests := []struct{ in, want string }{
		{`Post "` + secret + `": dial tcp: lookup hooks.slack.com: no such host`, `Post <redacted>: dial tcp: lookup hooks.slack.com: no such host`},
		{"path only /services/T0AAAAAAA/B0BBBBBBB/fake-token-0000", "path only <redacted>"},
		{"token alone fake-token-0000", "token alone <redacted>"},
		{"nothing secret here", "nothing secret here"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in, secret); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
