package publish

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v66/github"
)

// Routes of the fake GitHub API, as http.ServeMux patterns; tests name them
// to inject failures.
const (
	routeGetRef       = "GET /repos/o/r/git/ref/{ref...}"
	routeCreateRef    = "POST /repos/o/r/git/refs"
	routeUpdateRef    = "PATCH /repos/o/r/git/refs/{ref...}"
	routeGetCommit    = "GET /repos/o/r/git/commits/{sha}"
	routeCreateCommit = "POST /repos/o/r/git/commits"
	routeGetTree      = "GET /repos/o/r/git/trees/{sha}"
	routeCreateTree   = "POST /repos/o/r/git/trees"
	routeCreateBlob   = "POST /repos/o/r/git/blobs"
	routeListIssues   = "GET /repos/o/r/issues"
	routeCreateIssue  = "POST /repos/o/r/issues"
	routeComment      = "POST /repos/o/r/issues/{n}/comments"
	routeEditIssue    = "PATCH /repos/o/r/issues/{n}"
)

type fakeCommit struct {
	tree    string
	parents []string
	message string
}

type fakeIssue struct {
	Number   int      `json:"number"`
	Title    string   `json:"title"`
	Body     string   `json:"body"`
	State    string   `json:"state"`
	Labels   []string `json:"-"`
	Comments []string `json:"-"`
}

