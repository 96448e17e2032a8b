package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The README and docs/ are what a newcomer copies from. These tests hold
// what they show to what exists: a command that was renamed, a flag that
// was dropped, a test a guarantee cites that no longer runs, or a link to
// a file or heading that moved all fail here instead of in a reader's
// terminal.

// TestDocsShowRealCommands: every `statusgen <command> --flag …` in the
// code of README.md and docs/*.md is a command that exists and flags it
// takes; a lone `--flag` (a table of flags, say) is a flag some command
// takes; every `make <target>` is a target of the Makefile; and every
// `go test -run/-bench PATTERN ./pkg` names tests that exist in pkg.
func TestDocsShowRealCommands(t *testing.T) {
	root := filepath.Join("..", "..")
	docs := readDocs(t, root)
	for _, p := range checkDocCode(root, docs, commandFlags(t), makeTargets(t, root)) {
		t.Error(p)
	}
}

// TestDocsLinksResolve: every relative link in README.md and docs/*.md
// points to a file that exists, and a #heading to a heading it has.
func TestDocsLinksResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, p := range checkDocLinks(root, readDocs(t, root)) {
		t.Error(p)
	}
}

// TestEnvExampleListsEveryVariable: .env.example and docs/configuration.md
// name every variable the configuration reads, and .env.example none that
// it does not read.
func TestEnvExampleListsEveryVariable(t *testing.T) {
	root := filepath.Join("..", "..")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	names := func(re, text string) map[string]bool {
		out := map[string]bool{}
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(text, -1) {
			out[m[1]] = true
		}
		return out
	}
	code := names(`d\.(?:env|envInt|envSeconds|envOr|proxyEnv)\("([A-Z][A-Z0-9_]*)"[,)]`, read("internal/config/env.go"))
	example := names(`(?m)^([A-Z][A-Z0-9_]*)=`, read(".env.example"))
	documented := names("`([A-Z][A-Z0-9_]*)`", read("docs/configuration.md"))
	if len(code) < 10 {
		t.Fatalf("found %d variables in internal/config/env.go, want more: has the way it reads them changed?", len(code))
	}
	for _, v := range slices.Sorted(maps.Keys(code)) {
		if !example[v] {
			t.Errorf(".env.example does not list %s, which the configuration reads", v)
		}
		if !documented[v] {
			t.Errorf("docs/configuration.md does not name %s, which the configuration reads", v)
		}
	}
	for _, v := range slices.Sorted(maps.Keys(example)) {
		if !code[v] {
			t.Errorf(".env.example lists %s, which the configuration does not read", v)
		}
	}
}

