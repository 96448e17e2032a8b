package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// BenchmarkColdStart1000 is what `statusgen once` pays before its first
// check with 1,000 services: parse and validate services.toml, then load
// a state.json that knows every service. The network is not included.
func BenchmarkColdStart1000(b *testing.B) {
	const services = 1000
	dir := b.TempDir()
	var toml strings.Builder
	toml.WriteString("[settings]\ntitle = \"Bench\"\ninterval = \"60s\"\n")
	st := tracker.New()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for i := range services {
		name := fmt.Sprintf("svc-%04d", i)
		fmt.Fprintf(&toml, "[[service]]\nname = %q\nurl = \"https://example.org/healthz/%d\"\nexpect_json = { allReady = true }\ntimeout = \"10s\"\n", name, i)
		st.Services[name] = &tracker.ServiceState{Status: uptime.Up, LastCheck: at, LastSuccess: at, LastCode: 200, LastMS: 87}
	}
	cfgPath := filepath.Join(dir, "services.toml")
	if err := os.WriteFile(cfgPath, []byte(toml.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := st.Save(filepath.Join(dir, StateFile)); err != nil {
		b.Fatal(err)
	}
	getenv := func(string) string { return "" }
	for b.Loop() {
		cfg, err := config.Load(cfgPath, getenv)
		if err != nil {
			b.Fatal(err)
		}
		r := &Runner{Config: cfg, DataDir: dir}
		if err := r.Open(); err != nil {
			b.Fatal(err)
		}
		if len(r.State().Services) != services {
			b.Fatalf("state holds %d services, want %d", len(r.State().Services), services)
		}
	}
}
