package publish

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v66/github"
)

// DataPath is the folder of the repository the data folder is committed to.
const DataPath = "data"

// maxRebuilds bounds how often a commit is rebuilt because its branch moved
// between reading the ref and updating it.
const maxRebuilds = 5

// GitHub publishes by committing through the Git Data API: one commit per
// branch per publish, holding only what changed. The data folder goes to
// DataPath on Branch; the site goes to the root of PagesBranch or, when
// PagesDir is set, to that folder of Branch in the same commit as the data.
//
// Hidden files (a path element starting with ".": the runner's lock,
// temporary files) are neither uploaded nor deleted. Files of the target
// folders that are gone locally are deleted, except a CNAME at the site's
// root, which GitHub Pages keeps for a custom domain. A GitHub is not for
// concurrent use.
type GitHub struct {
	Client      *github.Client // NewClient(token); tests point its BaseURL at a fake
	Owner, Repo string
	Branch      string // data goes here; "" means "main"
	PagesBranch string // the site goes here unless PagesDir is set; "" means "gh-pages"
	PagesDir    string // a folder of Branch for the site, e.g. "docs"

	Sleep  func(ctx context.Context, d time.Duration) error // between retries; nil: a real timer
	Logger *slog.Logger                                     // nil: discarded

	mu     sync.Mutex
	hashes map[string]cachedHash // local file → its blob SHA, while size and mtime hold
}

// Publish commits dataDir and siteDir (either may be "" to skip it) with
// message. Transient failures are retried with backoff, a branch that moved
// meanwhile is re-read and the commit rebuilt, up to maxRebuilds times.
func (g *GitHub) Publish(ctx context.Context, dataDir, siteDir, message string) error {
	commits, err := g.plan(dataDir, siteDir)
	if err != nil {
		return err
	}
	a := newAPI(g.Client, g.Owner, g.Repo, g.Sleep, g.Logger)
	for _, c := range commits {
		if err := g.commit(ctx, a, c, message); err != nil {
			return fmt.Errorf("publish to %s/%s branch %s: %w", g.Owner, g.Repo, c.branch, err)
		}
	}
	return nil
}

// branchCommit is what one commit holds: local folders, each mapped to a
// folder of the repository it replaces.
type branchCommit struct {
	branch  string
	folders []folder
}

type folder struct {
	local  string // on disk
	prefix string // in the repository; "" for the root
	extra  map[string][]byte
}

func (g *GitHub) plan(dataDir, siteDir string) ([]branchCommit, error) {
	if g.Client == nil || g.Owner == "" || g.Repo == "" {
		return nil, errors.New("publish to github: client, owner and repo are required")
	}
	branch := cmpOr(g.Branch, "main")
	pagesBranch := cmpOr(g.PagesBranch, "gh-pages")
	pagesDir := strings.Trim(path.Clean("/"+g.PagesDir), "/")
	var data, site []folder
	if dataDir != "" {
		data = []folder{{local: dataDir, prefix: DataPath}}
	}
	if g.PagesDir != "" {
		if pagesDir == "" || pagesDir == DataPath || strings.HasPrefix(pagesDir, DataPath+"/") {
			return nil, fmt.Errorf("publish to github: pages_dir %q must be a folder other than %s/", g.PagesDir, DataPath)
		}
		if siteDir != "" {
			site = []folder{{local: siteDir, prefix: pagesDir}}
		}
		return []branchCommit{{branch, append(data, site...)}}, nil
	}
	if pagesBranch == branch {
		return nil, fmt.Errorf("publish to github: pages_branch %q is the data branch; set pages_dir to put the site in a folder of it", pagesBranch)
	}
	var out []branchCommit
	if len(data) > 0 {
		out = append(out, branchCommit{branch, data})
	}
	if siteDir != "" {
		// Without .nojekyll, GitHub Pages runs Jekyll over the branch, which
		// drops files starting with "_" and slows every deployment.
		out = append(out, branchCommit{pagesBranch, []folder{{local: siteDir, extra: map[string][]byte{".nojekyll": nil}}}})
	}
	return out, nil
}

// commit makes one commit of c on its branch, rebuilding it if the branch
// moved meanwhile.
func (g *GitHub) commit(ctx context.Context, a *api, c branchCommit, message string) error {
	local, err := g.localFiles(c.folders)
	if err != nil {
		return err
	}
	uploaded := map[string]string{} // repository path → blob SHA created by an earlier attempt
	for attempt := 1; attempt <= maxRebuilds; attempt++ {
		head, base, err := g.head(ctx, a, c.branch)
		if err != nil {
			return err
		}
		entries, err := g.changes(ctx, a, c.folders, local, base, uploaded)
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			a.log.Debug("github: nothing changed", "branch", c.branch)
			return nil
		}
		var tree *github.Tree
		if err := a.call(ctx, "create tree", func() (r *github.Response, err error) {
			tree, r, err = g.Client.Git.CreateTree(ctx, g.Owner, g.Repo, base.sha, entries)
			return r, err
		}); err != nil {
			return err
		}
		newCommit := &github.Commit{Message: github.String(message), Tree: &github.Tree{SHA: tree.SHA}}
		if head != "" {
			newCommit.Parents = []*github.Commit{{SHA: github.String(head)}}
		}
		var made *github.Commit
		if err := a.call(ctx, "create commit", func() (r *github.Response, err error) {
			made, r, err = g.Client.Git.CreateCommit(ctx, g.Owner, g.Repo, newCommit, nil)
			return r, err
		}); err != nil {
			return err
		}
		ref := &github.Reference{Ref: github.String("refs/heads/" + c.branch), Object: &github.GitObject{SHA: made.SHA}}
		what := "update ref heads/" + c.branch
		err = a.call(ctx, what, func() (r *github.Response, err error) {
			if head == "" {
				_, r, err = g.Client.Git.CreateRef(ctx, g.Owner, g.Repo, ref)
			} else {
				_, r, err = g.Client.Git.UpdateRef(ctx, g.Owner, g.Repo, ref, false)
			}
			return r, err
		})
		if code := statusOf(err); code == http.StatusUnprocessableEntity || code == http.StatusConflict {
			a.log.Info("github: branch moved meanwhile; rebuilding the commit", "branch", c.branch, "attempt", attempt)
			continue
		}
		if err != nil {
			return err
		}
		a.log.Info("github: published", "branch", c.branch, "commit", made.GetSHA(), "files", len(entries))
		return nil
	}
	return fmt.Errorf("the branch kept moving: gave up after %d attempts", maxRebuilds)
}

