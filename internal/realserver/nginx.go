package realserver

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Nginx runs Debian's nginx in the foreground with a main configuration
// around http, the contents of its http {} block (server blocks, usually
// one per port), and waits until every address in addrs accepts
// connections. Temporary files, the pid file and the error log (to the
// test's output) stay out of /var and /run, so it needs no installed
// configuration and no system service.
func Nginx(t testing.TB, http string, addrs ...string) {
	t.Helper()
	bin := Tool(t, "nginx", "nginx")
	dir := t.TempDir()
	var conf strings.Builder
	conf.WriteString("daemon off;\nworker_processes 1;\nerror_log stderr warn;\n")
	conf.WriteString("pid " + filepath.Join(dir, "nginx.pid") + ";\n")
	if asRoot() {
		// The workers would otherwise run as nobody, who cannot read the
		// test's private temporary folder.
		conf.WriteString("user root;\n")
	}
	conf.WriteString("events { worker_connections 512; }\nhttp {\n")
	conf.WriteString("access_log off;\ndefault_type text/plain;\n")
	for _, tmp := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		conf.WriteString(tmp + "_temp_path " + filepath.Join(dir, tmp) + ";\n")
	}
	conf.WriteString(http)
	conf.WriteString("\n}\n")
	path := filepath.Join(dir, "nginx.conf")
	writeFile(t, path, conf.String())
	// -e: the error log before the configuration is read, else
	// /var/log/nginx/error.log; -p: the prefix for relative paths.
	Start(t, "nginx", exec.Command(bin, "-e", "stderr", "-p", dir, "-c", path), addrs...)
}
