package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/Sefaria/statusgen/internal/atomicfile"
)

// Dir publishes the site to a folder a static web server serves.
//
// Dir (the path) becomes a symbolic link to a complete copy beside it
// (".<name>-<random>"), and each publish builds a new copy, then replaces
// the link in one rename. A reader resolving the path sees the old site or
// the new one, never a half-copied one and never a missing folder, which a
// pair of directory renames would show for an instant. The previous copy
// is kept until the next publish, so a reader that resolved the link just
// before the swap can finish; older copies are removed.
//
// The web server must follow symbolic links (nginx and Caddy do by
// default). Dir must not be a mount point or a non-empty real folder: the
// first publish replaces an empty folder with the link and refuses a
// non-empty one rather than delete what statusgen did not write.
type Dir struct {
	Dir string
}

// Publish copies siteDir to d.Dir. dataDir and message are not used: a
// folder has no history.
func (d Dir) Publish(ctx context.Context, dataDir, siteDir, message string) error {
	target := filepath.Clean(d.Dir)
	if target == "." || target == string(filepath.Separator) {
		return fmt.Errorf("publish to %q: not a folder statusgen can manage", d.Dir)
	}
	parent, name := filepath.Dir(target), filepath.Base(target)
	prefix := "." + name + "-"

	emptyDir := false
	switch fi, err := os.Lstat(target); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("publish to %s: %w", target, err)
	case fi.Mode()&fs.ModeSymlink != 0:
	case fi.IsDir():
		entries, err := os.ReadDir(target)
		if err != nil {
			return fmt.Errorf("publish to %s: %w", target, err)
		}
		if len(entries) > 0 {
			return fmt.Errorf("publish to %s: it is a folder statusgen did not make; move it away: statusgen keeps %s as a link to the current copy of the site", target, target)
		}
		emptyDir = true
	default:
		return fmt.Errorf("publish to %s: it exists and is not a folder", target)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("publish to %s: %w", target, err)
	}

	build, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return fmt.Errorf("publish to %s: %w", target, err)
	}
	if err := os.Chmod(build, 0o755); err != nil { // MkdirTemp makes it 0700
		os.RemoveAll(build)
		return fmt.Errorf("publish to %s: %w", target, err)
	}
	if err := copyTree(ctx, siteDir, build); err != nil {
		os.RemoveAll(build)
		return fmt.Errorf("publish to %s: %w", target, err)
	}

	// A relative link keeps working when the parent is mounted elsewhere,
	// e.g. in a web server's container.
	link := filepath.Join(parent, "."+name+".link")
	os.Remove(link) // left by an interrupted publish
	if err := os.Symlink(filepath.Base(build), link); err != nil {
		os.RemoveAll(build)
		return fmt.Errorf("publish to %s: %w", target, err)
	}
	previous, _ := os.Readlink(target)
	if emptyDir {
		if err := os.Remove(target); err != nil {
			os.Remove(link)
			os.RemoveAll(build)
			return fmt.Errorf("publish to %s: replace the empty folder with a link: %w", target, err)
		}
	}
	if err := os.Rename(link, target); err != nil {
		os.Remove(link)
		os.RemoveAll(build)
		return fmt.Errorf("publish to %s: %w", target, err)
	}
	if err := atomicfile.SyncDir(parent); err != nil {
		return fmt.Errorf("publish to %s: %w", target, err)
	}
	removeOldCopies(parent, prefix, filepath.Base(build), filepath.Base(previous))
	return nil
}

// removeOldCopies deletes the copies beside the target other than the
// current and the previous one (leftovers of earlier or failed publishes).
func removeOldCopies(parent, prefix string, keep ...string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() || !strings.HasPrefix(n, prefix) || n == keep[0] || n == keep[1] {
			continue
		}
		os.RemoveAll(filepath.Join(parent, n))
	}
}

// copyTree copies the folders and regular files under src into dst, each
// file synced, so the copy is whole on disk before the link points at it.
func copyTree(ctx context.Context, src, dst string) error {
	if fi, err := os.Stat(src); err != nil {
		return fmt.Errorf("site: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("site %s is not a folder", src)
	}
	var dirs []string
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			dirs = append(dirs, out)
			if rel == "." {
				return nil
			}
			return os.Mkdir(out, 0o755)
		case d.Type().IsRegular():
			return copyFile(path, out)
		}
		return nil // sockets, devices and links are not part of a site
	})
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := atomicfile.SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}
