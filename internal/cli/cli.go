// Package cli is statusgen's command line: it parses subcommands and flags,
// wires the packages together and turns outcomes into exit codes. It is the
// only place that knows about all the others.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/Sefaria/statusgen/internal/config"
)

// Exit codes, as the README documents them.
const (
	ExitOK     = 0 // done; a service being down is a result, not an error
	ExitFailed = 1 // operational failure: history or state not written, alerts not delivered
	ExitUsage  = 2 // usage or configuration error
	ExitLocked = 3 // another runner holds the lock
)

// env is what every command reads from its surroundings.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) int
}

func commands() []command {
	return []command{
		{"once", "run one cycle: check, record, track, alert", runOnce},
		{"run", "run a cycle every interval until SIGINT/SIGTERM", runLoop},
		{"probe", "check every service from one [[location]] into a results file (CI)", runProbe},
		{"agent", "serve one [[location]]'s checks to a deciding run (and blackbox_exporter's /probe)", runAgent},
		{"prune", "drop history older than the retention windows (--dry-run to preview)", runPrune},
		{"rebuild", "recompute the daily rollups from the raw check files", runRebuild},
		{"publish", "publish the site (and data) to the [publish] target now", runPublish},
		{"check", "validate the configuration and print it resolved (secrets redacted)", runCheck},
		{"render", "render the site from the history, without checking", runRender},
		{"serve", "serve the generated site locally for a preview", runServe},
		{"version", "print the version, commit and Go version", runVersion},
	}
}

// Run runs statusgen with args (without the program name) and returns the
// process exit code. Everything environmental is a parameter so tests run
// the whole program in parallel without touching the real environment.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "statusgen: unknown command %q\n\n", name)
	usage(stderr)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "statusgen: uptime monitor and static status-site generator")
	fmt.Fprintln(w, "\nUsage: statusgen <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --config, --data and --site; 'statusgen <command> --help' lists its flags.")
}

// globalFlags are the flags every command takes, and the setting flags
// (--interval, …) of the commands that use those settings.
type globalFlags struct {
	config string
	data   string
	site   string
	// results is once's --results folder: the cycle's checks come from the
	// locations' probe files there instead of from this machine.
	results string

	fs       *flag.FlagSet
	settings map[string]bool // the setting flags this command takes
}

// settingUsage explains each setting flag; config.FlagNames says which
// setting and variable it overrides.
var settingUsage = map[string]string{
	"interval":          "check every `duration` (\"90s\", or seconds)",
	"retries":           "`attempts` per check, the first included",
	"retry-delay":       "wait this `duration` between attempts (\"5s\", or seconds)",
	"failure-threshold": "alert after this many consecutive failed `cycles`",
	"retention-days":    "keep raw check files this many `days`",
	"status-page-url":   "the public status page's `URL`, linked from alerts",
}

// allSettings are the setting flags of the commands that check: all of them.
var allSettings = []string{"interval", "retries", "retry-delay", "failure-threshold", "retention-days", "status-page-url"}

// withSettings adds the setting flags names to g's command. They override
// the environment (and the file); config applies them.
func (g *globalFlags) withSettings(names ...string) {
	for _, f := range config.FlagNames {
		for _, name := range names {
			if f.Name == name {
				g.fs.String(name, "", settingUsage[name]+"; wins over "+f.Env+" and [settings] "+f.Setting)
				g.settings[name] = true
			}
		}
	}
}

// settingFlags are the setting flags given on the command line.
func (g *globalFlags) settingFlags() []config.Flag {
	if g.fs == nil { // built by hand, without a command line
		return nil
	}
	var out []config.Flag
	g.fs.Visit(func(f *flag.Flag) {
		if g.settings[f.Name] {
			out = append(out, config.Flag{Name: f.Name, Value: f.Value.String()})
		}
	})
	return out
}

func newFlagSet(e env, name, synopsis string) (*flag.FlagSet, *globalFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	g := &globalFlags{fs: fs, settings: map[string]bool{}}
	fs.StringVar(&g.config, "config", "services.toml", "the services and settings `file`")
	fs.StringVar(&g.data, "data", "data", "the history `folder`")
	fs.StringVar(&g.site, "site", "site", "the generated site `folder`")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: statusgen %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs, g
}

// parseFlags parses args; done is true when the command should return code
// at once (help was asked for, or the flags were wrong).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(io.Discard)
		return ExitOK, true
	case err != nil:
		return ExitUsage, true
	case fs.NArg() > 0:
		fmt.Fprintf(fs.Output(), "statusgen %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return ExitUsage, true
	}
	return ExitOK, false
}

// loadConfig reads the configuration with the command's setting flags; on
// error it prints every problem, each on its own line, and gives the exit
// code to return.
func loadConfig(e env, g *globalFlags) (*config.Config, int) {
	cfg, err := config.Load(g.config, e.getenv, g.settingFlags()...)
	if err != nil {
		printErrors(e, "statusgen: ", err)
		return nil, ExitUsage
	}
	if code := checkLanguages(e, cfg); code != ExitOK {
		return nil, code
	}
	return cfg, ExitOK
}

// printErrors writes err to stderr, one line starting with prefix for each
// error it joins, so that every problem reads as statusgen's.
func printErrors(e env, prefix string, err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, err := range errs {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(e.stderr, "%s%s\n", prefix, line)
		}
	}
}

// newLogger logs to stderr as text, or JSON with LOG_FORMAT=json; debug
// lines appear with DEBUG=true.
func newLogger(e env) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	switch strings.ToLower(strings.TrimSpace(e.getenv("DEBUG"))) {
	case "1", "true", "yes", "on":
		opts.Level = slog.LevelDebug
	}
	if strings.EqualFold(strings.TrimSpace(e.getenv("LOG_FORMAT")), "json") {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}
