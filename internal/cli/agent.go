package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/Sefaria/statusgen/internal/agent"
	"github.com/Sefaria/statusgen/internal/config"
)

// AgentTokenEnv holds the bearer token an agent requires and a decider sends.
const AgentTokenEnv = "STATUSGEN_AGENT_TOKEN"

// minAgentToken is the shortest token an agent accepts: one a caller
// could not guess in the checks a location answers.
const minAgentToken = 16

// runAgent serves one location's checks to a deciding `run` (and
// blackbox_exporter's /probe to Prometheus) until SIGINT or SIGTERM. It
// keeps no state: each request runs one check with the prober `run` uses.
func runAgent(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "agent", "Serve this location's checks: GET /check?service=NAME runs one service's check and\n"+
		"answers its result as JSON; GET /probe?target=URL&module=NAME answers as blackbox_exporter does.\n"+
		"Every request carries the bearer token from "+AgentTokenEnv+".")
	g.withSettings("interval", "retries", "retry-delay")
	listen := fs.String("listen", "", "serve on `host:port`")
	location := fs.String("location", "", "this location's `name`, one of the configured [[location]]s")
	certFile := fs.String("tls-cert", "", "serve HTTPS with this certificate `file` (PEM, chain included); needs --tls-key")
	keyFile := fs.String("tls-key", "", "the certificate's private key `file` (PEM)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "statusgen agent: "+format+"\n", a...)
		return ExitUsage
	}
	switch {
	case *listen == "" || *location == "":
		return fail("--listen and --location are required")
	case (*certFile == "") != (*keyFile == ""):
		return fail("--tls-cert and --tls-key go together: give both, or neither for plain HTTP")
	}
	if err := config.CheckListen(*listen); err != nil {
		return fail("--listen %v", err)
	}
	token := e.getenv(AgentTokenEnv)
	switch {
	case token == "":
		return fail("%s is not set: an agent answers only callers that send it as a bearer token", AgentTokenEnv)
	case len(token) < minAgentToken || strings.TrimSpace(token) != token:
		return fail("%s must be at least %d characters, without spaces around it (e.g. 32 random bytes in hex)", AgentTokenEnv, minAgentToken)
	}
	cfg, code := loadConfig(e, g)
	if cfg == nil {
		return code
	}
	if !slices.Contains(cfg.LocationNames(), *location) {
		return fail("--location %q is not a [[location]] in %s (configured: %s)", *location, cfg.Path, namesOrNone(cfg.LocationNames()))
	}
	var tlsConfig *tls.Config
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fail("--tls-cert and --tls-key: %v", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := newLogger(e).With("location", *location)
	server := &agent.Server{
		Location:    *location,
		Token:       token,
		Services:    cfg.Services,
		Checker:     newProber(cfg, logRetry(logger, slog.LevelDebug)),
		Deadline:    cfg.Settings.CheckDeadline,
		MaxParallel: cfg.Settings.MaxParallel,
		Logger:      logger,
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(e.stderr, "statusgen agent: %v\n", err)
		return ExitFailed
	}
	srv := &http.Server{
		Handler:           server.Handler(),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		// A check answers within its deadline; the write has that long.
		WriteTimeout: cfg.Settings.CheckDeadline + 10*time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     log.New(slogWriter{logger}, "", 0),
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		ln = tls.NewListener(ln, tlsConfig)
	} else if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		logger.Warn("serving without TLS: the bearer token crosses the network in clear; give --tls-cert and --tls-key")
	}
	logger.Info("agent listening", "url", scheme+"://"+ln.Addr().String(), "services", len(cfg.Services),
		"check_deadline", cfg.Settings.CheckDeadline, "max_parallel", cfg.Settings.MaxParallel)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(e.stderr, "statusgen agent: %v\n", err)
		return ExitFailed
	case <-ctx.Done():
	}
	// Checks in flight finish, as `run` lets them, for a grace period.
	shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("agent stopped with checks in flight", "err", err)
	}
	logger.Info("agent stopped")
	return ExitOK
}

// slogWriter sends net/http's own messages (TLS handshake errors, say) to
// the agent's log.
type slogWriter struct{ logger *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.logger.Warn(strings.TrimSpace(string(p)))
	return len(p), nil
}
