package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The status site's languages: [site] languages = ["en", "he"] and each
// service's display names, [[service]] names = { he = "…" }. Which codes
// the site can render is the templates' business (a phrase table per
// language, see site.CheckLanguages); here a code must only look like one.

// languageCode is an ISO 639 code, as the site's folder and lang="…" use it.
var languageCode = regexp.MustCompile(`^[a-z]{2,3}$`)

// languages reads [site] languages: distinct codes, the first at the
// site's root; nil when absent (English alone).
func (t *table) languages(key string) []string {
	v, ok := t.get(key)
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		t.fail(key, `must be a list of language codes like ["en", "he"], not `+tomlType(v))
		return nil
	}
	if len(list) == 0 {
		t.fail(key, `must name at least one language, like ["en"], or leave it out`)
		return nil
	}
	var out []string
	for _, item := range list {
		code, ok := item.(string)
		switch {
		case !ok:
			t.fail(key, "must hold strings, not "+tomlType(item))
		case !languageCode.MatchString(code):
			t.fail(key, fmt.Sprintf("must hold lower-case language codes like \"he\", got %q", printable(code)))
		case slices.Contains(out, code):
			t.fail(key, fmt.Sprintf("names %q twice", code))
		default:
			out = append(out, code) // the valid ones, so that services' names are checked against them
		}
	}
	return out
}

// names reads a service's display names by language: each a language of
// [site] languages, non-empty, without control or bidi-override
// characters (a name is shown inside the page's own text).
func (t *table) names(key string, langs []string) map[string]string {
	if !t.has(key) {
		return nil
	}
	sub := t.table(key, key)
	out := make(map[string]string, len(sub.m))
	for _, code := range sub.keys() {
		v, _ := sub.get(code)
		s, ok := v.(string)
		name := strings.TrimSpace(s)
		switch {
		case !ok:
			sub.fail(code, "must be a string, not "+tomlType(v))
		case !slices.Contains(langs, code):
			sub.fail(code, fmt.Sprintf("is not one of [site] languages (%s)", listOrNone(langs)))
		case name == "":
			sub.fail(code, "must not be empty: a name, or leave it out")
		case strings.ContainsFunc(name, func(r rune) bool { return isControl(r) || unicode.Is(unicode.Bidi_Control, r) }):
			sub.fail(code, "must not contain control or bidi-control characters")
		default:
			out[code] = name
		}
	}
	return out
}

func listOrNone(langs []string) string {
	if len(langs) == 0 {
		return "none set: add [site] languages"
	}
	return strings.Join(langs, ", ")
}

// tomlStrings writes a list of strings as TOML: ["en", "he"].
func tomlStrings(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
