package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are set at build time:
// go build -ldflags "-X github.com/Sefaria/statusgen/internal/cli.version=v1.2.3 -X ...cli.commit=abc123"
var (
	version = "dev"
	commit  = ""
)

// Version is the version statusgen reports and sends in its User-Agent.
func Version() string { return version }

func buildCommit() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func runVersion(ctx context.Context, e env, args []string) int {
	fs, _ := newFlagSet(e, "version", "Print the version, commit and Go version.")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	fmt.Fprintf(e.stdout, "statusgen %s (commit %s, %s %s/%s)\n", version, buildCommit(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return ExitOK
}
