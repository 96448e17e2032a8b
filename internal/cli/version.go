package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are set at build time (make build and the
// Dockerfile do):
// go build -ldflags "-X github.com/Sefaria/statusgen/internal/cli.version=v1.2.3 -X ...cli.commit=abc123"
// Without them, the module version (go install ...@v1.2.3) and the VCS
// stamp of a build in a git clone stand in.
var (
	version = "dev"
	commit  = ""
)

// Version is the version statusgen reports and sends in its User-Agent.
func Version() string {
	if version == "dev" {
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
			return info.Main.Version
		}
	}
	return version
}

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
	fmt.Fprintf(e.stdout, "statusgen %s (commit %s, %s %s/%s)\n", Version(), buildCommit(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return ExitOK
}