// fakeGitHub is an in-memory GitHub holding just enough of the Git Data and
// Issues APIs for publish: blobs, flat trees, commits, refs and issues.
type fakeGitHub struct {
	mu      sync.Mutex
	blobs   map[string][]byte
	trees   map[string]map[string]string // tree SHA → path → blob SHA
	commits map[string]fakeCommit
	refs    map[string]string // "heads/main" → commit SHA
	issues  []*fakeIssue
	calls   []string         // the routes called, in order
	auth    map[string]bool  // Authorization headers seen
	fail    map[string][]int // route → statuses to answer before serving it
	// beforeUpdateRef runs once, before the first ref update is served: a
	// push by someone else.
	beforeUpdateRef func()
	srv             *httptest.Server
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{
		blobs: map[string][]byte{}, trees: map[string]map[string]string{}, commits: map[string]fakeCommit{},
		refs: map[string]string{}, auth: map[string]bool{}, fail: map[string][]int{},
	}
	mux := http.NewServeMux()
	handle := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.calls = append(f.calls, pattern)
			f.auth[r.Header.Get("Authorization")] = true
			if q := f.fail[pattern]; len(q) > 0 {
				f.fail[pattern] = q[1:]
				w.WriteHeader(q[0])
				fmt.Fprintf(w, `{"message":"injected %d"}`, q[0])
				return
			}
			h(w, r)
		})
	}
	handle(routeGetRef, func(w http.ResponseWriter, r *http.Request) {
		ref := r.PathValue("ref")
		sha, ok := f.refs[ref]
		if !ok {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		writeJSON(w, map[string]any{"ref": "refs/" + ref, "object": map[string]string{"type": "commit", "sha": sha}})
	})
	handle(routeCreateRef, func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Ref, SHA string }
		decode(r, &req)
		ref := strings.TrimPrefix(req.Ref, "refs/")
		if _, ok := f.refs[ref]; ok {
			http.Error(w, `{"message":"Reference already exists"}`, http.StatusUnprocessableEntity)
			return
		}
		f.refs[ref] = req.SHA
		writeJSON(w, map[string]any{"ref": req.Ref, "object": map[string]string{"sha": req.SHA}})
	})
	handle(routeUpdateRef, func(w http.ResponseWriter, r *http.Request) {
		if hook := f.beforeUpdateRef; hook != nil {
			f.beforeUpdateRef = nil
			hook()
		}
		ref := r.PathValue("ref")
		var req struct {
			SHA   string
			Force bool
		}
		decode(r, &req)
		if req.Force || !slices.Contains(f.commits[req.SHA].parents, f.refs[ref]) {
			http.Error(w, `{"message":"Update is not a fast forward"}`, http.StatusUnprocessableEntity)
			return
		}
		f.refs[ref] = req.SHA
		writeJSON(w, map[string]any{"ref": "refs/" + ref, "object": map[string]string{"sha": req.SHA}})
	})
	handle(routeGetCommit, func(w http.ResponseWriter, r *http.Request) {
		c := f.commits[r.PathValue("sha")]
		writeJSON(w, map[string]any{"sha": r.PathValue("sha"), "tree": map[string]string{"sha": c.tree}, "message": c.message})
	})
	handle(routeCreateCommit, func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Message string
			Tree    string
			Parents []string
		}
		decode(r, &req)
		sha := hashOf(fmt.Sprint(req.Tree, req.Parents, req.Message, len(f.commits)))
		f.commits[sha] = fakeCommit{tree: req.Tree, parents: req.Parents, message: req.Message}
		writeJSON(w, map[string]any{"sha": sha})
	})
	handle(routeGetTree, func(w http.ResponseWriter, r *http.Request) {
		var entries []map[string]string
		tree := f.trees[r.PathValue("sha")]
		for _, p := range sortedKeys(tree) {
			entries = append(entries, map[string]string{"path": p, "mode": "100644", "type": "blob", "sha": tree[p]})
		}
		writeJSON(w, map[string]any{"sha": r.PathValue("sha"), "tree": entries, "truncated": false})
	})
	handle(routeCreateTree, func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			BaseTree string `json:"base_tree"`
			Tree     []struct {
				Path string
				SHA  *string
			}
		}
		decode(r, &req)
		tree := map[string]string{}
		for p, sha := range f.trees[req.BaseTree] {
			tree[p] = sha
		}
		for _, e := range req.Tree {
			if e.SHA == nil {
				delete(tree, e.Path)
			} else if _, ok := f.blobs[*e.SHA]; !ok {
				http.Error(w, `{"message":"no such blob"}`, http.StatusUnprocessableEntity)
				return
			} else {
				tree[e.Path] = *e.SHA
			}
		}
		sha := f.putTree(tree)
		writeJSON(w, map[string]any{"sha": sha})
	})
	handle(routeCreateBlob, func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Content, Encoding string }
		decode(r, &req)
		content, err := base64.StdEncoding.DecodeString(req.Content)
		if req.Encoding != "base64" || err != nil {
			http.Error(w, `{"message":"bad blob"}`, http.StatusUnprocessableEntity)
			return
		}
		sha := blobSHA(content)
		f.blobs[sha] = content
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, map[string]any{"sha": sha})
	})
	handle(routeListIssues, func(w http.ResponseWriter, r *http.Request) {
		out := []*fakeIssue{}
		for _, is := range f.issues {
			if is.State == r.URL.Query().Get("state") && slices.Contains(is.Labels, r.URL.Query().Get("labels")) {
				out = append(out, is)
			}
		}
		writeJSON(w, out)
	})
	handle(routeCreateIssue, func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Title, Body string
			Labels      []string
		}
		decode(r, &req)
		is := &fakeIssue{Number: len(f.issues) + 1, Title: req.Title, Body: req.Body, State: "open", Labels: req.Labels}
		f.issues = append(f.issues, is)
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, is)
	})
	handle(routeComment, func(w http.ResponseWriter, r *http.Request) {
		is := f.issue(r.PathValue("n"))
		var req struct{ Body string }
		decode(r, &req)
		is.Comments = append(is.Comments, req.Body)
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, map[string]any{"body": req.Body})
	})
	handle(routeEditIssue, func(w http.ResponseWriter, r *http.Request) {
		is := f.issue(r.PathValue("n"))
		var req struct {
			State       string
			StateReason string `json:"state_reason"`
		}
		decode(r, &req)
		if req.State != "" {
			is.State = req.State
		}
		writeJSON(w, is)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// client is a go-github client of the fake, sending token.
func (f *fakeGitHub) client(token string) *github.Client {
	c := NewClient(token)
	c.BaseURL, _ = url.Parse(f.srv.URL + "/")
	return c
}

// seed makes branch hold files in one commit, returning its SHA. The
// caller holds no lock.
func (f *fakeGitHub) seed(branch string, files map[string]string, message string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seedLocked(branch, files, message)
}

func (f *fakeGitHub) seedLocked(branch string, files map[string]string, message string) string {
	tree := map[string]string{}
	for p, content := range files {
		sha := blobSHA([]byte(content))
		f.blobs[sha] = []byte(content)
		tree[p] = sha
	}
	var parents []string
	if head, ok := f.refs["heads/"+branch]; ok {
		parents = []string{head}
	}
	sha := hashOf(fmt.Sprint(branch, message, len(f.commits)))
	f.commits[sha] = fakeCommit{tree: f.putTree(tree), parents: parents, message: message}
	f.refs["heads/"+branch] = sha
	return sha
}

func (f *fakeGitHub) putTree(tree map[string]string) string {
	var b strings.Builder
	for _, p := range sortedKeys(tree) {
		b.WriteString(p + " " + tree[p] + "\n")
	}
	sha := hashOf(b.String())
	f.trees[sha] = tree
	return sha
}

// files is the content of branch's head, by path.
func (f *fakeGitHub) files(branch string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for p, sha := range f.trees[f.commits[f.refs["heads/"+branch]].tree] {
		out[p] = string(f.blobs[sha])
	}
	return out
}

func (f *fakeGitHub) head(branch string) fakeCommit {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.commits[f.refs["heads/"+branch]]
}

// count is how many times route was called since the last reset.
func (f *fakeGitHub) count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == route {
			n++
		}
	}
	return n
}

func (f *fakeGitHub) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

func (f *fakeGitHub) failNext(route string, statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[route] = append(f.fail[route], statuses...)
}

func (f *fakeGitHub) issue(n string) *fakeIssue {
	i, _ := strconv.Atoi(n)
	if i < 1 || i > len(f.issues) {
		return &fakeIssue{}
	}
	return f.issues[i-1]
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func decode(r *http.Request, v any) {
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, v)
}

func hashOf(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}
