package tracker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"

	"github.com/Sefaria/statusgen/internal/atomicfile"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// ErrCorrupt marks a state file that exists but cannot be used: it does not
// parse, breaks the state machine's invariants, or has another version.
// Load never resets such a file, which would re-alert or lose an outage.
var ErrCorrupt = errors.New("state file unusable")

// Load reads the state file at path. A missing file gives New(). A file that
// does not parse, is inconsistent, or whose version is not Version is an
// error matching ErrCorrupt that names the file and the problem; the file is
// left exactly as it is. Times come back in UTC.
func Load(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	s, problem, cause := decode(data)
	if problem != "" {
		return nil, &corruptError{path: path, problem: problem, err: cause}
	}
	return s, nil
}

// Save writes the state atomically (temp file, fsync, rename, fsync dir) as
// indented JSON with a trailing newline. Keys come in a fixed order
// (struct fields as declared, services sorted by name), so the file's git
// diffs show only what changed. It always writes the current Version.
func (s *State) Save(path string) error {
	data, err := s.encode()
	if err != nil {
		return fmt.Errorf("state %s: %w", path, err)
	}
	return atomicfile.Write(path, data, 0o644)
}

func (s *State) encode() ([]byte, error) {
	b := make([]byte, 0, 64+len(s.Services)*320)
	b = append(b, "{\n  \"version\": "...)
	b = strconv.AppendInt(b, Version, 10)
	b = append(b, ",\n  \"services\": "...)
	b, err := appendServices(b, s.Services)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	// The rest is small: encoding/json, indented as if in the file.
	rest := struct {
		Outbox    []uptime.Transition `json:"outbox"`
		LastPrune time.Time           `json:"last_prune,omitzero"`
	}{s.Outbox, s.LastPrune}
	if rest.Outbox == nil {
		rest.Outbox = []uptime.Transition{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Details such as "<html>" stay readable in git instead of \u003c.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rest); err != nil { // Encode adds the trailing newline
		return nil, fmt.Errorf("encode: %w", err)
	}
	b = append(b, ',')
	return append(b, bytes.TrimPrefix(buf.Bytes(), []byte("{"))...), nil
}

// decode parses and checks a state file's bytes. On failure it returns the
// problem in words, and the underlying error if there is one.
func decode(data []byte) (s *State, problem string, cause error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, "the file is empty", nil
	}
	// The version first, leniently: a newer format may have fields this one
	// does not know, and "unknown version" is the error that helps then.
	// json.Unmarshal also rejects trailing data after the object.
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, syntaxProblem(data, err), err
	}
	switch {
	case head.Version == nil:
		return nil, fmt.Sprintf("no version field (this statusgen reads version %d)", Version), nil
	case *head.Version != Version:
		return nil, fmt.Sprintf("unknown version %d (this statusgen reads version %d)", *head.Version, Version), nil
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	s = &State{}
	if err := dec.Decode(s); err != nil {
		return nil, syntaxProblem(data, err), err
	}
	if s.Services == nil {
		s.Services = map[string]*ServiceState{}
	}
	if s.Outbox == nil {
		s.Outbox = []uptime.Transition{}
	}
	if p := s.check(); p != "" {
		return nil, p, nil
	}
	s.toUTC()
	// A time that parses may still not print (a year beyond 9999 once in
	// UTC); finding out now beats failing every save after the next cycle.
	if _, err := s.encode(); err != nil {
		return nil, "it cannot be written back: " + err.Error(), err
	}
	return s, "", nil
}

// check reports the first broken invariant, in words, or "".
func (s *State) check() string {
	for name, ss := range s.Services {
		if p := ss.check(); p != "" {
			return fmt.Sprintf("service %q: %s", name, p)
		}
	}
	for i, t := range s.Outbox {
		switch {
		case t.Kind != uptime.WentDown && t.Kind != uptime.Recovered && t.Kind != uptime.Reminder:
			return fmt.Sprintf("outbox[%d]: unknown kind %q", i, t.Kind)
		case t.Service == "":
			return fmt.Sprintf("outbox[%d]: no service", i)
		}
	}
	return ""
}

func (ss *ServiceState) check() string {
	switch {
	case ss == nil:
		return "null instead of an object"
	case ss.Status != "" && (!ss.Status.Valid() || ss.Status == uptime.Inconclusive):
		return fmt.Sprintf("status %q is not up, degraded or down", ss.Status)
	case ss.Failures < 0:
		return fmt.Sprintf("failures %d is negative", ss.Failures)
	case ss.Failures > 0 && ss.Since.IsZero():
		return fmt.Sprintf("%d failures but no since", ss.Failures)
	case ss.Announced && ss.Failures == 0:
		return "announced with no failures"
	case ss.Announced && ss.IncidentID == "":
		return "announced with no incident_id"
	case ss.Held && !ss.Announced:
		return "held with no announced outage"
	case !ss.LastReminder.IsZero() && !ss.Announced:
		return "last_reminder with no announced outage"
	}
	return ""
}

func (s *State) toUTC() {
	s.LastPrune = s.LastPrune.UTC()
	for _, ss := range s.Services {
		ss.Since = ss.Since.UTC()
		ss.LastCheck = ss.LastCheck.UTC()
		ss.LastSuccess = ss.LastSuccess.UTC()
		ss.LastReminder = ss.LastReminder.UTC()
	}
	for i := range s.Outbox {
		s.Outbox[i].Since = s.Outbox[i].Since.UTC()
		s.Outbox[i].At = s.Outbox[i].At.UTC()
	}
}

// syntaxProblem describes a decoding error with the line it happened on.
func syntaxProblem(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && syn.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))):
		return "the file is truncated (its JSON ends early)"
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON at line %d: %v", lineAt(data, syn.Offset), err)
	case errors.As(err, &typ):
		return fmt.Sprintf("wrong type at line %d: %v", lineAt(data, typ.Offset), err)
	}
	return "not a state file: " + err.Error()
}

func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}

// corruptError keeps the wording an operator acts on and still lets callers
// test for ErrCorrupt and the underlying cause.
type corruptError struct {
	path, problem string
	err           error
}

func (e *corruptError) Error() string {
	return fmt.Sprintf("state %s: %s; refusing to overwrite it (repair it, or move it aside to start over, which forgets open outages)", e.path, e.problem)
}

func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }

func (e *corruptError) Unwrap() error { return e.err }
