package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func runServe(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "serve", "Serve the generated site in --site for a local preview, until Ctrl-C.\nRun 'statusgen render' (or once) to refresh what it shows.")
	addr := fs.String("addr", "127.0.0.1:8080", "the `host:port` to listen on")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(e.stderr, "statusgen: serve: %v\n", err)
		return ExitFailed
	}
	srv := &http.Server{Handler: siteHandler(g.site), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(e.stdout, "serving %s at http://%s/ (Ctrl-C stops)\n", g.site, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(e.stderr, "statusgen: serve: %v\n", err)
		return ExitFailed
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(e.stderr, "statusgen: serve: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

// siteHandler serves dir as a static host would. The folder is looked up
// on every request; renders update it in place, so each is seen at once.
func siteHandler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if strings.HasSuffix(r.URL.Path, ".atom") {
			w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
		}
		files.ServeHTTP(w, r)
	})
}
