package publish

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// versionedSite writes a site of n pages, each naming version v and ending
// in a marker, so a reader can tell a whole page from a partial one.
func versionedSite(t *testing.T, dir string, v, n int) {
	t.Helper()
	for i := range n {
		page := fmt.Sprintf("v%d page %d\n%s\nEND\n", v, i, strings.Repeat("x", 8<<10))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%02d.html", i)), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDirPublishIsAtomic(t *testing.T) {
	const pages, publishes = 12, 40
	root := t.TempDir()
	target := filepath.Join(root, "public", "status")
	d := Dir{Dir: target}
	site := t.TempDir()
	versionedSite(t, site, 0, pages)
	if err := d.Publish(context.Background(), "", site, ""); err != nil {
		t.Fatalf("first Publish: %v", err)
	}

	var (
		stop    atomic.Bool
		reads   atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		readErr error
	)
	fail := func(err error) { errOnce.Do(func() { readErr = err }) }
	wg.Go(func() {
		for !stop.Load() {
			entries, err := os.ReadDir(target)
			if err != nil {
				fail(fmt.Errorf("ReadDir(%s) = %v during a publish", target, err))
				return
			}
			if len(entries) != pages {
				fail(fmt.Errorf("ReadDir(%s) = %d entries during a publish, want %d", target, len(entries), pages))
				return
			}
			for i := range pages {
				b, err := os.ReadFile(filepath.Join(target, fmt.Sprintf("p%02d.html", i)))
				if err != nil || !strings.HasPrefix(string(b), "v") || !strings.HasSuffix(string(b), "END\n") {
					fail(fmt.Errorf("page %d during a publish = %d bytes, %v, want a whole page", i, len(b), err))
					return
				}
			}
			reads.Add(1)
		}
	})
	for v := 1; v <= publishes; v++ {
		versionedSite(t, site, v, pages)
		if err := d.Publish(context.Background(), "", site, ""); err != nil {
			t.Fatalf("Publish v%d: %v", v, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	t.Logf("%d whole reads during %d publishes", reads.Load(), publishes)
	if reads.Load() == 0 {
		t.Fatal("the reader never completed a read; the test proved nothing")
	}
	b, err := os.ReadFile(filepath.Join(target, "p00.html"))
	if err != nil || !strings.HasPrefix(string(b), fmt.Sprintf("v%d ", publishes)) {
		t.Errorf("after the last publish, p00.html = %.10q, %v, want version %d", b, err, publishes)
	}
	copies, _ := filepath.Glob(filepath.Join(root, "public", ".status-*"))
	if len(copies) != 2 {
		t.Errorf("copies beside the target = %v, want 2 (current and previous)", copies)
	}
	if fi, err := os.Stat(filepath.Join(target)); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("Stat(target) = %v, %v, want a folder readable by a web server (0755)", fi, err)
	}
}

func TestDirPublishFirstTime(t *testing.T) {
	site := t.TempDir()
	versionedSite(t, site, 1, 2)
	if err := os.MkdirAll(filepath.Join(site, "svc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(site, "svc", "a.html"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		prepare func(target string)
		wantErr string
	}{
		{"missing", func(string) {}, ""},
		{"empty folder", func(target string) { os.Mkdir(target, 0o755) }, ""},
		{"folder with content", func(target string) {
			os.Mkdir(target, 0o755)
			os.WriteFile(filepath.Join(target, "mine.txt"), []byte("mine"), 0o644)
		}, "it is a folder statusgen did not make"},
		{"a file", func(target string) { os.WriteFile(target, []byte("x"), 0o644) }, "it exists and is not a folder"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "status")
			c.prepare(target)
			err := Dir{Dir: target}.Publish(context.Background(), "", site, "")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("Publish = %v, want an error containing %q", err, c.wantErr)
				}
				if copies, _ := filepath.Glob(filepath.Join(filepath.Dir(target), ".status-*")); len(copies) != 0 {
					t.Errorf("a refused Publish left copies %v", copies)
				}
				return
			}
			if err != nil {
				t.Fatalf("Publish = %v", err)
			}
			if b, err := os.ReadFile(filepath.Join(target, "svc", "a.html")); err != nil || string(b) != "a" {
				t.Errorf("svc/a.html = %q, %v, want %q", b, err, "a")
			}
		})
	}
}

func TestDirPublishMissingSite(t *testing.T) {
	root := t.TempDir()
	err := Dir{Dir: filepath.Join(root, "status")}.Publish(context.Background(), "", filepath.Join(root, "nope"), "")
	if err == nil {
		t.Fatal("Publish of a missing site = nil, want an error")
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("a failed Publish left %v", entries)
	}
}
