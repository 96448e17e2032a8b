package site

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// replaceDir writes files into a fresh folder beside dir, then puts it in
// dir's place with two renames (the old dir moved aside, the new one moved
// in), so a reader sees the old site or the new one, never a mix; dir is
// missing only between the two renames. A file whose bytes did not change
// is hard-linked from the old site rather than written again: creating
// files is the slow part of a render, and most badges and many pages stay
// the same from one cycle to the next. Folders left by an interrupted
// earlier run (".<name>.new-*", ".<name>.old-*") are removed; nothing else
// beside dir is touched. Files are not fsynced: the next render rewrites
// them all.
func replaceDir(dir string, files map[string][]byte) (err error) {
	dir = filepath.Clean(dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	if base == "." || base == ".." || base == string(filepath.Separator) {
		return fmt.Errorf("refusing to replace %q: name the site folder itself", dir)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	removeLeftovers(parent, base)

	tmp, err := os.MkdirTemp(parent, "."+base+".new-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	made := map[string]bool{}
	for _, name := range names {
		path := filepath.Join(tmp, filepath.FromSlash(name))
		if sub := filepath.Dir(path); !made[sub] {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
			made[sub] = true
		}
		if reuse(filepath.Join(dir, filepath.FromSlash(name)), path, files[name]) {
			continue
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}

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
	if err := os.Rename(tmp, dir); err != nil {
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
	info, err := os.Lstat(old)
	if err != nil || !info.Mode().IsRegular() || info.Size() != int64(len(data)) {
		return false
	}
	b, err := os.ReadFile(old)
	if err != nil || !bytes.Equal(b, data) {
		return false
	}
	return os.Link(old, path) == nil
}
