package notice

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// frontMatter is the TOML between the two `+++` lines.
type frontMatter struct {
	Title    string      `toml:"title"`
	Kind     Kind        `toml:"kind"`
	Start    time.Time   `toml:"start"`
	End      time.Time   `toml:"end"`
	Services []string    `toml:"services"`
	Updates  []rawUpdate `toml:"update"` // an incident's timeline (timeline.go)

	servicesLine int      // of the notice file; 0 when not written
	updates      []Update // Updates checked, oldest first
}

const fence = "+++"

// lineError is a problem at a line of the notice file (0: no line).
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf(":%d: %s", e.line, e.msg)
	}
	return ": " + e.msg
}

// parseFrontMatter splits data into its front matter, decoded and checked,
// and the Markdown body. Errors read ":LINE: message", for the caller to
// prefix with the file name.
func parseFrontMatter(data []byte) (frontMatter, []byte, error) {
	var fm frontMatter
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	first, rest, _ := cutLine(data)
	if strings.TrimSpace(string(first)) != fence {
		return fm, nil, &lineError{1, `a notice must begin with a "+++" line, then TOML front matter, then "+++"`}
	}
	var head []byte
	bodyLine := 2
	for closed := false; !closed; bodyLine++ {
		if len(rest) == 0 {
			return fm, nil, &lineError{1, `the front matter opened here is never closed by a "+++" line`}
		}
		var line []byte
		line, rest, _ = cutLine(rest)
		if strings.TrimSpace(string(line)) == fence {
			closed = true
			continue
		}
		head = append(append(head, line...), '\n')
	}
	md, err := toml.Decode(string(head), &fm)
	if err != nil {
		err = tomlError(err, head)
		if le, ok := err.(*lineError); ok && strings.HasPrefix(le.msg, "update: incompatible types") {
			le.msg = "update: write each update as its own [[update]] table, with two brackets"
		}
		return fm, nil, err
	}
	if keys := md.Undecoded(); len(keys) > 0 {
		k := keys[0].String()
		if len(keys[0]) == 2 && keys[0][0] == "update" { // a key of some [[update]] table
			return fm, nil, unknownUpdateKey(head, keys[0][1])
		}
		return fm, nil, &lineError{keyLine(head, k), fmt.Sprintf("unknown key %q (known: title, kind, start, end, services, and [[update]] tables)", k)}
	}
	if err := fm.check(md, head); err != nil {
		return fm, nil, err
	}
	if fm.updates, err = checkUpdates(&fm, head); err != nil {
		return fm, nil, err
	}
	fm.servicesLine = keyLine(head, "services")
	return fm, rest, nil
}

// check enforces what a page needs from a notice.
func (fm *frontMatter) check(md toml.MetaData, head []byte) error {
	at := func(key, msg string) error { return &lineError{keyLine(head, key), key + " " + msg} }
	fm.Title = strings.TrimSpace(stripControls(fm.Title))
	switch {
	case fm.Title == "":
		return at("title", "is required")
	case fm.Kind != Maintenance && fm.Kind != Incident && fm.Kind != Info:
		return at("kind", fmt.Sprintf("must be \"maintenance\", \"incident\" or \"info\", not %q", fm.Kind))
	case !md.IsDefined("start"):
		return at("start", "is required: a date-time with its offset, like 2026-11-25T02:00:00Z")
	case !hasOffset(head, "start"):
		return at("start", "needs a UTC offset, like 2026-11-25T02:00:00Z")
	case md.IsDefined("end") && !hasOffset(head, "end"):
		return at("end", "needs a UTC offset, like 2026-11-25T03:00:00Z")
	case fm.Kind == Maintenance && !md.IsDefined("end"):
		return at("end", "is required for maintenance: when the window closes")
	case md.IsDefined("end") && !fm.End.After(fm.Start):
		return at("end", "must be after start")
	}
	for i, s := range fm.Services {
		if fm.Services[i] = strings.TrimSpace(s); fm.Services[i] == "" {
			return at("services", "must not contain an empty name")
		}
	}
	return nil
}

// tomlError gives a decoding error its line in the notice file (the front
// matter starts on line 2).
func tomlError(err error, head []byte) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line := pe.Position.Line
		if line == 0 {
			line = pe.Line
		}
		if line == 0 && pe.LastKey != "" {
			return &lineError{keyLine(head, pe.LastKey), pe.Message}
		}
		if line > 0 {
			line++
		}
		if pe.LastKey != "" {
			return &lineError{line, pe.LastKey + ": " + pe.Message}
		}
		return &lineError{line, pe.Message}
	}
	// Type mismatches come as plain errors: "toml: line 1 (last key "title"): incompatible types: …".
	if m := decodeErrRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &lineError{line + 1, m[2] + ": " + m[3]}
	}
	return &lineError{0, err.Error()}
}

var decodeErrRE = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// offsetRE matches a TOML value that ends in a UTC offset ("Z" or ±hh:mm).
var offsetRE = regexp.MustCompile(`(?i)(z|[+-]\d\d:\d\d)\s*(#.*)?$`)

// hasOffset reports whether key's value is written with its offset. The
// TOML decoder reads a local date-time as UTC, which would silently shift a
// window written for another zone.
func hasOffset(head []byte, key string) bool {
	n := keyLine(head, key)
	if n == 0 {
		return true // not written, or written in a form keyLine does not see
	}
	line := strings.Split(string(head), "\n")[n-2]
	_, value, _ := strings.Cut(line, "=")
	return offsetRE.MatchString(strings.TrimSpace(value))
}

// keyLine finds the line of the notice file where key is assigned; 0 when
// it is not written (a missing required key).
func keyLine(head []byte, key string) int {
	for i, line := range strings.Split(string(head), "\n") {
		k, _, ok := strings.Cut(line, "=")
		if ok && strings.Trim(strings.TrimSpace(k), `"'`) == key {
			return i + 2
		}
		// Or the header of a table by that name ([key] or [[key]]).
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "[") && strings.Trim(strings.TrimSpace(strings.Trim(t, "[]")), `"'`) == key {
			return i + 2
		}
	}
	return 0
}

// cutLine splits off the first line (without its \n or \r\n).
func cutLine(b []byte) (line, rest []byte, found bool) {
	line, rest, found = bytes.Cut(b, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r")), rest, found
}
