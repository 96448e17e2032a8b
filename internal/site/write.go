package site

import (
	"bufio"
	"bytes"
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
}

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

// put writes one file (a slash-separated path under the site's root) into
// the new folder, or links the old site's copy when it holds the same
// bytes. It is safe for concurrent use.
func (w *siteWriter) put(name string, data []byte) error {
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

// stream creates a file that write fills through a buffer: the index,
// which changes every time, so it is neither compared nor remembered.
func (w *siteWriter) stream(name string, write func(io.Writer) error) (err error) {
	path := filepath.Join(w.tmp, filepath.FromSlash(name))
	if err := w.folder(filepath.Dir(path)); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
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

// abort removes the unfinished folder.
func (w *siteWriter) abort() { os.RemoveAll(w.tmp) }

// commit swaps the new folder in for dir.
func (w *siteWriter) commit() (err error) {
	defer func() {
		if err != nil {
			w.abort()
		}
	}()
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
