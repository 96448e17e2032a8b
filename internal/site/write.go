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
	"path/filepath"
	"strings"
	"sync"
)

// siteWriter writes a site into a fresh folder beside dir, then puts it
// in dir's place with two renames (the old dir moved aside, the new one
// moved in), so a reader sees the old site or the new one, never a mix;
// dir is missing only between the two renames. A file whose bytes did not
// change is hard-linked from the old site rather than written again:
// creating files is the slow part of a render, and most badges stay the
// same from one cycle to the next. Folders left by an interrupted earlier
// run (".<name>.new-*", ".<name>.old-*") are removed; nothing else beside
// dir is touched. Files are not fsynced: the next render rewrites them all.
type siteWriter struct {
	dir, parent, base, tmp string

	// A Renderer's memory: what the previous render wrote (read only
	// here) and what this one writes.
	seed maphash.Seed
	prev map[string]written

	mu   sync.Mutex
	made map[string]bool // folders created in tmp
	next map[string]written

	// In place (see newInPlaceWriter): files at the root, which link to
	// the others, waiting in temporary files to be renamed at commit.
	inPlace bool
	pending []pendingFile
}

// pendingFile is a file written to tmp, to be renamed to path.
type pendingFile struct{ tmp, path string }

// written is one file a render left: its identity and modification time
// as it saw them, and its contents' hash.
type written struct {
	info os.FileInfo
	sum  uint64
}

// same reports whether info is still the file rec describes, untouched.
func (rec written) same(info os.FileInfo) bool {
	return rec.info != nil && info.Mode().IsRegular() && os.SameFile(rec.info, info) &&
		info.Size() == rec.info.Size() && info.ModTime().Equal(rec.info.ModTime())
}

