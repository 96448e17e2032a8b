package tracker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// The state file is written after every batch that queues an alert and
// once a cycle; at 10,000 services encoding/json with an indent took 7% of
// a runner's CPU, most of it re-indenting the whole file. The services,
// nearly all of the file, are written here field by field in exactly the
// bytes encoding/json wrote (TestEncodeMatchesEncodingJSON holds the two
// together); the small rest still goes through encoding/json.

// appendServices appends the services map as encoding/json with
// SetIndent("", "  ") and SetEscapeHTML(false) writes it at depth one.
func appendServices(b []byte, services map[string]*ServiceState) ([]byte, error) {
	if len(services) == 0 {
		return append(b, "{}"...), nil
	}
	names := make([]string, 0, len(services))
	for name := range services {
		names = append(names, name)
	}
	slices.Sort(names)
	b = append(b, '{')
	var err error
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		b = appendString(b, name)
		b = append(b, ": "...)
		if b, err = appendServiceState(b, services[name]); err != nil {
			return nil, fmt.Errorf("service %q: %w", name, err)
		}
	}
	return append(b, "\n  }"...), nil
}

// appendServiceState appends one service's state at depth two, its fields
// in declaration order with their omitempty and omitzero rules.
func appendServiceState(b []byte, ss *ServiceState) ([]byte, error) {
	if ss == nil {
		return append(b, "null"...), nil
	}
	const in = "\n      "
	var err error
	b = append(b, "{"+in+`"status": `...)
	b = appendString(b, string(ss.Status))
	b = append(b, ","+in+`"failures": `...)
	b = strconv.AppendInt(b, int64(ss.Failures), 10)
	if !ss.Since.IsZero() {
		b = append(b, ","+in+`"since": `...)
		if b, err = appendTime(b, ss.Since); err != nil {
			return nil, err
		}
	}
	b = append(b, ","+in+`"announced": `...)
	b = strconv.AppendBool(b, ss.Announced)
	if ss.Held {
		b = append(b, ","+in+`"held": true`...)
	}
	if ss.IncidentID != "" {
		b = append(b, ","+in+`"incident_id": `...)
		b = appendString(b, ss.IncidentID)
	}
	if !ss.LastReminder.IsZero() {
		b = append(b, ","+in+`"last_reminder": `...)
		if b, err = appendTime(b, ss.LastReminder); err != nil {
			return nil, err
		}
	}
	if ss.DownError != "" {
		b = append(b, ","+in+`"down_error": `...)
		b = appendString(b, string(ss.DownError))
	}
	if !ss.LastCheck.IsZero() {
		b = append(b, ","+in+`"last_check": `...)
		if b, err = appendTime(b, ss.LastCheck); err != nil {
			return nil, err
		}
	}
	if !ss.LastSuccess.IsZero() {
		b = append(b, ","+in+`"last_success": `...)
		if b, err = appendTime(b, ss.LastSuccess); err != nil {
			return nil, err
		}
	}
	b = append(b, ","+in+`"last_code": `...)
	b = strconv.AppendInt(b, int64(ss.LastCode), 10)
	b = append(b, ","+in+`"last_ms": `...)
	b = strconv.AppendInt(b, ss.LastMS, 10)
	if ss.LastError != "" {
		b = append(b, ","+in+`"last_error": `...)
		b = appendString(b, string(ss.LastError))
	}
	return append(b, "\n    }"...), nil
}

// appendTime appends t as time.Time's MarshalJSON does: AppendText is
// the same strict RFC 3339 writer, failing as it does for a year or an
// offset RFC 3339 cannot hold.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b, err := t.AppendText(append(b, '"'))
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

// appendString appends s as a JSON string. Names, IDs and kinds are
// printable ASCII without quotes or backslashes; anything else goes
// through encoding/json, so every rune is escaped as it always was.
func appendString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) //nolint:errcheck // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
