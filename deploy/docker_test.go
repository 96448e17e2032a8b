package deploy

import (
	"bufio"
	"debug/elf"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Docker cannot build images on the machines the tests run on, so these
// tests take the Dockerfile's build apart: its build context through
// .dockerignore, and its `go build` command line run as written.

// TestDockerfileBuild runs the Dockerfile's `go build` command, parsed
// from the Dockerfile so the two cannot drift, in a copy of the build
// context that .dockerignore leaves. The binary must be static (the final
// image, distroless/static, has no C library) and carry the version and
// commit the build passes in (the context has no .git to stamp them).
func TestDockerfileBuild(t *testing.T) {
	build := dockerfileBuild(t)
	ctx := t.TempDir()
	copyContext(t, "..", ctx, readDockerignore(t))
	out := t.TempDir()
	const version, commit = "v0.0.0-dockerfile-test", "0123456789abcdef0123456789abcdef01234567"
	command := strings.NewReplacer("${VERSION}", version, "${COMMIT}", commit).Replace(build)
	command = strings.Replace(command, "-o /out/statusgen", "-o "+filepath.Join(out, "statusgen"), 1)
	if !strings.Contains(command, filepath.Join(out, "statusgen")) {
		t.Fatalf("the Dockerfile's build does not write /out/statusgen, which its final stage copies:\n%s", build)
	}
	cmd := exec.Command("sh", "-c", command)
	cmd.Dir = ctx
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build in its context: %v\n%s\n%s", err, command, b)
	}
	bin := filepath.Join(out, "statusgen")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the Dockerfile builds a dynamically linked binary; distroless/static has no loader for it")
		}
	}
	b, err := exec.Command(bin, "version").CombinedOutput()
	if want := "statusgen " + version + " (commit " + commit + ","; err != nil || !strings.HasPrefix(string(b), want) {
		t.Errorf("statusgen version from the Dockerfile's build = %q (%v), want the build's VERSION and COMMIT: %s", b, err, want)
	}
}

// TestVersionReachesTheImage: the Dockerfile's build arguments, which
// statusgen version reports, are each passed by compose.yaml (from the
// environment make compose-up sets) and by make docker-build.
func TestVersionReachesTheImage(t *testing.T) {
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	compose, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	build := dockerfileBuild(t)
	up := regexp.MustCompile(`(?m)^\t.*docker compose up.*$`).Find(makefile)
	for _, arg := range []string{"VERSION", "COMMIT"} {
		if !regexp.MustCompile(`(?m)^ARG `+arg+`=`).Match(df) || !strings.Contains(build, "${"+arg+"}") {
			t.Errorf("the Dockerfile's go build does not take the build argument %s", arg)
		}
		if !regexp.MustCompile(`(?m)^\s+` + arg + `: \$\{` + arg + `:-[^}]+\}$`).Match(compose) {
			t.Errorf("compose.yaml's build args do not pass %s from the environment", arg)
		}
		if !strings.Contains(string(makefile), "--build-arg "+arg+"=$("+arg+")") ||
			!strings.Contains(string(up), arg+"=$("+arg+") ") {
			t.Errorf("make docker-build or make compose-up does not pass %s", arg)
		}
	}
}

// dockerfileBuild is the Dockerfile's RUN line with `go build`, its
// continuation lines joined, cut to the go build command itself.
func dockerfileBuild(t *testing.T) string {
	t.Helper()
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	joined := regexp.MustCompile(`\\\n\s*`).ReplaceAllString(string(df), " ")
	var found []string
	for _, line := range strings.Split(joined, "\n") {
		cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "RUN ")
		if !ok {
			continue
		}
		for _, part := range strings.Split(cmd, "&&") {
			if strings.Contains(part, "go build") {
				found = append(found, strings.TrimSpace(part))
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("the Dockerfile has %d go build commands, want 1: %q", len(found), found)
	}
	return found[0]
}

// TestDockerignore: nothing git ignores (history, the site, secrets,
// binaries, CI's npm install) goes into the build context, and what the
// build needs does.
func TestDockerignore(t *testing.T) {
	ignore := readDockerignore(t)
	out := []string{".git/config", ".env", "data/state.json", "data/checks/2026-01-01.jsonl", "site/index.html"}
	gitignore, err := os.ReadFile("../.gitignore")
	if err != nil {
		t.Fatal(err)
	}
	// Every folder .gitignore names from the root.
	for _, line := range strings.Split(string(gitignore), "\n") {
		if strings.HasPrefix(line, "/") && strings.HasSuffix(line, "/") {
			out = append(out, strings.Trim(line, "/")+"/some/file")
		}
	}
	for _, p := range out {
		if !ignore.excludes(p) {
			t.Errorf(".dockerignore lets %s into the build context", p)
		}
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd/statusgen/main.go", "internal/site/write.go", "templates/index.html", "services.toml"} {
		if ignore.excludes(p) {
			t.Errorf(".dockerignore leaves %s out of the build context; the build needs it", p)
		}
	}
}

// dockerignore is .dockerignore's patterns, as Docker reads them: paths
// relative to the context's root, `*`, `?` and `**` wildcards, `!` for an
// exception, the last matching pattern deciding; a pattern that matches a
// folder excludes everything in it.
type dockerignore []ignorePattern

type ignorePattern struct {
	re     *regexp.Regexp
	except bool
}

func readDockerignore(t *testing.T) dockerignore {
	t.Helper()
	f, err := os.Open("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var d dockerignore
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := ignorePattern{}
		if line, p.except = strings.CutPrefix(line, "!"); p.except {
			line = strings.TrimSpace(line)
		}
		line = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(line)), "/")
		p.re = regexp.MustCompile("^" + globRegexp(line) + "$")
		d = append(d, p)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

// globRegexp translates a .dockerignore pattern to a regular expression.
func globRegexp(glob string) string {
	var b strings.Builder
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; {
		case strings.HasPrefix(glob[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(glob[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			j := strings.IndexByte(glob[i:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			b.WriteString(glob[i : i+j+1])
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// excludes reports whether the slash-separated path stays out of the
// build context.
func (d dockerignore) excludes(path string) bool {
	excluded := false
	for _, p := range d {
		// The path or a folder it is in.
		match := false
		for prefix := path; prefix != "."; prefix = filepath.ToSlash(filepath.Dir(prefix)) {
			if p.re.MatchString(prefix) {
				match = true
				break
			}
		}
		if match {
			excluded = !p.except
		}
	}
	return excluded
}

// copyContext copies the files of src that ignore leaves into dst.
func copyContext(t *testing.T, src, dst string, ignore dockerignore) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil || rel == "." {
			return err
		}
		if ignore.excludes(filepath.ToSlash(rel)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		out := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.Mkdir(out, 0o755)
		case d.Type().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			return os.WriteFile(out, b, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "go.mod")); err != nil {
		t.Fatalf("the build context has no go.mod: %v", err)
	}
}