// scratch holds the buffers reuse reads old files into.
var scratch = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// newSiteWriter starts a site for dir in a new temporary folder.
func newSiteWriter(dir string) (*siteWriter, error) {
	dir = filepath.Clean(dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	if base == "." || base == ".." || base == string(filepath.Separator) {
		return nil, fmt.Errorf("refusing to replace %q: name the site folder itself", dir)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	removeLeftovers(parent, base)
	tmp, err := os.MkdirTemp(parent, "."+base+".new-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return &siteWriter{dir: dir, parent: parent, base: base, tmp: tmp, made: map[string]bool{tmp: true}}, nil
}

// newInPlaceWriter updates the site a Renderer last wrote into dir in
// place: a file whose bytes it remembers writing, untouched since, is left
// as it is, and any other is written to a temporary file renamed over the
// old one, so a reader never sees a half-written file. The files at the
// root (the index, notices.html, status.json, the feed) link to the
// others, so they are renamed last, once every page and badge they link
// to is in place, and the files the site no longer has are removed after
// them: a reader may see a page of this render next to one of the last,
// never a broken link. For a render every cycle this costs a syscall or
// two per changed file instead of two per file (a link into a new folder
// and the removal of the old one), which at 10,000 services was most of
// the render.
func newInPlaceWriter(dir string, prev map[string]written) *siteWriter {
	return &siteWriter{dir: dir, tmp: dir, inPlace: true, prev: prev, made: map[string]bool{dir: true}}
}

// put writes one file (a slash-separated path under the site's root) into
// the new folder, or links the old site's copy when it holds the same
// bytes. It is safe for concurrent use.
func (w *siteWriter) put(name string, data []byte) error {
	if w.inPlace {
		return w.putInPlace(name, data)
	}
	path := filepath.Join(w.tmp, filepath.FromSlash(name))
	if err := w.folder(filepath.Dir(path)); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	old := filepath.Join(w.dir, filepath.FromSlash(name))
	var sum uint64
	if w.next != nil {
		sum = maphash.Bytes(w.seed, data)
	}
	if rec, ok := w.prev[name]; ok {
		// The previous render's file, untouched since: its hash says
		// whether it holds data, without reading it.
		if info, err := os.Lstat(old); err == nil && rec.same(info) {
			if rec.sum == sum && info.Size() == int64(len(data)) && os.Link(old, path) == nil {
				w.remember(name, written{info, sum})
				return nil
			}
			return w.write(name, path, data, sum)
		}
	}
	if reuse(old, path, data) {
		if w.next != nil {
			if info, err := os.Lstat(path); err == nil {
				w.remember(name, written{info, sum})
			}
		}
		return nil
	}
	return w.write(name, path, data, sum)
}

// putInPlace is put for a writer in place.
func (w *siteWriter) putInPlace(name string, data []byte) error {
	path := filepath.Join(w.dir, filepath.FromSlash(name))
	sum := maphash.Bytes(w.seed, data)
	if rec, ok := w.prev[name]; ok && rec.sum == sum && rec.info.Size() == int64(len(data)) {
		if info, err := os.Lstat(path); err == nil && rec.same(info) {
			w.remember(name, rec)
			return nil
		}
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
	if err == nil {
		err = w.place(name, f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("site: %w", err)
	}
	w.remember(name, written{info, sum})
	return nil
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

// create opens a new temporary file beside path, readable by all.
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

// place renames tmp to path now, or at commit for a file at the root.
func (w *siteWriter) place(name, tmp, path string) error {
	if !strings.Contains(name, "/") {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.pending = append(w.pending, pendingFile{tmp, path})
		return nil
	}
	return os.Rename(tmp, path)
}

// stream creates a file that write fills through a buffer: the index,
// which changes every time, so it is neither compared nor remembered.
func (w *siteWriter) stream(name string, write func(io.Writer) error) (err error) {
	path := filepath.Join(w.tmp, filepath.FromSlash(name))
	var f *os.File
	if w.inPlace {
		f, err = w.create(path)
		if err == nil {
			defer func() {
				if err == nil {
					err = w.place(name, f.Name(), path)
				}
				if err != nil {
					os.Remove(f.Name())
				}
			}()
		}
	} else {
		if err := w.folder(filepath.Dir(path)); err != nil {
			return fmt.Errorf("site: %w", err)
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	}
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("site: %w", cerr)
		}
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

// write creates path with data and remembers it.
func (w *siteWriter) write(name, path string, data []byte, sum uint64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	_, err = f.Write(data)
	var info os.FileInfo
	if err == nil && w.next != nil {
		info, err = f.Stat()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	if info != nil {
		w.remember(name, written{info, sum})
	}
	return nil
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

// abort removes the unfinished folder, or in place the files not yet
// renamed.
func (w *siteWriter) abort() {
	if !w.inPlace {
		os.RemoveAll(w.tmp)
		return
	}
	for _, p := range w.pending {
		os.Remove(p.tmp)
	}
	w.pending = nil
}

// commit swaps the new folder in for dir, or in place renames the files at
// the root and removes those the site no longer has.
func (w *siteWriter) commit() (err error) {
	defer func() {
		if err != nil {
			w.abort()
		}
	}()
	if w.inPlace {
		for len(w.pending) > 0 {
			p := w.pending[0]
			if err := os.Rename(p.tmp, p.path); err != nil {
				return err
			}
			w.pending = w.pending[1:]
		}
		for name := range w.prev {
			if _, ok := w.next[name]; !ok {
				if err := os.Remove(filepath.Join(w.dir, filepath.FromSlash(name))); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
		}
		return nil
	}
	dir, parent, base := w.dir, w.parent, w.base
	old := ""
	switch info, err := os.Lstat(dir); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("%s is not a folder", dir)
	default:
		if old, err = os.MkdirTemp(parent, "."+base+".old-"); err != nil {
			return err
		}
		if err := os.Remove(old); err != nil { // only its unique name is wanted
			return err
		}
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(w.tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// removeLeftovers removes temporary folders a crashed render left beside dir.
func removeLeftovers(parent, base string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() && (strings.HasPrefix(name, "."+base+".new-") || strings.HasPrefix(name, "."+base+".old-")) {
			os.RemoveAll(filepath.Join(parent, name))
		}
	}
}

// reuse hard-links old into path when old holds exactly data; false when
// the file must be written.
func reuse(old, path string, data []byte) bool {
	info, err := os.Lstat(old) // a symlink is never linked into the new site
	if err != nil || !info.Mode().IsRegular() || info.Size() != int64(len(data)) {
		return false
	}
	f, err := os.Open(old)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := scratch.Get().(*bytes.Buffer)
	defer scratch.Put(buf)
	buf.Reset()
	buf.Grow(len(data) + 1)
	b := buf.Bytes()[:len(data)+1] // one byte more, to see a file grown meanwhile
	n, err := io.ReadFull(f, b)
	if err != io.ErrUnexpectedEOF || n != len(data) || !bytes.Equal(b[:n], data) {
		return false
	}
	return os.Link(old, path) == nil
}
