package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/Sefaria/statusgen/internal/metrics"
	"github.com/Sefaria/statusgen/internal/runner"
)

var _ runner.Observer = (*metrics.Metrics)(nil)

// serveMetrics, when [settings] listen (or --listen) is set, has r report
// to a metrics.Metrics, seeded from the saved state, and serves /metrics
// and /healthz on that address until stop is called.
func serveMetrics(r *runner.Runner) (stop func(), err error) {
	addr := r.Config.Settings.Listen
	if addr == "" {
		return func() {}, nil
	}
	names := make([]string, len(r.Config.Services))
	for i, svc := range r.Config.Services {
		names[i] = svc.Name
	}
	m := metrics.New(names, r.Config.Settings.Interval, nil)
	st := r.State()
	for name, ss := range st.Services {
		m.Restore(name, ss.Status, ss.LastCheck, ss.Failures)
	}
	m.Outbox(len(st.Outbox))

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	r.Observer = m
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.Logger.Error("metrics server stopped", "err", err)
		}
	}()
	// The address as bound: with port 0 the system chose one.
	r.Logger.Info("serving /metrics and /healthz", "listen", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
