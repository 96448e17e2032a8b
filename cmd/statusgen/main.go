// Command statusgen is an uptime monitor and static status-site generator.
// See the README; everything happens in internal/cli.
package main

import (
	"context"
	"os"

	"github.com/Sefaria/statusgen/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
