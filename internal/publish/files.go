package publish

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// localFile is a file to publish: on disk, or given in memory.
type localFile struct {
	abs     string // "" when content is given
	content []byte
	sha     string // the git blob SHA-1 of its content
}

func (f localFile) read() ([]byte, error) {
	if f.abs == "" {
		return f.content, nil
	}
	return os.ReadFile(f.abs)
}

type cachedHash struct {
	size  int64
	mtime time.Time
	sha   string
}

// localFiles lists the files of folders by their repository path, with
// their blob SHAs. Hidden paths are left out.
func (g *GitHub) localFiles(folders []folder) (map[string]localFile, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hashes == nil {
		g.hashes = map[string]cachedHash{}
	}
	files := map[string]localFile{}
	for _, fo := range folders {
		for name, content := range fo.extra {
			files[path.Join(fo.prefix, name)] = localFile{content: content, sha: blobSHA(content)}
		}
		err := filepath.WalkDir(fo.local, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(fo.local, p)
			if err != nil || rel == "." {
				return err
			}
			rel = filepath.ToSlash(rel)
			if hidden(rel) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			sha, err := g.hash(p, d)
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile, e.g. by a prune
			}
			if err != nil {
				return err
			}
			files[path.Join(fo.prefix, rel)] = localFile{abs: p, sha: sha}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", fo.local, err)
		}
	}
	return files, nil
}

// hash is the blob SHA of the file at p, read again only when its size or
// modification time changed: most of data/ is old days that never change.
func (g *GitHub) hash(p string, d fs.DirEntry) (string, error) {
	info, err := d.Info()
	if err != nil {
		return "", err
	}
	if c, ok := g.hashes[p]; ok && c.size == info.Size() && c.mtime.Equal(info.ModTime()) {
		return c.sha, nil
	}
	content, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	sha := blobSHA(content)
	g.hashes[p] = cachedHash{size: info.Size(), mtime: info.ModTime(), sha: sha}
	return sha, nil
}

// blobSHA is git's object id of a blob holding content.
func blobSHA(content []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// hidden reports whether a slash-separated path has an element starting with ".".
func hidden(p string) bool {
	for _, el := range strings.Split(p, "/") {
		if strings.HasPrefix(el, ".") {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
