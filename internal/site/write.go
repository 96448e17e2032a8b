package site

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// siteWriter writes a render into dir in place. dir itself is never
// renamed or replaced, so it may be a mount point (Docker's bind mount of
// site/), a folder whose parent statusgen may not write (systemd's
// ReadWritePaths), or the folder a web server was started in: whatever
// serves dir, read-only mounts of it included, sees every render.
//
// A file that already holds the bytes the render gives it is left alone
// (most badges stay the same from one cycle to the next, and creating
// files is the slow part of a render). Any other is written to a temporary
// file beside it, and the temporary files are renamed over the old ones at
// commit, in link order: the assets every page uses (style.css, status.js,
// the favicon), then the pages and badges in subfolders, then the files
// at the root that link to them (notices.html, status.json, the feed),
// the index last; only then are the files the site no longer has removed.
// So a reader never sees a half-written file or a link to a missing page,
// though for the instant of a commit it may see a page of this render
// beside one of the last. A render that fails before its commit changes
// nothing. Files are not fsynced: the next render rewrites any it lost.
//
// What a commit removes: with a Renderer's memory of the last render
// (prev), the files that render wrote and this one did not. Without one (a
// process's first render) it removes, in the folders the site writes into
// (services/, badges/, api/v2/), every file this render did not write, and
// at the root the temporary files of an interrupted render and the files
// earlier versions wrote there (retiredFiles). Nothing else is touched:
// other files at the root, other folders and anything outside dir stay.
type siteWriter struct {
	dir string

	// A Renderer's memory: what the previous render wrote (read only
	// here; nil when there is none) and what this one writes.
	seed maphash.Seed
	prev map[string]written

	mu      sync.Mutex
	made    map[string]bool // folders known to exist
	next    map[string]written
	pending []pendingFile // written, waiting for commit to rename them
}

// retiredFiles are files at the site's root that earlier versions wrote
// and this one no longer does. README.md described the repository's site/
// folder to its readers, and was published with the site.
var retiredFiles = []string{"README.md"}

// pendingFile is a file written to tmp, to be renamed to path at commit.
type pendingFile struct {
	name, tmp, path string
}

// written is one file a render left: its identity and modification time
// as it saw them, and its contents' hash.
type written struct {
	stamp fileStamp
	sum   uint64
}

// fileStamp is what a render remembers of a file it wrote: its identity
// (device and inode), size and modification time. A runner remembers one
// per file of the site, 30,000 at 10,000 services, so it keeps these 40
// bytes rather than the os.FileInfo (about 300), which was a sixth of a
// 10,000-service runner's live heap and made the collector run that
// much more often.
type fileStamp struct {
	dev, ino    uint64
	size, mtime int64
	ok          bool // false: nothing known, the file is read again
}

// same reports whether info is still the file rec describes, untouched.
func (rec written) same(info os.FileInfo) bool {
	now := stampOf(info)
	return rec.stamp.ok && now == rec.stamp
}

// scratch holds the buffers sameBytes reads old files into.
var scratch = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// newSiteWriter starts a render into dir, creating it if missing. prev is
// what the last render into dir wrote, or nil if unknown.
func newSiteWriter(dir string, prev map[string]written) (*siteWriter, error) {
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if info, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	return &siteWriter{dir: dir, prev: prev, made: map[string]bool{dir: true}, next: map[string]written{}}, nil
}

// put writes one file (a slash-separated path under the site's root),
// unless it already holds data. It is safe for concurrent use.
func (w *siteWriter) put(name string, data []byte) error {
	path := filepath.Join(w.dir, filepath.FromSlash(name))
	sum := maphash.Bytes(w.seed, data)
	if info, ok := w.holds(name, path, data, sum); ok {
		w.remember(name, written{stampOf(info), sum})
		return nil
	}
	f, err := w.create(path)
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	_, err = f.Write(data)
	info, serr := f.Stat()
	if cerr := f.Close(); err == nil {
		err = cmp.Or(serr, cerr)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("site: %w", err)
	}
	w.place(name, f.Name(), path)
	w.remember(name, written{stampOf(info), sum})
	return nil
}

// holds reports whether path already holds data, with its file info: from
// the last render's memory when the file is untouched since (its hash
// says, without reading it), else by reading it.
func (w *siteWriter) holds(name, path string, data []byte, sum uint64) (os.FileInfo, bool) {
	if rec, ok := w.prev[name]; ok {
		if info, err := os.Lstat(path); err == nil && rec.same(info) {
			return info, rec.sum == sum && info.Size() == int64(len(data))
		}
	}
	return sameBytes(path, data)
}

