package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/runner"
	"github.com/Sefaria/statusgen/internal/tracker"
)

const renderConfig = `[settings]
title = "Render Test"
[[service]]
name = "web"
url = "https://www.example.org/healthz"
`

func TestRenderWritesTheSiteFromData(t *testing.T) {
	w := newWorkspace(t, renderConfig)
	// A sibling of --site that a render must leave alone.
	if err := os.WriteFile(filepath.Join(w.dir, "keep.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := w.run(t, nil, "render")
	if code != ExitOK {
		t.Fatalf("render = %d, want 0; stderr: %s", code, stderr)
	}
	if !strings.Contains(stdout, "rendered") {
		t.Errorf("render stdout = %q, want it to say what it rendered", stdout)
	}
	for _, name := range []string{"index.html", "services/web.html", "status.json", "api/v2/summary.json", "feed.atom", "badges/web.svg", "style.css"} {
		if _, err := os.Stat(filepath.Join(w.site, name)); err != nil {
			t.Errorf("after render: %v", err)
		}
	}
	index, _ := os.ReadFile(filepath.Join(w.site, "index.html"))
	if !strings.Contains(string(index), "No data yet") {
		t.Errorf("index.html of a monitor that checked nothing lacks %q", "No data yet")
	}
	if _, err := os.Stat(filepath.Join(w.dir, "keep.txt")); err != nil {
		t.Errorf("render touched a sibling of --site: %v", err)
	}

	// A broken notice is left out and reported with its file and line; the
	// site is still rendered.
	if err := os.MkdirAll(filepath.Join(w.data, "notices"), 0o755); err != nil {
		t.Fatal(err)
	}
	bad := "+++\ntitle = \"x\"\nkind = \"soon\"\nstart = 2026-01-01T00:00:00Z\n+++\n"
	if err := os.WriteFile(filepath.Join(w.data, "notices", "bad.md"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = w.run(t, nil, "render")
	if code != ExitOK || !strings.Contains(stderr, "bad.md:3:") {
		t.Errorf("render with a bad notice = %d, stderr %q; want 0 and a warning naming bad.md:3", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(w.site, "index.html")); err != nil {
		t.Errorf("render with a bad notice left no site: %v", err)
	}
}

func TestServeServesTheSite(t *testing.T) {
	w := newWorkspace(t, renderConfig)
	if code, _, stderr := w.run(t, nil, "render"); code != ExitOK {
		t.Fatalf("render: %s", stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--site", w.site, "--addr", "127.0.0.1:0"}, func(string) string { return "" }, outW, io.Discard)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v", err)
	}
	go io.Copy(io.Discard, outR)
	_, url, ok := strings.Cut(strings.TrimSpace(line), " at ")
	url, _, _ = strings.Cut(url, " ")
	if !ok {
		t.Fatalf("serve said %q, want its address", line)
	}
	for path, wantType := range map[string]string{"": "text/html", "feed.atom": "application/atom+xml", "style.css": "text/css", "badges/web.svg": "image/svg+xml"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), wantType) {
			t.Errorf("GET /%s = %d %s, want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), wantType)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("serve after cancel = %d, want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop when its context ended")
	}
}

func TestEveryNthRender(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{1, "1111111"}, {2, "1010101"}, {3, "1001001"}} {
		var got strings.Builder
		rendered := false
		render := everyNth(tc.n, func(context.Context, *tracker.State) error { rendered = true; return nil })
		for range 7 {
			rendered = false
			if err := render(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			got.WriteString(map[bool]string{true: "1", false: "0"}[rendered])
		}
		if got.String() != tc.want {
			t.Errorf("every %d: rendered on calls %s, want %s", tc.n, got.String(), tc.want)
		}
	}
}

// TestRenderBesideARunner: `render` may run while a runner holds the data
// folder's lock (as `run` does for good): it neither fails on that lock nor
// writes the site while another render does. Renders of the same site at
// once take turns, so none of them fails on the other's temporary folders.
func TestRenderBesideARunner(t *testing.T) {
	f := newFakeSefaria(t)
	w := newWorkspace(t, f.config())
	if code, _, errOut := w.run(t, nil, "once"); code != ExitOK {
		t.Fatalf("once: exit %d: %s", code, errOut)
	}
	runnerLock, err := runner.AcquireLock(w.data)
	if err != nil {
		t.Fatal(err)
	}
	defer runnerLock.Release()

	t.Run("waits for a render in progress", func(t *testing.T) {
		held, err := runner.AcquireRenderLock(context.Background(), w.data)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan int, 1)
		var errOut string
		go func() {
			var code int
			code, _, errOut = w.run(t, nil, "render")
			done <- code
		}()
		select {
		case code := <-done:
			held.Release()
			t.Fatalf("render finished (exit %d) while another render held the site: %s", code, errOut)
		case <-time.After(300 * time.Millisecond):
		}
		held.Release()
		select {
		case code := <-done:
			if code != ExitOK {
				t.Errorf("render after the other finished: exit %d: %s", code, errOut)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("render did not go on once the other render finished")
		}
	})

	t.Run("renders at once take turns", func(t *testing.T) {
		const renders = 4
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failures []string
		for i := range renders {
			wg.Go(func() {
				for range 5 {
					if code, _, errOut := w.run(t, nil, "render"); code != ExitOK {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("render %d: exit %d: %s", i, code, errOut))
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if len(failures) > 0 {
			t.Errorf("%d of %d renders at once failed:\n%s", len(failures), renders*5, strings.Join(failures, "\n"))
		}
		for _, name := range []string{"index.html", "services/web.html", "services/linker.html", "status.json"} {
			if _, err := os.Stat(filepath.Join(w.site, name)); err != nil {
				t.Errorf("after renders at once: %v", err)
			}
		}
	})
}
