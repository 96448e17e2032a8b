package cli

import (
	"context"
	"fmt"
)

func runCheck(ctx context.Context, e env, args []string) int {
	fs, g := newFlagSet(e, "check", "Validate the configuration and print it resolved, secrets shown as <secret>.\nExits 2 when the configuration is invalid.")
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
	return ExitOK
}
