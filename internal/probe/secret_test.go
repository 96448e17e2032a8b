package probe

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestCheckRedactsEchoedSecrets: a service that echoes its credentials
// into the fields a detail quotes must not get them into the history.
func TestCheckRedactsEchoedSecrets(t *testing.T) {
	const token = "tok3n5ecretvalue"
	echo := func(f func(auth string) string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, f(r.Header.Get("Authorization")))
		}
	}
	tests := []struct {
		name   string
		value  string // the Authorization header
		secret bool
		h      http.HandlerFunc
		want   string // the expected detail
	}{
		{"whole value echoed", "Bearer " + token, true,
			echo(func(a string) string { return fmt.Sprintf(`{"allReady": %q}`, a) }),
			`JSON allReady = "<secret>", want true`},
		{"only the token echoed", "Bearer " + token, true,
			echo(func(a string) string { return fmt.Sprintf(`{"allReady": %q}`, strings.TrimPrefix(a, "Bearer ")) }),
			`JSON allReady = "<secret>", want true`},
		{"a value from services.toml is not a secret", "Bearer " + token, false,
			echo(func(a string) string { return fmt.Sprintf(`{"allReady": %q}`, a) }),
			`JSON allReady = "Bearer ` + token + `", want true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newProber()
			svc := plainService(newServer(t, tt.h).URL)
			svc.Headers = []uptime.Header{{Name: "Authorization", Value: tt.value, Secret: tt.secret}}
			svc.ExpectJSON = map[string]any{"allReady": true}
			got := p.Check(context.Background(), svc)
			checkResult(t, got, uptime.Down, uptime.ErrBody)
			if tt.secret && strings.Contains(got.Detail, token) {
				t.Errorf("Check().Detail = %q, want the token redacted", got.Detail)
			}
			if !tt.secret && got.Detail != tt.want {
				t.Errorf("Check().Detail = %q, want %q", got.Detail, tt.want)
			}
			if tt.secret && !strings.Contains(got.Detail, "<secret>") {
				t.Errorf("Check().Detail = %q, want <secret> in place of the token", got.Detail)
			}
		})
	}
}