// TestDocCheckerFindsProblems holds the checkers themselves to a small
// repository of docs, each with one thing wrong, so the tests above
// cannot pass by finding nothing.
func TestDocCheckerFindsProblems(t *testing.T) {
	flags := commandFlags(t)
	targets := map[string]bool{"run": true, "test": true}
	root := t.TempDir()
	writeDocFile(t, root, "internal/demo/demo_test.go", "package demo\n\nfunc TestKnown(t *testing.T) {}\nfunc BenchmarkKnown(b *testing.B) {}\n")
	writeDocFile(t, root, "docs/other.md", "# Other page\n\n## A section `with code`\n")

	tests := []struct {
		name, doc string
		want      []string // a problem containing each, in order; none for a clean doc
	}{
		{"real commands and flags", "Run `statusgen once --summary FILE` or `./bin/statusgen serve --site .run/site`.\n\n" +
			"```sh\nstatusgen prune --dry-run && statusgen check --slack --interval=90s # what statusgen will do\n```\n" +
			"| flag |\n|---|\n| `--retention-days` |\n\n`statusgen <command> --help`, `journalctl -u statusgen -f`, `statusgen-load -bin bin/statusgen -services 10`", nil},
		{"unknown command", "```\nstatusgen frobnicate --nope\n```", []string{`README.md:2: statusgen frobnicate: no such command`}},
		{"unknown flag", "Try `statusgen once --nope`.", []string{`README.md:1: statusgen once: no flag --nope`}},
		{"flag of another command", "`statusgen render [--summary FILE]`", []string{`statusgen render: no flag --summary`}},
		{"lone flag no command takes", "| `--frobnicate` | x |", []string{`--frobnicate: no command takes it`}},
		{"unknown make target", "```sh\nmake -s lint FOO=1\n```", []string{`make lint: no such target`}},
		{"go test naming a missing test", "`go test -run 'TestKnown|TestGone' ./internal/demo`",
			[]string{`no test in ./internal/demo matches "TestGone"`}},
		{"go test bench", "`go test -run '^$' -bench 'BenchmarkKnown$/cold' ./internal/demo/` and `go test -bench BenchmarkGone ./internal/demo/`",
			[]string{`no benchmark in ./internal/demo/ matches "BenchmarkGone"`}},
		{"missing file", "See [the guide](docs/gone.md).", []string{`README.md:1: link docs/gone.md: no such file`}},
		{"missing heading", "See [other](docs/other.md#a-section-with-code) and [that](docs/other.md#nope).",
			[]string{`link docs/other.md#nope: docs/other.md has no heading "nope"`}},
		{"missing heading here", "# Title\n\nSee [above](#title) and [below](#below).", []string{`link #below: README.md has no heading "below"`}},
		{"links in code are not links", "`[x](nowhere.md)`", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeDocFile(t, root, "README.md", tt.doc+"\n")
			docs := readDocs(t, root)
			got := append(checkDocCode(root, docs, flags, targets), checkDocLinks(root, docs)...)
			if len(got) != len(tt.want) {
				t.Fatalf("problems in %q = %q, want %d matching %q", tt.doc, got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func writeDocFile(t *testing.T, root, name, text string) {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// docFile is one Markdown file, named relative to the repository's root.
type docFile struct {
	name  string // "README.md", "docs/checks.md"
	lines []string
}

// docCode is a piece of code a reader may copy: one line of a fenced
// block, or one inline code span.
type docCode struct {
	file   string
	line   int
	text   string
	inline bool
}

func (c docCode) at() string { return fmt.Sprintf("%s:%d", c.file, c.line) }

func readDocs(t *testing.T, root string) []docFile {
	t.Helper()
	names := []string{"README.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		names = append(names, "docs/"+filepath.Base(m))
	}
	var docs []docFile
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, docFile{name: name, lines: strings.Split(string(b), "\n")})
	}
	return docs
}

// walk calls code for every code line and span of f, and prose for every
// line outside fenced blocks with its code spans blanked out.
func (f docFile) walk(code func(docCode), prose func(line int, text string)) {
	fenced := false
	for i, line := range f.lines {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			if code != nil {
				// A comment is prose: "# what statusgen will use".
				text := shellComment.ReplaceAllString(line, "")
				code(docCode{file: f.name, line: i + 1, text: text})
			}
			continue
		}
		rest, spans := codeSpans(line)
		if code != nil {
			for _, s := range spans {
				code(docCode{file: f.name, line: i + 1, text: s, inline: true})
			}
		}
		if prose != nil {
			prose(i+1, rest)
		}
	}
}

// codeSpans splits a line into its inline code spans and the prose around
// them (the spans replaced by a space). A span opens with a run of
// backticks and closes with a run of the same length.
func codeSpans(line string) (prose string, spans []string) {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		fence := strings.Repeat("`", n)
		end := strings.Index(line[i+n:], fence)
		if end < 0 {
			b.WriteString(line[i:])
			break
		}
		spans = append(spans, strings.TrimSpace(line[i+n:i+n+end]))
		b.WriteByte(' ')
		i += n + end + n
	}
	return b.String(), spans
}

// commandFlags asks every command for its flags, as a user would with
// `statusgen <command> --help`.
func commandFlags(t *testing.T) map[string]map[string]bool {
	t.Helper()
	listed := regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`)
	out := map[string]map[string]bool{}
	for _, c := range commands() {
		var help bytes.Buffer
		if code := Run(context.Background(), []string{c.name, "--help"}, func(string) string { return "" }, io.Discard, &help); code != ExitOK {
			t.Fatalf("statusgen %s --help exited %d:\n%s", c.name, code, help.String())
		}
		out[c.name] = map[string]bool{"help": true}
		for _, m := range listed.FindAllStringSubmatch(help.String(), -1) {
			out[c.name][m[1]] = true
		}
		if !out[c.name]["config"] {
			t.Fatalf("statusgen %s --help lists no --config; the help format changed:\n%s", c.name, help.String())
		}
	}
	return out
}

// makeTargets are the rules of the Makefile.
func makeTargets(t *testing.T, root string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):(?:\s|$)`).FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = true
	}
	if !out["test"] {
		t.Fatalf("found no test target in the Makefile: %v", out)
	}
	return out
}

