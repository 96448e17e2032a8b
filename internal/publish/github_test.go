package publish

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const testToken = "ghp_s3cr3tT0k3nValue"

// tree writes files (slash paths → content) under a new folder.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sleeps records the waits asked for instead of waiting.
type sleeps struct{ waits []time.Duration }

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func newGitHub(f *fakeGitHub, s *sleeps) *GitHub {
	return &GitHub{Client: f.client(testToken), Owner: "o", Repo: "r", Sleep: s.sleep}
}

var (
	dataFiles = map[string]string{
		"state.json":               `{"version":1}` + "\n",
		"checks/2026-03-01.jsonl":  `{"service":"a"}` + "\n",
		"rollups/2026-03-01.json":  `{"date":"2026-03-01"}` + "\n",
		".lock":                    "123\n",
		"rollups/.x.json.tmp-1234": "half",
	}
	siteFiles = map[string]string{
		"index.html":     "<!doctype html>",
		"style.css":      "body{}",
		"svc/a.html":     "<p>a</p>",
		"badge/a.svg":    "<svg/>",
		".hidden/x.html": "no",
	}
)

func TestGitHubPublish(t *testing.T) {
	f := newFakeGitHub(t)
	first := f.seed("main", map[string]string{"README.md": "hello", "data/checks/2026-01-01.jsonl": "pruned locally\n"}, "init")
	f.seed("gh-pages", map[string]string{"CNAME": "status.example.org", "old.html": "gone"}, "pages")
	s := &sleeps{}
	g := newGitHub(f, s)
	dataDir, siteDir := tree(t, dataFiles), tree(t, siteFiles)

	if err := g.Publish(context.Background(), dataDir, siteDir, "🔴 a down"); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	wantMain := map[string]string{
		"README.md":                    "hello",
		"data/state.json":              dataFiles["state.json"],
		"data/checks/2026-03-01.jsonl": dataFiles["checks/2026-03-01.jsonl"],
		"data/rollups/2026-03-01.json": dataFiles["rollups/2026-03-01.json"],
	}
	if got := f.files("main"); !maps.Equal(got, wantMain) {
		t.Errorf("main after Publish = %v, want %v", got, wantMain)
	}
	wantPages := map[string]string{
		"CNAME": "status.example.org", ".nojekyll": "",
		"index.html": "<!doctype html>", "style.css": "body{}", "svc/a.html": "<p>a</p>", "badge/a.svg": "<svg/>",
	}
	if got := f.files("gh-pages"); !maps.Equal(got, wantPages) {
		t.Errorf("gh-pages after Publish = %v, want %v", got, wantPages)
	}
	if head := f.head("main"); head.message != "🔴 a down" || !slices.Equal(head.parents, []string{first}) {
		t.Errorf("main head = %+v, want message %q and parent %s", head, "🔴 a down", first)
	}
	if n := f.count(routeCreateCommit); n != 2 {
		t.Errorf("Publish made %d commits, want 2 (one per branch)", n)
	}
	if n := f.count(routeCreateBlob); n != 8 {
		t.Errorf("Publish created %d blobs, want 8 (3 data files, 4 site files and .nojekyll)", n)
	}
	if !f.auth["Bearer "+testToken] || len(f.auth) != 1 {
		t.Errorf("Authorization headers seen = %v, want only the bearer token", f.auth)
	}

	// One changed file: one blob, one commit on main, nothing on gh-pages.
	f.reset()
	if err := os.WriteFile(filepath.Join(dataDir, "state.json"), []byte(`{"version":1,"x":2}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := g.Publish(context.Background(), dataDir, siteDir, "status: all up"); err != nil {
		t.Fatalf("second Publish: %v", err)
	}
	if b, c := f.count(routeCreateBlob), f.count(routeCreateCommit); b != 1 || c != 1 {
		t.Errorf("second Publish created %d blobs and %d commits, want 1 and 1", b, c)
	}
	if got := f.files("main")["data/state.json"]; got != `{"version":1,"x":2}`+"\n" {
		t.Errorf("main data/state.json = %q, want the new content", got)
	}

	// Nothing changed: no commit at all.
	f.reset()
	if err := g.Publish(context.Background(), dataDir, siteDir, "status: all up"); err != nil {
		t.Fatalf("third Publish: %v", err)
	}
	if b, c, tr := f.count(routeCreateBlob), f.count(routeCreateCommit), f.count(routeCreateTree); b+c+tr != 0 {
		t.Errorf("unchanged Publish made %d blobs, %d trees, %d commits, want none", b, tr, c)
	}
	if len(s.waits) != 0 {
		t.Errorf("Publish slept %v, want no retries", s.waits)
	}
}

func TestGitHubPublishPagesDir(t *testing.T) {
	f := newFakeGitHub(t)
	f.seed("main", map[string]string{"README.md": "hello", "docs/old.html": "gone", "docs/CNAME": "status.example.org"}, "init")
	g := newGitHub(f, &sleeps{})
	g.PagesDir = "docs/"
	if err := g.Publish(context.Background(), tree(t, dataFiles), tree(t, siteFiles), "msg"); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	got := slices.Sorted(maps.Keys(f.files("main")))
	want := []string{"README.md", "data/checks/2026-03-01.jsonl", "data/rollups/2026-03-01.json", "data/state.json",
		"docs/CNAME", "docs/badge/a.svg", "docs/index.html", "docs/style.css", "docs/svc/a.html"}
	if !slices.Equal(got, want) {
		t.Errorf("main after Publish = %v, want %v", got, want)
	}
	if n := f.count(routeCreateCommit); n != 1 {
		t.Errorf("Publish made %d commits, want 1 holding data and site", n)
	}
	if _, ok := f.refs["heads/gh-pages"]; ok {
		t.Errorf("Publish created gh-pages, want the site in docs/ only")
	}
}

func TestGitHubPublishRefMovedMeanwhile(t *testing.T) {
	f := newFakeGitHub(t)
	f.seed("main", map[string]string{"README.md": "hello"}, "init")
	var theirs string
	f.beforeUpdateRef = func() { // runs with f.mu held
		theirs = f.seedLocked("main", map[string]string{"README.md": "hello, edited"}, "someone else's push")
	}
	g := newGitHub(f, &sleeps{})
	if err := g.Publish(context.Background(), tree(t, dataFiles), "", "msg"); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if n := f.count(routeUpdateRef); n != 2 {
		t.Errorf("ref updates = %d, want 2 (a 422, then success)", n)
	}
	if n := f.count(routeGetRef); n != 2 {
		t.Errorf("ref reads = %d, want 2 (the ref is re-read after the 422)", n)
	}
	if n := f.count(routeCreateBlob); n != 3 {
		t.Errorf("blobs created = %d, want 3: the rebuild reuses the first attempt's blobs", n)
	}
	head := f.head("main")
	if !slices.Equal(head.parents, []string{theirs}) {
		t.Errorf("head parents = %v, want the commit that moved the branch, %s", head.parents, theirs)
	}
	// The fake's other push replaced the whole tree (README only); the
	// rebuilt commit must sit on it and add the data.
	files := f.files("main")
	if files["README.md"] != "hello, edited" || files["data/state.json"] == "" {
		t.Errorf("main after Publish = %v, want their README and our data", files)
	}
}

func TestGitHubPublishGivesUpWhenTheRefKeepsMoving(t *testing.T) {
	f := newFakeGitHub(t)
	f.seed("main", map[string]string{"README.md": "hello"}, "init")
	f.failNext(routeUpdateRef, 422, 422, 422, 422, 422, 422)
	g := newGitHub(f, &sleeps{})
	err := g.Publish(context.Background(), tree(t, dataFiles), "", "msg")
	if err == nil || !strings.Contains(err.Error(), "gave up after 5 attempts") {
		t.Errorf("Publish = %v, want it to give up after 5 attempts", err)
	}
	if n := f.count(routeUpdateRef); n != maxRebuilds {
		t.Errorf("ref updates = %d, want %d", n, maxRebuilds)
	}
}

func TestGitHubPublishErrors(t *testing.T) {
	cases := []struct {
		name       string
		route      string
		statuses   []int
		wantErr    string // "" for success
		wantIs     error
		wantWaits  []time.Duration
		wantCalled int // calls of route
	}{
		{"401 on the first call", routeGetRef, []int{401}, "GitHub rejected the token (401): check GITHUB_TOKEN", ErrRejectedToken, nil, 1},
		{"403 on a blob", routeCreateBlob, []int{403}, "GitHub rejected the token (403): check that GITHUB_TOKEN may write the contents (and issues) of o/r", ErrRejectedToken, nil, 1},
		{"500 twice, then success", routeCreateBlob, []int{500, 502}, "", nil, []time.Duration{2 * time.Second, 4 * time.Second}, 3 + 2},
		{"500 every time", routeCreateTree, []int{500, 500, 500, 500}, "github create tree: injected 500 (500)", nil, []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}, 4},
		{"422 on a tree is not retried", routeCreateTree, []int{422}, "github create tree: injected 422 (422)", nil, nil, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeGitHub(t)
			f.seed("main", map[string]string{"README.md": "hello"}, "init")
			f.failNext(c.route, c.statuses...)
			s := &sleeps{}
			g := newGitHub(f, s)
			err := g.Publish(context.Background(), tree(t, dataFiles), "", "msg")
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("Publish = %v, want success", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("Publish = %v, want an error containing %q", err, c.wantErr)
			case err != nil && strings.Contains(err.Error(), testToken):
				t.Errorf("Publish = %v, which contains the token", err)
			case c.wantIs != nil && !errors.Is(err, c.wantIs):
				t.Errorf("Publish = %v, want it to match %v", err, c.wantIs)
			}
			if !reflect.DeepEqual(s.waits, c.wantWaits) {
				t.Errorf("Publish waited %v, want %v", s.waits, c.wantWaits)
			}
			if n := f.count(c.route); n != c.wantCalled {
				t.Errorf("%s called %d times, want %d", c.route, n, c.wantCalled)
			}
		})
	}
}

func TestGitHubPublishPlanErrors(t *testing.T) {
	f := newFakeGitHub(t)
	cases := []struct {
		name string
		g    *GitHub
		want string
	}{
		{"pages branch is the data branch", &GitHub{Client: f.client(""), Owner: "o", Repo: "r", PagesBranch: "main"}, `pages_branch "main" is the data branch`},
		{"pages dir is the data folder", &GitHub{Client: f.client(""), Owner: "o", Repo: "r", PagesDir: "data/site"}, `pages_dir "data/site" must be a folder other than data/`},
		{"no repository", &GitHub{Client: f.client("")}, "client, owner and repo are required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.g.Publish(context.Background(), t.TempDir(), t.TempDir(), "msg")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Publish = %v, want an error containing %q", err, c.want)
			}
		})
	}
	if n := len(f.calls); n != 0 {
		t.Errorf("the fake was called %d times, want none", n)
	}
}

func TestBlobSHA(t *testing.T) {
	// git hash-object of these contents.
	for content, want := range map[string]string{
		"":              "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
		"hello world\n": "3b18e512dba79e4c8300dd08aeb37f8e728b8dad",
	} {
		if got := blobSHA([]byte(content)); got != want {
			t.Errorf("blobSHA(%q) = %s, want %s", content, got, want)
		}
	}
}
