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
	fs, g := newFlagSet(e, "render", "Render the status site into --site from the history in --data,\nwithout checking anything or sending alerts.")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, code := loadConfig(e, g)
	if cfg == nil {
		return code
	}
	if err := renderSite(cfg, g.data, g.site, nil, time.Now()); err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(e.stdout, "rendered %s\n", g.site)
	return ExitOK
}

// renderSite renders the whole site once from dataDir into siteDir as of
// now. A nil st is read from dataDir's state file.
func renderSite(cfg *config.Config, dataDir, siteDir string, st *tracker.State, now time.Time) error {
	return newSiteRenderer(cfg, dataDir, siteDir)(st, now)
}

// newSiteRenderer is renderSite for a runner: it keeps the rollups of past
// days between calls (site.Loader), so each cycle re-reads only today's,
// and what it wrote (site.Renderer), so each render rewrites only the
// files that changed.
func newSiteRenderer(cfg *config.Config, dataDir, siteDir string) func(st *tracker.State, now time.Time) error {
	var loader site.Loader
	var renderer site.Renderer // remembers what it wrote: later renders touch only changed files
	return func(st *tracker.State, now time.Time) error {
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
		if err := renderer.Render(templates.FS, siteDir, in); err != nil {
			return fmt.Errorf("render: %w", err)
		}
		return nil
	}
}
