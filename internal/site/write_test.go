package site

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

// TestRenderWritesWhatFilesReturns checks that the streamed render puts
// exactly the in-memory site on disk (the goldens are taken from Files),
// and that a second render into the same folder does too.
func TestRenderWritesWhatFilesReturns(t *testing.T) {
	in := fixtureInput(t)
	want, err := Files(templates.FS, in)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "site")
	for range 2 {
		if err := Render(templates.FS, dir, in); err != nil {
			t.Fatalf("Render: %v", err)
		}
		got := readSite(t, dir)
		names, wantNames := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))
		if !slices.Equal(names, wantNames) {
			t.Fatalf("Render wrote %v, want %v", names, wantNames)
		}
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				t.Errorf("Render's %s differs from Files'", name)
			}
		}
	}
}

// TestRenderLinksOnlyUnchangedFiles renders twice with one service's state
// changed, with Render and with a Renderer: the changed badge must be a new
// file with the new contents, the other badge the same file (a hard link to
// the previous render's).
func TestRenderLinksOnlyUnchangedFiles(t *testing.T) {
	for _, tt := range []struct {
		name   string
		render func(dir string, in Input) error
	}{
		{"Render", func(dir string, in Input) error { return Render(templates.FS, dir, in) }},
		{"Renderer", new(Renderer).renderFunc()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "site")
			in := Input{Title: "T", Generated: fixedNow, Services: []Service{
				{Name: "a", Status: uptime.Up, LastCheck: fixedNow},
				{Name: "b", Status: uptime.Up, LastCheck: fixedNow},
			}}
			if err := tt.render(dir, in); err != nil {
				t.Fatal(err)
			}
			a1, b1 := stat(t, dir, "badges/a.svg"), stat(t, dir, "badges/b.svg")
			in.Services[1].Status = uptime.Down
			if err := tt.render(dir, in); err != nil {
				t.Fatal(err)
			}
			if a2 := stat(t, dir, "badges/a.svg"); !os.SameFile(a1, a2) {
				t.Error("unchanged badges/a.svg was written again, want it linked")
			}
			if b2 := stat(t, dir, "badges/b.svg"); os.SameFile(b1, b2) {
				t.Error("changed badges/b.svg was linked, want it written")
			}
			sameAsFiles(t, dir, in, "badges/a.svg", "badges/b.svg", "index.html", "services/b.html")
		})
	}
}

// TestRendererRereadsTouchedFiles edits a rendered badge in place behind a
// Renderer's back: the next render must not trust its memory of the file.
func TestRendererRereadsTouchedFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	in := Input{Title: "T", Generated: fixedNow, Services: []Service{{Name: "a", Status: uptime.Up, LastCheck: fixedNow}}}
	render := new(Renderer).renderFunc()
	if err := render(dir, in); err != nil {
		t.Fatal(err)
	}
	badge := filepath.Join(dir, "badges", "a.svg")
	b, err := os.ReadFile(badge)
	if err != nil {
		t.Fatal(err)
	}
	// Same size, same inode, other bytes, a later modification time.
	later := stat(t, dir, "badges/a.svg").ModTime().Add(time.Second)
	write(t, badge, bytes.Repeat([]byte("x"), len(b)))
	if err := os.Chtimes(badge, later, later); err != nil {
		t.Fatal(err)
	}
	if err := render(dir, in); err != nil {
		t.Fatal(err)
	}
	sameAsFiles(t, dir, in, "badges/a.svg")
}

func (r *Renderer) renderFunc() func(dir string, in Input) error {
	return func(dir string, in Input) error { return r.Render(templates.FS, dir, in) }
}

