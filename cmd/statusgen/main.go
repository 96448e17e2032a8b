// Command statusgen is an uptime monitor and static status-site generator.
// See the README; everything happens in internal/cli.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/Sefaria/statusgen/internal/cli"
)

func main() {
	os.Exit(run())
}

func run() int {
	// STATUSGEN_CPUPROFILE is for measuring the runner under a real load
	// (docs/performance.md): a CPU profile of the whole process, written
	// when it exits, as `go tool pprof` reads it.
	if path := os.Getenv("STATUSGEN_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "statusgen: STATUSGEN_CPUPROFILE: %v\n", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "statusgen: STATUSGEN_CPUPROFILE: %v\n", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	code := cli.Run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	// STATUSGEN_MEMPROFILE: the heap as the last collection before the exit
	// found it, so still the running process's, not an empty one's.
	if path := os.Getenv("STATUSGEN_MEMPROFILE"); path != "" {
		if err := writeHeapProfile(path); err != nil {
			fmt.Fprintf(os.Stderr, "statusgen: STATUSGEN_MEMPROFILE: %v\n", err)
		}
	}
	return code
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
