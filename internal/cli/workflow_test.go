package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// invocation is one statusgen command line found in a deployment file.
type invocation struct {
	file string
	line int
	args []string // without the program
}

var (
	// A workflow runs the binary it built: ./bin/statusgen <command> [flags].
	invokeRE = regexp.MustCompile(`\./bin/statusgen\s+(.*)$`)
	exprRE   = regexp.MustCompile(`\$\{\{.*?\}\}`)
)

// invocations finds every statusgen command line in a workflow or shell
// text: continuation lines are joined, and the arguments end at a shell
// operator or a comment.
func invocations(file, text string) []invocation {
	var out []invocation
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		n, line := i+1, lines[i]
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimSpace(lines[i])
		}
		m := invokeRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		out = append(out, invocation{file: file, line: n, args: shellWords(exprRE.ReplaceAllString(m[1], "EXPR"))})
	}
	return out
}

// shellWords splits s as a shell would, well enough for command lines in
// workflows: quotes group, and a shell operator or comment ends the command.
func shellWords(s string) []string {
	var (
		words []string
		cur   strings.Builder
		quote rune
		in    bool
	)
	flush := func() {
		if in {
			words = append(words, cur.String())
			cur.Reset()
			in = false
		}
	}
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			flush()
		case strings.ContainsRune("|&;<>#)", r):
			if (r == '>' || r == '<') && in && strings.Trim(cur.String(), "0123456789") == "" {
				in = false // "2>&1": the digits name a file descriptor
				cur.Reset()
			}
			flush()
			return words
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	flush()
	return words
}

func TestInvocations(t *testing.T) {
	text := "run: ./bin/statusgen once --summary /tmp/s.txt && echo ok\n" +
		"  ./bin/statusgen prune \\\n    --dry-run --data \"my data\" # comment\n" +
		"go build -o bin/statusgen ./cmd/statusgen\n" +
		"./bin/statusgen publish --site ${{ env.SITE }} 2>&1 | tee log\n"
	got := invocations("x.yml", text)
	want := []invocation{
		{"x.yml", 1, []string{"once", "--summary", "/tmp/s.txt"}},
		{"x.yml", 2, []string{"prune", "--dry-run", "--data", "my data"}},
		{"x.yml", 5, []string{"publish", "--site", "EXPR"}},
	}
	if len(got) != len(want) {
		t.Fatalf("invocations = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].line != want[i].line || strings.Join(got[i].args, "|") != strings.Join(want[i].args, "|") {
			t.Errorf("invocations[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestWorkflowCommandsExist runs every statusgen command line of the
// workflows with --help appended: an unknown command, an unknown flag or a
// stray argument fails to parse before --help is reached.
func TestWorkflowCommandsExist(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", ".github", "workflows", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no workflow files found in .github/workflows")
	}
	byFile := map[string]int{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range invocations(filepath.Base(file), string(b)) {
			byFile[inv.file]++
			args := append(inv.args[:len(inv.args):len(inv.args)], "--help")
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
			if code != ExitOK {
				t.Errorf("%s:%d: statusgen %s = exit %d, want 0 (the command and flags must exist):\n%s",
					inv.file, inv.line, strings.Join(inv.args, " "), code, stderr.String())
			}
		}
	}
	if byFile["status.yml"] == 0 {
		t.Errorf("status.yml runs no ./bin/statusgen command; the test would check nothing")
	}
}

// TestDeploymentFilesCommands checks the command the container runs: the
// Dockerfile's CMD and the statusgen service's command in compose.yaml.
func TestDeploymentFilesCommands(t *testing.T) {
	cmdRE := regexp.MustCompile(`^\s*(?:CMD|command:)\s*\[\s*"([a-z]+)"`)
	serviceRE := regexp.MustCompile(`^  ([a-z][a-z0-9_-]*):\s*$`)
	for _, name := range []string{"Dockerfile", "compose.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		service, found := "statusgen", 0 // the Dockerfile has one
		for _, line := range strings.Split(string(b), "\n") {
			if m := serviceRE.FindStringSubmatch(line); m != nil {
				service = m[1]
			}
			m := cmdRE.FindStringSubmatch(line)
			if m == nil || service != "statusgen" {
				continue
			}
			found++
			var stdout, stderr bytes.Buffer
			if code := Run(context.Background(), []string{m[1], "--help"}, func(string) string { return "" }, &stdout, &stderr); code != ExitOK {
				t.Errorf("%s: statusgen %s --help = exit %d, want 0", name, m[1], code)
			}
		}
		if found == 0 {
			t.Errorf("%s: no statusgen CMD/command found", name)
		}
	}
}
