package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/history"
	"github.com/Sefaria/statusgen/internal/runner"
	"github.com/Sefaria/statusgen/internal/tracker"
)

func runPrune(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "prune", "Remove raw check files older than retention_days (HEALTH_CHECK_RETENTION_DAYS),\n"+
		"and rollups and incidents.jsonl lines older than incident_retention_days. Today's\n"+
		"file and files not named by a date are never removed. Prints what went.")
	g.withSettings("interval", "retention-days")
	dryRun := fs.Bool("dry-run", false, "print what would be removed and change nothing")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, code := loadConfig(e, g)
	if cfg == nil {
		return code
	}
	// A dry run writes nothing, not even the lock file, so it can run
	// beside a runner.
	if !*dryRun {
		lock, code := lockData(e, g.data)
		if lock == nil {
			return code
		}
		defer lock.Release()
	}
	now := time.Now().UTC()
	rep, err := prune(g.data, cfg, now, *dryRun)
	printPrune(e, g.data, rep, *dryRun)
	if err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return ExitFailed
	}
	if *dryRun {
		return ExitOK
	}
	statePath := filepath.Join(g.data, runner.StateFile)
	st, err := tracker.Load(statePath)
	if err == nil {
		st.LastPrune = now
		err = st.Save(statePath)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "statusgen: record the prune: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

// lockData takes the runner's lock on dataDir; on failure it prints why
// and returns the exit code (ExitLocked when another runner holds it).
func lockData(e env, dataDir string) (*runner.Lock, int) {
	lock, err := runner.AcquireLock(dataDir)
	if err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		if errors.Is(err, runner.ErrLocked) {
			return nil, ExitLocked
		}
		return nil, ExitFailed
	}
	return lock, ExitOK
}

// prune applies the configured retention to dataDir as of now.
func prune(dataDir string, cfg *config.Config, now time.Time, dryRun bool) (history.PruneReport, error) {
	keep := history.Retention{Checks: cfg.Settings.RetentionDays, Incidents: cfg.Settings.IncidentRetentionDays}
	return history.New(dataDir).PruneAll(now, keep, cfg.Settings.Interval, dryRun)
}

func printPrune(e env, dataDir string, rep history.PruneReport, dryRun bool) {
	verb, total := "removed", "pruned"
	if dryRun {
		verb, total = "would remove", "dry run: would prune"
	}
	for _, f := range rep.Files {
		fmt.Fprintf(e.stdout, "%s %s (%s)\n", verb, filepath.Join(dataDir, filepath.FromSlash(f.Path)), bytesText(f.Bytes))
	}
	if rep.IncidentLines > 0 {
		fmt.Fprintf(e.stdout, "%s %d lines of %s (%s)\n", verb, rep.IncidentLines,
			filepath.Join(dataDir, history.IncidentsFile), bytesText(rep.IncidentBytes))
	}
	for _, name := range rep.Left {
		fmt.Fprintf(e.stdout, "left %s: not named by a date\n", filepath.Join(dataDir, filepath.FromSlash(name)))
	}
	fmt.Fprintf(e.stdout, "%s %d files and %d incident lines, %s\n", total, len(rep.Files), rep.IncidentLines, bytesText(rep.Bytes()))
}

// bytesText is n in bytes, with a rounded unit beside it once it is large.
func bytesText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d bytes, %.1f MiB", n, float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d bytes, %.1f KiB", n, float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