func stat(t *testing.T, dir, name string) os.FileInfo {
	t.Helper()
	info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// sameAsFiles checks that dir holds names as Files renders them from in.
func sameAsFiles(t *testing.T, dir string, in Input, names ...string) {
	t.Helper()
	want, err := Files(templates.FS, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || !bytes.Equal(got, want[name]) {
			t.Errorf("%s after the render = %q (%v), want %q", name, got, err, want[name])
		}
	}
}

func TestSameBytes(t *testing.T) {
	data := []byte("<svg>same</svg>")
	tests := []struct {
		name  string
		setup func(t *testing.T, old string)
		want  bool
	}{
		{"same bytes", func(t *testing.T, old string) { write(t, old, data) }, true},
		{"missing", func(t *testing.T, old string) {}, false},
		{"same size, other bytes", func(t *testing.T, old string) { write(t, old, []byte("<svg>diff</svg>")) }, false},
		{"shorter", func(t *testing.T, old string) { write(t, old, data[:5]) }, false},
		{"longer", func(t *testing.T, old string) { write(t, old, append(slices.Clone(data), '\n')) }, false},
		{"symlink to the same bytes", func(t *testing.T, old string) {
			target := old + ".target"
			write(t, target, data)
			if err := os.Symlink(target, old); err != nil {
				t.Skip(err)
			}
		}, false},
		{"folder", func(t *testing.T, old string) { os.Mkdir(old, 0o755) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := filepath.Join(t.TempDir(), "old.svg")
			tt.setup(t, old)
			info, got := sameBytes(old, data)
			if got != tt.want {
				t.Fatalf("sameBytes(%s) = %v, want %v", tt.name, got, tt.want)
			}
			if got && (info == nil || info.Size() != int64(len(data))) {
				t.Errorf("sameBytes(%s) gave file info %v, want the file's", tt.name, info)
			}
		})
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRendererUpdatesInPlace renders three services, then two of them with
// one changed, through one Renderer: the second render must leave the same
// files as Files, remove the dropped service's page and badges, leave the
// unchanged badge untouched and no temporary file behind.
func TestRendererUpdatesInPlace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	render := new(Renderer).renderFunc()
	in := Input{Title: "T", Generated: fixedNow, Services: []Service{
		{Name: "a", Status: uptime.Up, LastCheck: fixedNow},
		{Name: "b", Status: uptime.Up, LastCheck: fixedNow},
		{Name: "c", Status: uptime.Up, LastCheck: fixedNow},
	}}
	if err := render(dir, in); err != nil {
		t.Fatal(err)
	}
	root, a1 := stat(t, dir, "."), stat(t, dir, "badges/a.svg")
	in.Generated = fixedNow.Add(time.Minute)
	in.Services = in.Services[:2]
	in.Services[1].Status = uptime.Down
	if err := render(dir, in); err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(root, stat(t, dir, ".")) {
		t.Error("the second render replaced the folder, want it updated in place")
	}
	if !os.SameFile(a1, stat(t, dir, "badges/a.svg")) {
		t.Error("unchanged badges/a.svg was written again, want it left alone")
	}
	want, err := Files(templates.FS, in)
	if err != nil {
		t.Fatal(err)
	}
	got := readSite(t, dir)
	if names, wantNames := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(names, wantNames) {
		t.Fatalf("after the second render the site holds %v, want %v", names, wantNames)
	}
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("after the second render %s differs from Files'", name)
		}
	}
}