// baseTree is a branch head's tree: every blob's path and SHA.
type baseTree struct {
	sha   string            // "" for a branch that does not exist yet
	blobs map[string]string // path → blob SHA
}

// head reads a branch: its commit and that commit's whole tree. A missing
// branch has head "" and an empty tree: the first commit creates it.
func (g *GitHub) head(ctx context.Context, a *api, branch string) (string, baseTree, error) {
	var ref *github.Reference
	err := a.call(ctx, "get ref heads/"+branch, func() (r *github.Response, err error) {
		ref, r, err = g.Client.Git.GetRef(ctx, g.Owner, g.Repo, "heads/"+branch)
		return r, err
	})
	if statusOf(err) == http.StatusNotFound {
		a.log.Info("github: branch does not exist yet; creating it", "branch", branch)
		return "", baseTree{blobs: map[string]string{}}, nil
	}
	if err != nil {
		return "", baseTree{}, err
	}
	headSHA := ref.GetObject().GetSHA()
	var commit *github.Commit
	if err := a.call(ctx, "get commit", func() (r *github.Response, err error) {
		commit, r, err = g.Client.Git.GetCommit(ctx, g.Owner, g.Repo, headSHA)
		return r, err
	}); err != nil {
		return "", baseTree{}, err
	}
	base := baseTree{sha: commit.GetTree().GetSHA(), blobs: map[string]string{}}
	var tree *github.Tree
	if err := a.call(ctx, "get tree", func() (r *github.Response, err error) {
		tree, r, err = g.Client.Git.GetTree(ctx, g.Owner, g.Repo, base.sha, true)
		return r, err
	}); err != nil {
		return "", baseTree{}, err
	}
	if tree.GetTruncated() {
		return "", baseTree{}, fmt.Errorf("the tree of branch %s is too large for GitHub to list", branch)
	}
	for _, e := range tree.Entries {
		if e.GetType() == "blob" {
			base.blobs[e.GetPath()] = e.GetSHA()
		}
	}
	return headSHA, base, nil
}

// changes lists the tree entries that make base hold the local files:
// changed and new files (a blob created for each, unless the repository
// already has it) and deletions of files gone locally.
func (g *GitHub) changes(ctx context.Context, a *api, folders []folder, local map[string]localFile, base baseTree, uploaded map[string]string) ([]*github.TreeEntry, error) {
	known := make(map[string]bool, len(base.blobs))
	for _, sha := range base.blobs {
		known[sha] = true
	}
	var entries []*github.TreeEntry
	for _, p := range sortedKeys(local) {
		f := local[p]
		if base.blobs[p] == f.sha {
			continue
		}
		sha := f.sha
		if !known[sha] && uploaded[p] != sha {
			var err error
			if sha, err = g.upload(ctx, a, f); err != nil {
				return nil, err
			}
			uploaded[p] = sha
		}
		entries = append(entries, &github.TreeEntry{Path: github.String(p), Mode: github.String("100644"), Type: github.String("blob"), SHA: github.String(sha)})
	}
	for _, p := range sortedKeys(base.blobs) {
		if _, ok := local[p]; ok || !deletable(folders, p) {
			continue
		}
		// No SHA and no content: go-github sends "sha": null, which deletes.
		entries = append(entries, &github.TreeEntry{Path: github.String(p), Mode: github.String("100644"), Type: github.String("blob")})
	}
	return entries, nil
}

// upload creates a blob of f's current content and returns its SHA.
func (g *GitHub) upload(ctx context.Context, a *api, f localFile) (string, error) {
	content, err := f.read()
	if err != nil {
		return "", err
	}
	blob := &github.Blob{Content: github.String(base64.StdEncoding.EncodeToString(content)), Encoding: github.String("base64")}
	var made *github.Blob
	if err := a.call(ctx, "create blob", func() (r *github.Response, err error) {
		made, r, err = g.Client.Git.CreateBlob(ctx, g.Owner, g.Repo, blob)
		return r, err
	}); err != nil {
		return "", err
	}
	return made.GetSHA(), nil
}

// deletable reports whether a file of the repository belongs to one of the
// folders a publish replaces, so that its absence locally means deletion.
func deletable(folders []folder, p string) bool {
	for _, f := range folders {
		rel, ok := p, true
		if f.prefix != "" {
			rel, ok = strings.CutPrefix(p, f.prefix+"/")
		}
		if !ok || hidden(rel) || rel == "CNAME" {
			continue
		}
		return true
	}
	return false
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
