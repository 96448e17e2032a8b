package cli

import (
	"context"
	"fmt"

	"github.com/Sefaria/statusgen/internal/alert"
)

func runCheck(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "check", "Validate the configuration and print it resolved, secrets shown as <secret>.\nWith --slack, also send a test message to SLACK_WEBHOOK_URL.\nExits 2 when the configuration is invalid or --slack has no webhook, 1 when the test message fails.")
	sendTest := fs.Bool("slack", false, "send one clearly labelled test message to the Slack webhook")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, code := loadConfig(e, g)
	if cfg == nil {
		return code
	}
	if err := cfg.Print(e.stdout); err != nil {
		fmt.Fprintf(e.stderr, "statusgen: %v\n", err)
		return ExitFailed
	}
	if !*sendTest {
		return ExitOK
	}
	if cfg.Slack.WebhookURL == "" {
		fmt.Fprintln(e.stderr, "statusgen: check --slack: no Slack webhook configured: set SLACK_WEBHOOK_URL")
		return ExitUsage
	}
	s := &alert.Slack{
		WebhookURL:    cfg.Slack.WebhookURL,
		Channel:       cfg.Slack.Channel,
		StatusPageURL: cfg.Settings.StatusPageURL,
		Logger:        newLogger(e),
	}
	// The error never contains the webhook URL (alert redacts it).
	if err := s.SendTest(ctx); err != nil {
		fmt.Fprintf(e.stderr, "statusgen: check --slack: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintln(e.stdout, "slack: test message sent; look for it in the channel")
	return ExitOK
}
