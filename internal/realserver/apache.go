package realserver

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// apacheModules is where Debian's apache2 keeps its modules.
const apacheModules = "/usr/lib/apache2/modules"

// Apache runs Debian's apache2 in the foreground with a configuration of
// its own, conf, after the lines that every configuration needs and the
// LoadModule lines of modules (names like "deflate", for mod_deflate.so,
// besides the event MPM and authz_core, which are always loaded), and
// waits until every address in addrs accepts connections. It reads
// nothing of /etc/apache2; its files are served as nobody when the test
// runs as root (see PublicDir).
func Apache(t testing.TB, conf string, modules []string, addrs ...string) {
	t.Helper()
	bin := Tool(t, "apache2", "apache2")
	dir := t.TempDir()
	var c strings.Builder
	c.WriteString("ServerRoot " + dir + "\n")
	c.WriteString("DefaultRuntimeDir " + dir + "\n")
	c.WriteString("PidFile " + filepath.Join(dir, "httpd.pid") + "\n")
	c.WriteString("ErrorLog /dev/stderr\nLogLevel warn\nServerName localhost\n")
	for _, m := range append([]string{"mpm_event", "authz_core"}, modules...) {
		c.WriteString("LoadModule " + m + "_module " + filepath.Join(apacheModules, "mod_"+m+".so") + "\n")
	}
	if asRoot() {
		c.WriteString("User nobody\nGroup nogroup\n")
	}
	c.WriteString(conf)
	path := filepath.Join(dir, "httpd.conf")
	writeFile(t, path, c.String())
	Start(t, "apache2", exec.Command(bin, "-f", path, "-DFOREGROUND"), addrs...)
}
