package realserver

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
)

// Caddy runs Debian's caddy in the foreground with a JSON configuration
// whose "apps" are apps, and waits until every address in addrs accepts
// connections. Its admin endpoint is off (its fixed port 2019 would
// clash with another Caddy) and its storage, home and configuration
// folders are the test's, so it touches nothing of the user's.
func Caddy(t testing.TB, apps map[string]any, addrs ...string) {
	t.Helper()
	bin := Tool(t, "caddy", "caddy")
	dir := t.TempDir()
	conf, err := json.MarshalIndent(map[string]any{
		"admin":   map[string]any{"disabled": true},
		"storage": map[string]any{"module": "file_system", "root": filepath.Join(dir, "storage")},
		"logging": map[string]any{"logs": map[string]any{"default": map[string]any{"level": "WARN"}}},
		"apps":    apps,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "caddy.json")
	writeFile(t, path, string(conf))
	cmd := exec.Command(bin, "run", "--config", path)
	cmd.Env = []string{"HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "PATH=/usr/bin:/bin"}
	Start(t, "caddy", cmd, addrs...)
}