var (
	shellComment  = regexp.MustCompile(`(?:^|\s)#.*$`)
	statusgenCall = regexp.MustCompile(`(?:^|[\s/("'=])statusgen[ \t]+`)
	makeCall      = regexp.MustCompile(`(?:^|[\s(])make[ \t]+`)
	goTestCall    = regexp.MustCompile(`(?:^|[\s(])go test[ \t]+`)
	loneFlag      = regexp.MustCompile(`^--([a-z][a-z0-9-]*)(?:[ =]\S+)?$`)
	flagToken     = regexp.MustCompile(`^--?([a-z][a-z0-9-]*)(?:=.*)?$`)
)

// words are the shell words after a command, up to the end of that
// command: a pipe, a list operator, a comment or a redirection.
func words(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		if w == "|" || w == "||" || w == "&&" || w == ";" || w == "#" || strings.HasPrefix(w, ">") || strings.HasPrefix(w, "2>") {
			break
		}
		last := strings.HasSuffix(w, ";")
		if w = strings.Trim(w, "[],;)'\""); w != "" {
			out = append(out, w)
		}
		if last {
			break
		}
	}
	return out
}

// checkDocCode returns one problem for each command, flag, make target
// or test pattern in the docs' code that does not exist.
func checkDocCode(root string, docs []docFile, flags map[string]map[string]bool, targets map[string]bool) []string {
	var names []string
	for n := range flags {
		names = append(names, n)
	}
	slices.Sort(names)
	anyFlag := map[string]bool{}
	for _, fs := range flags {
		for f := range fs {
			anyFlag[f] = true
		}
	}
	var problems []string
	for _, f := range docs {
		f.walk(func(c docCode) {
			for _, m := range statusgenCall.FindAllStringIndex(c.text, -1) {
				w := words(c.text[m[1]:])
				// The word before the one statusgen ends ("-bin" in "-bin bin/statusgen").
				prefix := c.text[:m[0]+1]
				before := strings.Fields(prefix[:strings.LastIndexAny(prefix, " \t")+1])
				switch {
				case len(w) == 0 || strings.HasPrefix(w[0], "<"):
					continue // `statusgen <command> --help`
				case len(before) > 0 && strings.HasPrefix(before[len(before)-1], "-"):
					continue // a flag's value: the unit in `journalctl -u statusgen -f`
				}
				cmd, ok := flags[w[0]]
				if !ok {
					problems = append(problems, fmt.Sprintf("%s: statusgen %s: no such command (commands: %s)", c.at(), w[0], strings.Join(names, ", ")))
					continue
				}
				for _, tok := range w[1:] {
					if tok == "--" || strings.Contains(tok, "statusgen") {
						break
					}
					if fm := flagToken.FindStringSubmatch(tok); fm != nil && !cmd[fm[1]] {
						problems = append(problems, fmt.Sprintf("%s: statusgen %s: no flag --%s (statusgen %s --help lists them)", c.at(), w[0], fm[1], w[0]))
					}
				}
			}
			if m := loneFlag.FindStringSubmatch(c.text); c.inline && m != nil && !anyFlag[m[1]] {
				problems = append(problems, fmt.Sprintf("%s: --%s: no command takes it", c.at(), m[1]))
			}
			for _, m := range makeCall.FindAllStringIndex(c.text, -1) {
				for _, w := range words(c.text[m[1]:]) {
					if strings.HasPrefix(w, "-") || strings.Contains(w, "=") {
						continue
					}
					if !targets[w] {
						problems = append(problems, fmt.Sprintf("%s: make %s: no such target in the Makefile", c.at(), w))
					}
					break
				}
			}
			for _, m := range goTestCall.FindAllStringIndex(c.text, -1) {
				problems = append(problems, checkGoTest(root, c, words(c.text[m[1]:]))...)
			}
		}, nil)
	}
	return problems
}

