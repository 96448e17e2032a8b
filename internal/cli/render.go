package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/runner"
	"github.com/Sefaria/statusgen/internal/site"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/templates"
)

// renderLockWait is how long a render waits for another one writing the
// same site (a runner's, or a `render` beside a runner) to finish.
const renderLockWait = time.Minute

func runRender(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "render", "Render the status site into --site from the history in --data,\nwithout checking anything or sending alerts. It may run beside a runner:\nit reads the files the runner replaces whole and waits for a render in\nprogress. A notice that cannot be used is left out and reported.")
	g.withSettings("interval", "status-page-url")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, code := loadConfig(e, g)
	if cfg == nil {
		return code
	}
	logger := newLogger(e)
	warn := func(err error) { logger.Warn("notice skipped", "err", err) }
	if err := newSiteRenderer(cfg, g.data, g.site, warn, nil)(ctx, nil, time.Now()); err != nil {
		fmt.Fprintf(e.stderr, "statusgen: render: %v\n", err)
		if errors.Is(err, runner.ErrLocked) {
			return ExitLocked
		}
		return ExitFailed
	}
	fmt.Fprintf(e.stdout, "rendered %s\n", g.site)
	return ExitOK
}

// newSiteRenderer renders the whole site from dataDir into siteDir as of
// now; a nil st is read from dataDir's state file. It holds the data
// folder's render lock (runner.AcquireRenderLock) while it reads and
// writes, so a `render` beside a runner neither fails nor tears the
// runner's site: the state file is replaced whole and history only grows
// by whole lines, so what it reads is consistent without the runner's
// lock. warn, when not nil, is told of each notice left out. Its errors
// are for the caller to prefix with "render".
//
// It keeps the rollups of past days between calls (site.Loader), so each
// cycle re-reads only today's, and what it wrote (site.Renderer), so each
// render rewrites only the files that changed. loaded, when not nil, is
// given what each render loaded, before it renders.
func newSiteRenderer(cfg *config.Config, dataDir, siteDir string, warn func(error), loaded func(site.Input)) func(ctx context.Context, st *tracker.State, now time.Time) error {
	var loader site.Loader
	var renderer site.Renderer // remembers what it wrote: later renders touch only changed files
	return func(ctx context.Context, st *tracker.State, now time.Time) error {
		lctx, cancel := context.WithTimeout(ctx, renderLockWait)
		lock, err := runner.AcquireRenderLock(lctx, dataDir)
		cancel()
		if err != nil {
			return err
		}
		defer lock.Release()
		if st == nil {
			if st, err = tracker.Load(filepath.Join(dataDir, runner.StateFile)); err != nil {
				return err
			}
		}
		in, err := loader.Load(cfg, dataDir, st, now)
		if err != nil {
			return err
		}
		if loaded != nil {
			loaded(in)
		}
		if warn != nil {
			for _, p := range in.NoticeProblems {
				warn(p)
			}
		}
		return renderer.Render(templates.FS, siteDir, in)
	}
}
