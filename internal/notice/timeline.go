package notice

import (
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"time"
)

// Status is where an incident stands after an update, in Statuspage's
// words, so status.json's incident_updates read as clients expect.
type Status string

const (
	Investigating Status = "investigating" // the team knows something is wrong
	Identified    Status = "identified"    // the cause is known, a fix is on its way
	Monitoring    Status = "monitoring"    // a fix is out, the team watches
	Resolved      Status = "resolved"      // over
)

// statuses in the order an incident usually goes through them.
var statuses = []Status{Investigating, Identified, Monitoring, Resolved}

// Update is one entry of an incident notice's timeline: how the team told
// its users, during an outage, where things stood.
type Update struct {
	At     time.Time // UTC
	Status Status
	Text   string        // the Markdown as written, control and bidi characters removed
	HTML   template.HTML // Text rendered and made safe as a notice's body is
	Plain  string        // Text as plain words, for JSON clients: no markup, unsafe links dropped as on the page
}

// rawUpdate is one [[update]] table as written. At is decoded loosely so
// that a quoted or local time gets a message saying what to write.
type rawUpdate struct {
	At     any    `toml:"at"`
	Status string `toml:"status"`
	Text   string `toml:"text"`
}

// Latest is the newest update; ok is false for a notice without a timeline.
func (n Notice) Latest() (u Update, ok bool) {
	if len(n.Updates) == 0 {
		return Update{}, false
	}
	return n.Updates[len(n.Updates)-1], true
}

// Posted is the timeline as of at: the updates whose time has come. An
// update written ahead of its time waits for it, on every page alike.
func (n Notice) Posted(at time.Time) []Update {
	i := len(n.Updates)
	for i > 0 && n.Updates[i-1].At.After(at) {
		i--
	}
	return n.Updates[:i]
}

// Open reports whether n is an incident still being worked on as of at:
// it has a timeline whose newest update (up to at) is not "resolved", and
// its window has not closed. A write-up without a timeline is never open.
func (n Notice) Open(at time.Time) bool {
	if n.Kind != Incident || !n.Active(at) {
		return false
	}
	posted := n.Posted(at)
	return len(posted) > 0 && posted[len(posted)-1].Status != Resolved
}

// checkUpdates validates the [[update]] tables and turns them into the
// notice's timeline. Errors name the update (1-based, as written), the key
// and its line.
func checkUpdates(fm *frontMatter, head []byte) ([]Update, error) {
	if len(fm.Updates) == 0 {
		return nil, nil
	}
	sections := updateSections(head)
	line := func(i int, key string) int {
		if i < len(sections) {
			if n, ok := sections[i].keys[key]; ok {
				return n
			}
			return sections[i].header
		}
		return keyLine(head, "update")
	}
	if fm.Kind != Incident {
		return nil, &lineError{line(0, ""), fmt.Sprintf(`[[update]] is only for kind = "incident", not %q: a timeline tells users how an outage goes`, fm.Kind)}
	}
	var out []Update
	for i, raw := range fm.Updates {
		at := func(key, msg string) error {
			return &lineError{line(i, key), fmt.Sprintf("update %d: %s %s", i+1, key, msg)}
		}
		var u Update
		switch v := raw.At.(type) {
		case nil:
			return nil, at("at", "is required: a date-time with its offset, like 2026-11-25T02:00:00Z")
		case time.Time:
			if !offsetRE.MatchString(lineValue(head, line(i, "at"))) {
				return nil, at("at", "needs a UTC offset, like 2026-11-25T02:00:00Z")
			}
			u.At = v.UTC()
		case string:
			return nil, at("at", fmt.Sprintf("must be a TOML date-time without quotes, like 2026-11-25T02:00:00Z, not the string %q", v))
		default:
			return nil, at("at", fmt.Sprintf("must be a date-time with its offset, like 2026-11-25T02:00:00Z, not %v", v))
		}
		u.Status = Status(strings.TrimSpace(raw.Status))
		if !validStatus(u.Status) {
			return nil, at("status", fmt.Sprintf("must be one of %s, not %q", statusList(), raw.Status))
		}
		u.Text = strings.TrimSpace(stripControls(raw.Text))
		if u.Text == "" {
			return nil, at("text", "is required: what the team tells its users (Markdown)")
		}
		switch {
		case u.At.Before(fm.Start):
			return nil, at("at", fmt.Sprintf("%s is before the notice's start %s", stampOf(u.At), stampOf(fm.Start.UTC())))
		case i > 0 && u.At.Before(out[i-1].At):
			return nil, at("at", fmt.Sprintf("%s is before update %d's %s: write the updates oldest first", stampOf(u.At), i, stampOf(out[i-1].At)))
		}
		html, err := render([]byte(u.Text))
		if err != nil {
			return nil, at("text", fmt.Sprintf("cannot be rendered: %v", err))
		}
		u.HTML, u.Plain = html, plainText([]byte(u.Text))
		out = append(out, u)
	}
	return out, nil
}

// unknownUpdateKey points at the first [[update]] table that writes key.
func unknownUpdateKey(head []byte, key string) error {
	for i, s := range updateSections(head) {
		if n, ok := s.keys[key]; ok {
			return &lineError{n, fmt.Sprintf("update %d: unknown key %q (known: at, status, text)", i+1, key)}
		}
	}
	return &lineError{keyLine(head, "update"), fmt.Sprintf("[[update]]: unknown key %q (known: at, status, text)", key)}
}

func validStatus(s Status) bool {
	for _, v := range statuses {
		if s == v {
			return true
		}
	}
	return false
}

func statusList() string {
	names := make([]string, len(statuses))
	for i, s := range statuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

func stampOf(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// updateSection is where one [[update]] table is written: its header line
// and the lines of its keys, as lines of the notice file.
type updateSection struct {
	header int
	keys   map[string]int
}

var (
	updateHeaderRE = regexp.MustCompile(`^\s*\[\[\s*"?update"?\s*\]\]\s*(#.*)?$`)
	tableHeaderRE  = regexp.MustCompile(`^\s*\[`)
)

// updateSections finds the [[update]] tables in the front matter, in
// order, so that a message can point at the update's own line rather than
// the first "at =" of the file.
func updateSections(head []byte) []updateSection {
	var out []updateSection
	var cur *updateSection
	inString := "" // the delimiter of a multi-line string being read
	for i, line := range strings.Split(string(head), "\n") {
		if inString != "" {
			if strings.Count(line, inString)%2 == 1 {
				inString = ""
			}
			continue
		}
		for _, delim := range []string{`"""`, "'''"} {
			if strings.Count(line, delim)%2 == 1 {
				inString = delim
			}
		}
		switch {
		case updateHeaderRE.MatchString(line):
			out = append(out, updateSection{header: i + 2, keys: map[string]int{}})
			cur = &out[len(out)-1]
		case tableHeaderRE.MatchString(line):
			cur = nil
		case cur != nil:
			if k, _, ok := strings.Cut(line, "="); ok {
				k = strings.Trim(strings.TrimSpace(k), `"'`)
				if _, seen := cur.keys[k]; !seen {
					cur.keys[k] = i + 2
				}
			}
		}
	}
	return out
}

// lineValue is what follows "=" on line n of the notice file (the front
// matter's first line is the file's second), trimmed.
func lineValue(head []byte, n int) string {
	lines := strings.Split(string(head), "\n")
	if n < 2 || n-2 >= len(lines) {
		return ""
	}
	_, v, _ := strings.Cut(lines[n-2], "=")
	return strings.TrimSpace(v)
}
