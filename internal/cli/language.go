package cli

import (
	"fmt"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/site"
	"github.com/Sefaria/statusgen/templates"
)

// checkLanguages refuses [site] languages the embedded templates have no
// phrase table for, as a configuration error: the config package checks
// that a code looks like one, the templates know which they can render.
func checkLanguages(e env, cfg *config.Config) int {
	if err := site.CheckLanguages(templates.FS, cfg.Site.Languages); err != nil {
		fmt.Fprintf(e.stderr, "statusgen: config %s: site.languages: %v\n", cfg.Path, err)
		return ExitUsage
	}
	return ExitOK
}
