package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// httpPing is the canary's and heartbeat's request when Runner.Ping is nil:
// through the proxy the process environment names.
var httpPing = NewPing(http.ProxyFromEnvironment)

// NewPing returns a function that GETs rawURL, on a new connection through
// proxy (nil: direct), and succeeds on any 2xx or 3xx answer. Its errors
// never carry the URL: a heartbeat URL usually holds a secret id.
func NewPing(proxy func(*http.Request) (*url.URL, error)) func(ctx context.Context, rawURL string) error {
	client := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: proxy},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return func(ctx context.Context, rawURL string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return errors.New("invalid URL")
		}
		resp, err := client.Do(req)
		if err != nil {
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err
			}
			return fmt.Errorf("request failed: %w", err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode >= 400 {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
}