// TestRendererRotatesServicePages: past pagesPerRender services, a render
// in place rewrites each unchanged service page only on its turn (every
// pageEvery renders), a page whose condition changed at once, and the
// pages say they may be that much older before they call themselves stale.
func TestRendererRotatesServicePages(t *testing.T) {
	defer func(n int) { pagesPerRender = n }(pagesPerRender)
	pagesPerRender = 2
	dir := filepath.Join(t.TempDir(), "site")
	render := new(Renderer).renderFunc()
	in := Input{Title: "T", Generated: fixedNow, Interval: time.Minute}
	for _, name := range []string{"s0", "s1", "s2", "s3", "s4", "s5"} {
		in.Services = append(in.Services, Service{Name: name, Status: uptime.Up, LastCheck: fixedNow})
	}
	if err := render(dir, in); err != nil {
		t.Fatal(err)
	}
	// every = 3 renders. The first render was turn 0; the second (turn 1)
	// rewrites services i with (1+i) % 3 == 0, s0, whose condition changed,
	// and s3, still operational but with a note on a failed check.
	in.Generated = fixedNow.Add(time.Minute)
	in.Services[0].Status, in.Services[0].Confirmed = uptime.Down, true
	in.Services[3] = Service{Name: "s3", Status: uptime.Down, Failures: 1, LastCheck: in.Generated, LastSuccess: fixedNow}
	if err := render(dir, in); err != nil {
		t.Fatal(err)
	}
	fresh := func(name string) bool {
		b, err := os.ReadFile(filepath.Join(dir, "services", name+".html"))
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(b, []byte(in.Generated.Format(time.RFC3339)))
	}
	for i, want := range []bool{true, false, true, true, false, true} {
		if got := fresh(in.Services[i].Name); got != want {
			t.Errorf("after the second render, %s rewritten = %v, want %v", in.Services[i].Name, got, want)
		}
	}
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil || !bytes.Contains(index, []byte(in.Generated.Format(time.RFC3339))) {
		t.Errorf("index.html not rewritten by the second render (%v)", err)
	}
	for range 2 {
		in.Generated = in.Generated.Add(time.Minute)
		if err := render(dir, in); err != nil {
			t.Fatal(err)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "services", "s1.html"))
	if err != nil {
		t.Fatal(err)
	}
	// s1's turn came in the third render; the fourth left it alone.
	if !bytes.Contains(page, []byte(fixedNow.Add(2*time.Minute).Format(time.RFC3339))) {
		t.Errorf("s1 not rewritten on its turn")
	}
	// 3 intervals, plus the 2 renders a page may wait for its turn.
	if !bytes.Contains(page, []byte(`data-stale-after="300"`)) {
		t.Errorf("a rotated page's staleness threshold is not 5 minutes:\n%s", page)
	}
	// A removed service's files go at once.
	in.Services = in.Services[:5]
	if err := render(dir, in); err != nil {
		t.Fatal(err)
	}
	for _, name := range serviceFiles("s5") {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s still there after s5 was removed (%v)", name, err)
		}
	}
}

// readSite is every file under dir by its slash-separated path.
func readSite(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	got := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		got[filepath.ToSlash(rel)], err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestLargeSiteRenderPeriod: a site that a runner renders only every few
// cycles (site.RenderEvery) says so in its staleness thresholds, so a
// visitor is not told a page is stale between two renders.
func TestLargeSiteRenderPeriod(t *testing.T) {
	defer func(n, p int) { servicesPerRender, pagesPerRender = n, p }(servicesPerRender, pagesPerRender)
	servicesPerRender, pagesPerRender = 3, 2
	for _, tc := range []struct{ services, every int }{{1, 1}, {3, 1}, {4, 2}, {6, 2}, {7, 3}} {
		if got := RenderEvery(tc.services); got != tc.every {
			t.Errorf("RenderEvery(%d) = %d, want %d", tc.services, got, tc.every)
		}
	}
	in := Input{Title: "T", Generated: fixedNow, Interval: time.Minute}
	for _, name := range []string{"s0", "s1", "s2", "s3", "s4", "s5"} {
		in.Services = append(in.Services, Service{Name: name, Status: uptime.Up, LastCheck: fixedNow})
	}
	files, err := Files(templates.FS, in)
	if err != nil {
		t.Fatal(err)
	}
	// Renders 2 minutes apart: 3 of them on the index; a service page
	// rewritten every 3rd render may be 2 renders older still.
	for name, want := range map[string]string{"index.html": `data-stale-after="360"`, "services/s1.html": `data-stale-after="600"`} {
		if !bytes.Contains(files[name], []byte(want)) {
			t.Errorf("%s: want %s", name, want)
		}
	}
}

// TestFailedRenderChangesNothing: a render that fails part way (here the
// templates lack the favicon, which it copies last) leaves the site as the
// last render left it, with no temporary file behind.
func TestFailedRenderChangesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	in := Input{Title: "T", Generated: fixedNow, Services: []Service{{Name: "a", Status: uptime.Up, LastCheck: fixedNow}}}
	if err := Render(templates.FS, dir, in); err != nil {
		t.Fatal(err)
	}
	before := readSite(t, dir)
	broken := fstest.MapFS{}
	err := fs.WalkDir(templates.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || name == "favicon.svg" {
			return err
		}
		b, err := fs.ReadFile(templates.FS, name)
		broken[name] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	in.Generated = fixedNow.Add(time.Minute)
	in.Services[0].Status, in.Services[0].Confirmed = uptime.Down, true
	if err := Render(broken, dir, in); err == nil {
		t.Fatal("Render without favicon.svg succeeded, want an error")
	}
	after := readSite(t, dir)
	if names, want := slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before)); !slices.Equal(names, want) {
		t.Fatalf("after a failed render the site holds %v, want %v", names, want)
	}
	for name, b := range before {
		if !bytes.Equal(after[name], b) {
			t.Errorf("a failed render changed %s", name)
		}
	}
}

