package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// STATUSGEN_CPUPROFILE and STATUSGEN_MEMPROFILE leave profiles that go
// tool pprof reads (gzip-compressed protocol buffers) when the command
// exits, and a profile that cannot be written stops the command at once.
func TestProfilesWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "statusgen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "STATUSGEN_CPUPROFILE="+cpu, "STATUSGEN_MEMPROFILE="+mem)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("statusgen version: %v\n%s", err, out)
	}
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
			t.Errorf("%s: %d bytes, not a gzip-compressed profile", filepath.Base(p), len(b))
		}
	}

	cmd = exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "STATUSGEN_CPUPROFILE="+filepath.Join(dir, "missing", "cpu.prof"))
	out, err := cmd.CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("STATUSGEN_CPUPROFILE")) {
		t.Errorf("an unwritable profile: err %v, output %q; want a failure naming STATUSGEN_CPUPROFILE", err, out)
	}
}
