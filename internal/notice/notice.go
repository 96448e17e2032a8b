// Package notice reads the operator's notices, data/notices/*.md: Markdown
// with a `+++` TOML front matter that announces maintenance, writes up an
// incident (with a timeline of updates while it lasts) or tells visitors
// something. A maintenance notice also holds back
// alerts for its services during its window.
package notice

import (
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind says what a notice is for.
type Kind string

const (
	Maintenance Kind = "maintenance" // planned work: its services show "Under maintenance" and alerts are held
	Incident    Kind = "incident"    // a write-up of an outage, linked from the incidents it overlaps
	Info        Kind = "info"        // an announcement
)

// Notice is one file of data/notices.
type Notice struct {
	Slug     string // the file name without .md: stable, for anchors and feed ids
	Title    string
	Kind     Kind
	Start    time.Time // UTC; when the window begins, or when the notice was published
	End      time.Time // UTC; zero for an open-ended info or incident notice
	Services []string  // the services concerned; empty for all of them
	// HTML is the body rendered by goldmark: raw HTML is omitted, links with
	// a scheme other than http, https or mailto and images from other
	// origins are reduced to their text.
	HTML template.HTML
	// Updates is an incident's timeline, oldest first, as written in its
	// [[update]] tables; empty for other kinds and for a write-up without one.
	Updates []Update

	servicesLine int // where services is written in the file, for messages
}

// Active reports whether at falls in the notice's window.
func (n Notice) Active(at time.Time) bool {
	return !at.Before(n.Start) && (n.End.IsZero() || at.Before(n.End))
}

// Upcoming reports whether the notice's window is yet to begin at at.
func (n Notice) Upcoming(at time.Time) bool { return at.Before(n.Start) }

// Covers reports whether the notice concerns service (a notice naming no
// service concerns every one).
func (n Notice) Covers(service string) bool {
	return len(n.Services) == 0 || slices.Contains(n.Services, service)
}

// Held returns the rule that holds back alerts: true when a maintenance
// notice active at at covers service. The services are still checked and
// recorded meanwhile.
func Held(notices []Notice) func(service string, at time.Time) bool {
	var windows []Notice
	for _, n := range notices {
		if n.Kind == Maintenance {
			windows = append(windows, n)
		}
	}
	return func(service string, at time.Time) bool {
		for _, n := range windows {
			if n.Active(at) && n.Covers(service) {
				return true
			}
		}
		return false
	}
}

// LoadDir reads every *.md file in dir, sorted by start then slug. A
// missing dir has no notices. A file that cannot be used is left out and
// reported in problems, one error per file naming it (and its line, where
// there is one), so one bad notice never hides the others, nor the
// maintenance windows they hold. known, when not nil, are the configured
// service names: a notice naming any other is a problem too, since it
// would hold no alert and mark no service (a typo like "Sefaria" for
// "sefaria.org").
func LoadDir(dir string, known []string) (notices []Notice, problems []error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []error{fmt.Errorf("notices: %w", err)}
	}
	var names map[string]bool
	if known != nil {
		names = make(map[string]bool, len(known))
		for _, k := range known {
			names[k] = true
		}
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".md") || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, fmt.Errorf("notice %s: %w", path, err))
			continue
		}
		n, err := Parse(path, data)
		if err == nil && names != nil {
			err = n.checkServices(path, names, known)
		}
		if err != nil {
			problems = append(problems, err)
			continue
		}
		notices = append(notices, n)
	}
	Sort(notices)
	return notices, problems
}

// checkServices reports the first service n names that is not configured,
// with the names it could have meant.
func (n Notice) checkServices(path string, names map[string]bool, known []string) error {
	for _, s := range n.Services {
		if names[s] {
			continue
		}
		msg := fmt.Sprintf("services: %q is not a configured service", s)
		for _, k := range known {
			if nearMiss(k, s) {
				msg += fmt.Sprintf(" (did you mean %q?)", k)
				break
			}
		}
		return fmt.Errorf("notice %s%w", path, &lineError{n.servicesLine, msg + "; known: " + listNames(known)})
	}
	return nil
}

// listNames quotes up to a dozen names, then says how many more there are.
func listNames(names []string) string {
	const most = 12
	quoted := make([]string, 0, min(len(names), most))
	for _, n := range names[:min(len(names), most)] {
		quoted = append(quoted, strconv.Quote(n))
	}
	list := strings.Join(quoted, ", ")
	if len(names) > most {
		list += fmt.Sprintf(" and %d more", len(names)-most)
	}
	return list
}

// nearMiss reports whether typed looks like a slip for name: the same but
// for case and punctuation ("mcp-server", "MCP Server"), or its first
// words ("Sefaria", "sefaria.org").
func nearMiss(name, typed string) bool {
	a, b := slugOf(name), slugOf(typed)
	return b != "" && (a == b || strings.HasPrefix(a, b+"-") || strings.HasPrefix(b, a+"-"))
}

// slugOf folds a name as loosely as a page slug does (case and
// punctuation), to suggest the configured name a notice meant.
func slugOf(name string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	}), "-")
}

// Sort orders notices by start, then slug, so pages list them the same way every time.
func Sort(ns []Notice) {
	slices.SortFunc(ns, func(a, b Notice) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Slug, b.Slug)
	})
}

// Parse reads one notice; path names it in errors and gives its slug.
func Parse(path string, data []byte) (Notice, error) {
	fm, body, err := parseFrontMatter(data)
	if err != nil {
		return Notice{}, fmt.Errorf("notice %s%s", path, err)
	}
	n := Notice{
		Slug:     strings.TrimSuffix(filepath.Base(path), ".md"),
		Title:    fm.Title,
		Kind:     fm.Kind,
		Start:    fm.Start.UTC(),
		End:      fm.End.UTC(),
		Services: fm.Services,
		Updates:  fm.updates,

		servicesLine: fm.servicesLine,
	}
	// An incident resolved in its timeline is over then, unless its end
	// says otherwise: it leaves the current notices for the past ones.
	if last, ok := n.Latest(); ok && n.End.IsZero() && last.Status == Resolved && last.At.After(n.Start) {
		n.End = last.At
	}
	html, err := render(body)
	if err != nil {
		return Notice{}, fmt.Errorf("notice %s: render markdown: %w", path, err)
	}
	n.HTML = html
	return n, nil
}
