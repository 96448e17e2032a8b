package cli

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/Sefaria/statusgen/internal/alert"
	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/internal/site"
)

func runCheck(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "check", "Validate the configuration and print it resolved, secrets shown as <secret>;\nthen validate the notices in --data (syntax, service names).\nWith --slack, also send a test message to SLACK_WEBHOOK_URL.\nExits 2 when the configuration or a notice is invalid or --slack has no webhook, 1 when the test message fails.")
	g.withSettings(allSettings...)
	sendTest := fs.Bool("slack", false, "send one clearly labelled test message to the Slack webhook")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, code := loadConfig(e, g)
	if cfg == nil {
		return code
	}
	// Without a webhook, --slack cannot do what was asked: say so alone,
	// not after the whole configuration.
	if *sendTest && cfg.Slack.WebhookURL == "" {
		fmt.Fprintln(e.stderr, "statusgen: check --slack: no Slack webhook configured: set SLACK_WEBHOOK_URL")
		return ExitUsage
	}
	if err := cfg.Print(e.stdout); err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return ExitFailed
	}
	if !checkNotices(e, cfg, g.data) {
		return ExitUsage
	}
	if !*sendTest {
		return ExitOK
	}
	s := &alert.Slack{
		WebhookURL:    cfg.Slack.WebhookURL,
		Channel:       cfg.Slack.Channel,
		StatusPageURL: cfg.Settings.StatusPageURL,
		Logger:        newLogger(e),
		HTTPClient:    &http.Client{Transport: apiTransport(cfg)},
	}
	// The error never contains the webhook URL (alert redacts it).
	if err := s.SendTest(ctx); err != nil {
		fmt.Fprintf(e.stderr, "statusgen: check --slack: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintln(e.stdout, "slack: test message sent; look for it in the channel")
	return ExitOK
}

// checkNotices validates the notices in dataDir/notices against the
// configured services, as a runner would read them, and prints each
// problem with its file and line. A runner skips such a notice (and
// says so in its log); check makes it an error to fix before it ships.
func checkNotices(e env, cfg *config.Config, dataDir string) bool {
	dir := filepath.Join(dataDir, site.NoticesDir)
	names := make([]string, len(cfg.Services))
	for i, svc := range cfg.Services {
		names[i] = svc.Name
	}
	notices, problems := notice.LoadDir(dir, names)
	for _, p := range problems {
		fmt.Fprintf(e.stderr, "statusgen: check: %v\n", p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(e.stderr, "statusgen: check: %d notice(s) in %s cannot be used; a runner would skip them\n", len(problems), dir)
		return false
	}
	fmt.Fprintf(e.stdout, "\n# notices: %d in %s, all valid\n", len(notices), dir)
	return true
}
