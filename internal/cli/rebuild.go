package cli

import (
	"context"
	"fmt"

	"github.com/Sefaria/statusgen/internal/history"
)

// runRebuild recomputes the daily rollups from the raw check files. A cycle
// only folds its own results into them, so after lines were merged into
// data/checks/ from elsewhere (deploy/commit-data.sh does, when a
// scheduled run's push lost a race) the rollups would miss those lines
// until rebuilt.
func runRebuild(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "rebuild", "Recompute the daily rollups in --data from the raw check files, e.g. after\n"+
		"lines were merged into them. A day whose raw file was pruned keeps its rollup.")
	g.withSettings("interval")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, code := loadConfig(e, g)
	if cfg == nil {
		return code
	}
	lock, code := lockData(e, g.data)
	if lock == nil {
		return code
	}
	defer lock.Release()
	st, err := history.New(g.data).RebuildRollups(cfg.Settings.Interval)
	if err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(e.stdout, "rebuilt the rollups of %d day(s) from %d check line(s)", st.Files, st.Lines)
	if st.Skipped > 0 {
		fmt.Fprintf(e.stdout, "; %d unreadable line(s) skipped", st.Skipped)
	}
	fmt.Fprintln(e.stdout)
	return ExitOK
}
