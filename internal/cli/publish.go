package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/google/go-github/v66/github"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/publish"
)

// publisher puts data/ and site/ where the configuration says.
type publisher interface {
	Publish(ctx context.Context, dataDir, siteDir, message string) error
}

var (
	_ publisher = publish.Dir{}
	_ publisher = (*publish.GitHub)(nil)
)

// errNoToken is a [publish] target = "github" without GITHUB_TOKEN.
var errNoToken = errors.New(`publish: target = "github" needs GITHUB_TOKEN`)

func runPublish(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "publish", "Publish --site (and, to GitHub, --data) to the [publish] target of the\n"+
		"configuration now, whatever publish_every says. Exits 1 when the publish fails.")
	g.withSettings("status-page-url")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, code := loadConfig(e, g)
	if cfg == nil {
		return code
	}
	logger := newLogger(e)
	p, err := newPublisher(cfg, logger)
	if err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return ExitUsage
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	lock, code := lockData(e, g.data)
	if lock == nil {
		return code
	}
	defer lock.Release()
	if err := p.Publish(ctx, g.data, g.site, "status: published by hand"); err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(e.stdout, "published to %s\n", publishTarget(cfg))
	return ExitOK
}

// newPublisher builds the configured publisher; nil without [publish].
func newPublisher(cfg *config.Config, logger *slog.Logger) (publisher, error) {
	p := cfg.Publish
	switch p.Target {
	case "dir":
		return publish.Dir{Dir: p.Dir}, nil
	case "github":
		client, owner, repo, err := githubClient(cfg)
		if err != nil {
			return nil, err
		}
		return &publish.GitHub{Client: client, Owner: owner, Repo: repo, Branch: p.Branch,
			PagesBranch: p.PagesBranch, PagesDir: p.PagesDir, Logger: logger}, nil
	case "":
		return nil, fmt.Errorf("publish: %s has no [publish] table; add one with target = \"dir\" or \"github\"", cfg.Path)
	}
	return nil, fmt.Errorf("publish: unknown target %q", p.Target)
}

// newIssues builds the outage issue tracker when [publish] issues = true;
// nil otherwise.
func newIssues(cfg *config.Config, logger *slog.Logger) (*publish.Issues, error) {
	if cfg.Publish.Target != "github" || !cfg.Publish.Issues {
		return nil, nil
	}
	client, owner, repo, err := githubClient(cfg)
	if err != nil {
		return nil, err
	}
	return &publish.Issues{Client: client, Owner: owner, Repo: repo,
		StatusPageURL: cfg.Settings.StatusPageURL, Logger: logger}, nil
}

// githubClient is a client sending GITHUB_TOKEN, and the repository.
func githubClient(cfg *config.Config) (*github.Client, string, string, error) {
	if cfg.GitHubToken == "" {
		return nil, "", "", errNoToken
	}
	owner, repo, ok := strings.Cut(cfg.Publish.Repo, "/")
	if !ok || owner == "" || repo == "" {
		return nil, "", "", fmt.Errorf("publish: repo %q must be \"owner/name\" (or set GITHUB_REPOSITORY)", cfg.Publish.Repo)
	}
	return publish.NewClientVia(cfg.GitHubToken, apiTransport(cfg)), owner, repo, nil
}

// publishTarget names where a publish went, for messages.
func publishTarget(cfg *config.Config) string {
	p := cfg.Publish
	if p.Target == "dir" {
		return p.Dir
	}
	if p.PagesDir != "" {
		return fmt.Sprintf("github.com/%s (branch %s, site in %s/)", p.Repo, p.Branch, strings.Trim(p.PagesDir, "/"))
	}
	return fmt.Sprintf("github.com/%s (data on %s, site on %s)", p.Repo, p.Branch, p.PagesBranch)
}