// TestLinkOrder: a commit renames the files pages link to before the pages,
// and the index last.
func TestLinkOrder(t *testing.T) {
	order := []string{"favicon.svg", "style.css", "status.js", "services/a.html", "badges/a.svg", "api/v2/summary.json", "notices.html", "status.json", "feed.atom", "index.html"}
	shuffled := slices.Clone(order)
	slices.Reverse(shuffled)
	w := &siteWriter{}
	for _, name := range shuffled {
		w.pending = append(w.pending, pendingFile{name: name})
	}
	slices.SortStableFunc(w.pending, byLinkOrder)
	rank := func(name string) int {
		return slices.IndexFunc(w.pending, func(p pendingFile) bool { return p.name == name })
	}
	for _, tc := range []struct{ before, after string }{
		{"style.css", "services/a.html"}, {"status.js", "services/a.html"}, {"favicon.svg", "badges/a.svg"},
		{"services/a.html", "notices.html"}, {"badges/a.svg", "index.html"}, {"api/v2/summary.json", "status.json"},
		{"notices.html", "index.html"}, {"feed.atom", "index.html"}, {"status.json", "index.html"},
	} {
		if rank(tc.before) > rank(tc.after) {
			t.Errorf("commit renames %s after %s, want before", tc.before, tc.after)
		}
	}
}

// TestRendererAfterTheFolderWasRemoved: a Renderer whose folder someone
// removed writes the whole site again, including the service pages its
// rotation would have left for later.
func TestRendererAfterTheFolderWasRemoved(t *testing.T) {
	defer func(n int) { pagesPerRender = n }(pagesPerRender)
	pagesPerRender = 1
	dir := filepath.Join(t.TempDir(), "site")
	render := new(Renderer).renderFunc()
	in := Input{Title: "T", Generated: fixedNow}
	for _, name := range []string{"s0", "s1", "s2"} {
		in.Services = append(in.Services, Service{Name: name, Status: uptime.Up, LastCheck: fixedNow})
	}
	if err := render(dir, in); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	in.Generated = fixedNow.Add(time.Minute)
	if err := render(dir, in); err != nil {
		t.Fatal(err)
	}
	want, err := Files(templates.FS, in)
	if err != nil {
		t.Fatal(err)
	}
	got := readSite(t, dir)
	if names, wantNames := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(names, wantNames) {
		t.Errorf("after the folder was removed, a render wrote %v, want %v", names, wantNames)
	}
}
