package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/Sefaria/statusgen/internal/atomicfile"
	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/runner"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// runProbe is one location's part of a CI cycle: its checks, as JSON lines
// in a file the decide job reads with `once --results`. It keeps no state,
// sends no alert and renders nothing, so a matrix of runners can run it
// side by side.
func runProbe(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "probe", "Check every service once from this location and write the results as JSON lines\nto --out, for `statusgen once --results` to decide; no state, alerts or site.")
	g.withSettings("interval", "retries", "retry-delay")
	location := fs.String("location", "", "this location's `name`, one of the configured [[location]]s")
	out := fs.String("out", "", "write the results to `file` (replaced atomically)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *location == "" || *out == "" {
		fmt.Fprintln(e.stderr, "statusgen probe: --location and --out are required")
		return ExitUsage
	}
	cfg, code := loadConfig(e, g)
	if cfg == nil {
		return code
	}
	if !slices.Contains(cfg.LocationNames(), *location) {
		fmt.Fprintf(e.stderr, "statusgen probe: --location %q is not a [[location]] in %s (configured: %s)\n",
			*location, cfg.Path, namesOrNone(cfg.LocationNames()))
		return ExitUsage
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := newLogger(e).With("location", *location)
	r := &runner.Runner{
		Config:        cfg,
		Checker:       newProber(cfg, logRetry(logger, slog.LevelInfo)),
		Ping:          ping(cfg),
		Logger:        logger,
		ShutdownGrace: 3 * time.Second,
	}
	results, canaryDown := r.Probe(ctx, time.Now().UTC())
	var b []byte
	for _, res := range results {
		res.Location = *location
		b = history.AppendLine(b, res)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fmt.Fprintf(e.stderr, "statusgen probe: write results: %v\n", err)
		return ExitFailed
	}
	if err := atomicfile.Write(*out, b, 0o644); err != nil {
		fmt.Fprintf(e.stderr, "statusgen probe: write results: %v\n", err)
		return ExitFailed
	}
	down := 0
	for _, res := range results {
		if res.Status == uptime.Down {
			down++
		}
	}
	logger.Info("probe done", "services", len(results), "down", down, "canary_failed", canaryDown, "out", *out)
	return ExitOK
}

func namesOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// resultsBallots reads the probe files in dir, one per location, named
// <location>.jsonl, for once --results. A location whose file is missing,
// unreadable or holds no valid line is missing from the vote; a bad line is
// skipped; both are logged, and neither stops the cycle.
func resultsBallots(dir string, cfg *config.Config, logger *slog.Logger) func(context.Context, time.Time) []uptime.Result {
	return func(context.Context, time.Time) []uptime.Result {
		names := cfg.LocationNames()
		warnUnknownFiles(dir, names, logger)
		var all []uptime.Result
		for _, name := range names {
			results, skipped, err := readResults(filepath.Join(dir, name+".jsonl"), name)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				logger.Warn("location missing from the vote: no results file", "location", name, "file", name+".jsonl")
			case err != nil:
				logger.Warn("location missing from the vote: results unreadable", "location", name, "err", err)
			case len(results) == 0:
				logger.Warn("location missing from the vote: no valid result in its file", "location", name, "skipped_lines", skipped)
			case skipped > 0:
				logger.Warn("results file has bad lines; they were skipped", "location", name, "skipped_lines", skipped)
			}
			all = append(all, results...)
		}
		return all
	}
}

// readResults reads one location's probe file. A line that is not a valid
// result, or that another location wrote, is skipped and counted.
func readResults(path, location string) (results []uptime.Result, skipped int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		r, ok := history.DecodeLine(line)
		if !ok || r.Location != location {
			skipped++
			continue
		}
		results = append(results, r)
	}
	return results, skipped, nil
}

// warnUnknownFiles names results files no configured location owns: a
// renamed location, or a matrix out of step with services.toml.
func warnUnknownFiles(dir string, names []string, logger *slog.Logger) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		if !slices.Contains(names, name) {
			logger.Warn("results file ignored: no such [[location]]", "file", filepath.Base(f))
		}
	}
}