// checkGoTest checks that each name a `go test -run` or `-bench` pattern
// spells out matches a test (or benchmark) in the packages listed.
func checkGoTest(root string, c docCode, w []string) []string {
	type pattern struct{ flag, expr string }
	var patterns []pattern
	var pkgs []string
	for i := 0; i < len(w); i++ {
		switch {
		case (w[i] == "-run" || w[i] == "-bench") && i+1 < len(w):
			patterns = append(patterns, pattern{w[i], w[i+1]})
			i++
		case strings.HasPrefix(w[i], "./"):
			pkgs = append(pkgs, w[i])
		}
	}
	if len(patterns) == 0 || len(pkgs) == 0 {
		return nil
	}
	funcs := testFuncs(root, pkgs)
	var problems []string
	for _, p := range patterns {
		kind, prefixes := "test", []string{"Test", "Fuzz", "Example"}
		if p.flag == "-bench" {
			kind, prefixes = "benchmark", []string{"Benchmark"}
		}
		top, _, _ := strings.Cut(p.expr, "/") // subtests are not checked
		alternatives := []string{top}
		if !strings.ContainsAny(top, "()") {
			alternatives = strings.Split(top, "|")
		}
		for _, alt := range alternatives {
			if alt == "^$" || alt == "" {
				continue
			}
			re, err := regexp.Compile(alt)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: go test %s %q: %v", c.at(), p.flag, p.expr, err))
				continue
			}
			if !slices.ContainsFunc(funcs, func(fn string) bool {
				return re.MatchString(fn) && slices.ContainsFunc(prefixes, func(pre string) bool { return strings.HasPrefix(fn, pre) })
			}) {
				problems = append(problems, fmt.Sprintf("%s: go test %s: no %s in %s matches %q", c.at(), p.flag, kind, strings.Join(pkgs, " "), alt))
			}
		}
	}
	return problems
}

// testFuncs lists the Test, Benchmark, Fuzz and Example functions of the
// packages, given as go test takes them ("./internal/cli", "./...").
func testFuncs(root string, pkgs []string) []string {
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Benchmark|Fuzz|Example)\w*)\(`)
	var out []string
	add := func(dir string, recursive bool) {
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			switch {
			case err != nil:
				return nil
			case d.IsDir() && path != dir && (!recursive || d.Name() == "testdata"):
				return filepath.SkipDir
			case d.IsDir() || !strings.HasSuffix(path, "_test.go"):
				return nil
			}
			b, err := os.ReadFile(path)
			if err == nil {
				for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
					out = append(out, m[1])
				}
			}
			return nil
		})
	}
	for _, p := range pkgs {
		dir, recursive := strings.CutSuffix(strings.TrimSuffix(p, "/"), "/...")
		add(filepath.Join(root, filepath.FromSlash(dir)), recursive)
	}
	return out
}

var mdLink = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// checkDocLinks returns one problem for each relative link of the docs
// whose file, or heading, does not exist.
func checkDocLinks(root string, docs []docFile) []string {
	headings := map[string]map[string]bool{} // file → its heading anchors
	anchorsOf := func(name string) map[string]bool {
		if h, ok := headings[name]; ok {
			return h
		}
		h := map[string]bool{}
		if b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name))); err == nil {
			for _, a := range markdownAnchors(string(b)) {
				h[a] = true
			}
		}
		headings[name] = h
		return h
	}
	var problems []string
	for _, f := range docs {
		f.walk(nil, func(line int, text string) {
			for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, anchor, _ := strings.Cut(target, "#")
				name := f.name
				if path != "" {
					name = filepath.ToSlash(filepath.Join(filepath.Dir(f.name), path))
					if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(name))); err != nil {
						problems = append(problems, fmt.Sprintf("%s:%d: link %s: no such file", f.name, line, target))
						continue
					}
				}
				if anchor != "" && strings.HasSuffix(name, ".md") && !anchorsOf(name)[anchor] {
					problems = append(problems, fmt.Sprintf("%s:%d: link %s: %s has no heading %q", f.name, line, target, name, anchor))
				}
			}
		})
	}
	return problems
}

// markdownAnchors are the ids GitHub gives a Markdown file's headings:
// lower case, punctuation dropped, spaces as hyphens, and -1, -2 … after
// a repeated one.
func markdownAnchors(doc string) []string {
	var out []string
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if fenced || !strings.HasPrefix(line, "#") || !ok || len(line)-len(strings.TrimLeft(line, "#")) > 6 {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(title)) {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		id := b.String()
		if n := seen[id]; n > 0 {
			out = append(out, fmt.Sprintf("%s-%d", id, n))
		} else {
			out = append(out, id)
		}
		seen[id]++
	}
	return out
}
