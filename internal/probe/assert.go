package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// assertBody checks a body, read up to limit bytes, against expect_body
// and expect_json. cutAt, when not 0, is the limit the body went past: a
// substring not found in what was read, or JSON that could not end, is
// then too_large, since the answer might have held; the detail says where
// the body was cut, so that the fix (a larger max_body) is plain. It
// returns an empty kind when both hold.
func assertBody(body []byte, cutAt int64, substr string, want map[string]any) (uptime.ErrorKind, string) {
	if substr != "" && !bytes.Contains(body, []byte(substr)) {
		if cutAt > 0 {
			return uptime.ErrTooLarge, fmt.Sprintf("body cut at %s before a match for %q", size(cutAt), substr)
		}
		return uptime.ErrBody, fmt.Sprintf("body does not contain %q", substr)
	}
	if len(want) == 0 {
		return "", ""
	}
	if cutAt > 0 {
		return uptime.ErrTooLarge, cutJSON(cutAt)
	}
	got, why := decodeObject(body)
	if why != "" {
		return uptime.ErrNotJSON, why
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		v, ok := got[k]
		if !ok {
			return uptime.ErrBody, fmt.Sprintf("JSON field %q missing", k)
		}
		if !jsonEqual(v, want[k]) {
			return uptime.ErrBody, fmt.Sprintf("JSON %s = %s, want %s", k, show(v), show(want[k]))
		}
	}
	return "", ""
}

// decodeObject decodes a body that is one JSON object and nothing more
// (white space aside), keeping numbers exact; else it says why not.
func decodeObject(body []byte) (map[string]any, string) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, "body is not a JSON object"
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, "body is a JSON object followed by other data"
	}
	return m, ""
}

// cutJSON is the detail of JSON the cap cut short.
func cutJSON(cutAt int64) string {
	return fmt.Sprintf("body cut at %s before the JSON ended", size(cutAt))
}

// size writes a byte count the way max_body is usually written.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// jsonEqual compares a decoded JSON value with a value from services.toml.
// Numbers compare by value, so TOML's 1 equals JSON's 1.0.
func jsonEqual(got, want any) bool {
	switch g := got.(type) {
	case json.Number:
		return numberEqual(g, want)
	case []any:
		w := reflect.ValueOf(want)
		if w.Kind() != reflect.Slice || w.Len() != len(g) {
			return false
		}
		for i := range g {
			if !jsonEqual(g[i], w.Index(i).Interface()) {
				return false
			}
		}
		return true
	case map[string]any:
		w, ok := want.(map[string]any)
		if !ok || len(w) != len(g) {
			return false
		}
		for k, v := range g {
			wv, ok := w[k]
			if !ok || !jsonEqual(v, wv) {
				return false
			}
		}
		return true
	}
	return got == want // bool, string, nil
}

func numberEqual(got json.Number, want any) bool {
	wi, isInt := intValue(want)
	wf, isFloat := floatValue(want)
	if !isInt && !isFloat {
		return false
	}
	if gi, err := got.Int64(); err == nil {
		if isInt {
			return gi == wi
		}
		return float64(gi) == wf
	}
	gf, err := got.Float64()
	if err != nil {
		return false
	}
	if isInt {
		return gf == float64(wi)
	}
	return gf == wf
}

func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	}
	return 0, false
}

func floatValue(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

// show renders a value compactly for a detail line.
func show(v any) string {
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}
