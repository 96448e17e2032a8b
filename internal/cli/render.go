package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/runner"
	"github.com/Sefaria/statusgen/internal/site"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/templates"
)

func runRender(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "render", "Render the status site into --site from the history in --data,\nwithout checking anything or sending alerts. A notice that cannot be\nused is left out and reported.")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, code := loadConfig(e, g)
	if cfg == nil {
		return code
	}
	logger := newLogger(e)
	warn := func(err error) { logger.Warn("notice skipped", "err", err) }
	if err := newSiteRenderer(cfg, g.data, g.site, warn)(ctx, nil, time.Now()); err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(e.stdout, "rendered %s\n", g.site)
	return ExitOK
}

// newSiteRenderer renders the whole site from dataDir into siteDir as of
// now; a nil st is read from dataDir's state file. warn, when not nil,
// is told of each notice left out.
//
// It keeps the rollups of past days between calls (site.Loader), so each
// cycle re-reads only today's, and what it wrote (site.Renderer), so each
// render rewrites only the files that changed.
func newSiteRenderer(cfg *config.Config, dataDir, siteDir string, warn func(error)) func(ctx context.Context, st *tracker.State, now time.Time) error {
	var loader site.Loader
	var renderer site.Renderer // remembers what it wrote: later renders touch only changed files
	return func(ctx context.Context, st *tracker.State, now time.Time) error {
		if st == nil {
			var err error
			if st, err = tracker.Load(filepath.Join(dataDir, runner.StateFile)); err != nil {
				return fmt.Errorf("render: %w", err)
			}
		}
		in, err := loader.Load(cfg, dataDir, st, now)
		if err != nil {
			return fmt.Errorf("render: %w", err)
		}
		if warn != nil {
			for _, p := range in.NoticeProblems {
				warn(p)
			}
		}
		if err := renderer.Render(templates.FS, siteDir, in); err != nil {
			return fmt.Errorf("render: %w", err)
		}
		return nil
	}
}