// keep carries a file the last render wrote over to this one as it is,
// without looking at the disk; false if the last render wrote no such
// file. It is safe for concurrent use.
func (w *siteWriter) keep(name string) bool {
	rec, ok := w.prev[name]
	if ok {
		w.remember(name, rec)
	}
	return ok
}

// stream writes a file through a buffer: an index, which changes every
// time, so it is never compared; it is remembered as one of the site's
// files (with nothing to compare), so that a language's index in a
// subfolder is not swept away as a leftover.
func (w *siteWriter) stream(name string, write func(io.Writer) error) (err error) {
	path := filepath.Join(w.dir, filepath.FromSlash(name))
	f, err := w.create(path)
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("site: %w", cerr)
		}
		if err != nil {
			os.Remove(f.Name())
			return
		}
		w.place(name, f.Name(), path)
		w.remember(name, written{})
	}()
	b := bufio.NewWriterSize(f, 64<<10)
	if err := write(b); err != nil {
		return err
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	return nil
}

// create opens a new temporary file beside path, readable by all (a web
// server reading the site runs as another user).
func (w *siteWriter) create(path string) (*os.File, error) {
	if err := w.folder(filepath.Dir(path)); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// place queues tmp to be renamed to path at commit.
func (w *siteWriter) place(name, tmp, path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = append(w.pending, pendingFile{name, tmp, path})
}

func (w *siteWriter) remember(name string, rec written) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next[name] = rec
}

// folder creates sub unless an earlier put did; the lock is held until it
// exists, so no other put writes into it before.
func (w *siteWriter) folder(sub string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.made[sub] {
		return nil
	}
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return err
	}
	w.made[sub] = true
	return nil
}

// abort removes the temporary files not yet renamed.
func (w *siteWriter) abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.pending {
		os.Remove(p.tmp)
	}
	w.pending = nil
}

// commit renames the new files into place in link order, then removes
// the files the site no longer has.
func (w *siteWriter) commit() (err error) {
	defer func() {
		if err != nil {
			w.abort()
		}
	}()
	slices.SortStableFunc(w.pending, byLinkOrder)
	for len(w.pending) > 0 {
		p := w.pending[0]
		if err := os.Rename(p.tmp, p.path); err != nil {
			return err
		}
		w.pending = w.pending[1:]
	}
	if w.prev != nil {
		for name := range w.prev {
			if _, ok := w.next[name]; !ok {
				if err := w.remove(name); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return w.sweep()
}

// byLinkOrder orders commit's renames by what links to what: the assets
// that every page uses, the pages and badges in subfolders, the files at
// the root that link to them, the index.
func byLinkOrder(a, b pendingFile) int { return cmp.Compare(linkOrder(a.name), linkOrder(b.name)) }

func linkOrder(name string) int {
	switch _, asset := staticFiles[name]; {
	case asset:
		return 0
	case strings.Contains(name, "/") && path.Base(name) != "index.html":
		return 1
	case name != "index.html":
		return 2
	}
	return 3
}

// sweep removes, after a first render, what an earlier one may have left
// (see siteWriter).
func (w *siteWriter) sweep() error {
	folders := map[string]bool{}
	for name := range w.next {
		if d := path.Dir(name); d != "." {
			folders[d] = true
		}
	}
	for d := range folders {
		entries, err := os.ReadDir(filepath.Join(w.dir, filepath.FromSlash(d)))
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := d + "/" + e.Name()
			if _, ok := w.next[name]; !ok && !e.IsDir() {
				if err := w.remove(name); err != nil {
					return err
				}
			}
		}
	}
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && (slices.Contains(retiredFiles, name) || isTemporary(name)) {
			if err := w.remove(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// isTemporary reports whether name is one of create's temporary files.
func isTemporary(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// remove deletes one file of the site; one already gone is fine.
func (w *siteWriter) remove(name string) error {
	if err := os.Remove(filepath.Join(w.dir, filepath.FromSlash(name))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// sameBytes reports whether path is a regular file holding exactly data,
// with its file info.
func sameBytes(path string, data []byte) (os.FileInfo, bool) {
	info, err := os.Lstat(path) // a symlink is replaced, never trusted
	if err != nil || !info.Mode().IsRegular() || info.Size() != int64(len(data)) {
		return nil, false
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	buf := scratch.Get().(*bytes.Buffer)
	defer scratch.Put(buf)
	buf.Reset()
	buf.Grow(len(data) + 1)
	b := buf.Bytes()[:len(data)+1] // one byte more, to see a file grown meanwhile
	n, err := io.ReadFull(f, b)
	if err != io.ErrUnexpectedEOF || n != len(data) || !bytes.Equal(b[:n], data) {
		return nil, false
	}
	if info, err = f.Stat(); err != nil {
		return nil, false
	}
	return info, true
}
