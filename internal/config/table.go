package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// table is one TOML table being decoded; it remembers the keys read so
// that the rest can be reported as unknown.
type table struct {
	d     *decoder
	m     map[string]any
	at    string // index path: "", "settings", "service[1]", "service[1].async_verification"
	label string // how keys are shown: "settings.", `service "Linker": `
	seen  map[string]bool
}

func (t *table) path(key string) string {
	if t.at == "" {
		return key
	}
	return t.at + "." + key
}

func (t *table) fail(key, msg string) { t.d.fail(t.path(key), t.label+tomlKey(key), msg) }

func (t *table) has(key string) bool { _, ok := t.m[key]; return ok }

func (t *table) get(key string) (any, bool) {
	if t.seen == nil {
		t.seen = map[string]bool{}
	}
	t.seen[key] = true
	v, ok := t.m[key]
	return v, ok
}

// keys are the table's keys, sorted for a stable order.
func (t *table) keys() []string {
	ks := make([]string, 0, len(t.m))
	for k := range t.m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (t *table) rejectUnknown() {
	for _, k := range t.keys() {
		if !t.seen[k] {
			t.fail(k, "is not a known key")
		}
	}
}

// table returns the sub-table at key (empty when absent) labelled with name.
func (t *table) table(key, name string) *table {
	sub := &table{d: t.d, m: map[string]any{}, at: t.path(key), label: t.label + name + "."}
	if t.label == "" {
		sub.label = name + "."
	}
	v, ok := t.get(key)
	if !ok {
		return sub
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.fail(key, "must be a table, not "+tomlType(v))
		return sub
	}
	sub.m = m
	return sub
}

func (t *table) str(key, def string) string {
	v, ok := t.get(key)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		t.fail(key, "must be a string, not "+tomlType(v))
		return def
	}
	return s
}

func (t *table) boolean(key string, def bool) bool {
	v, ok := t.get(key)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		t.fail(key, "must be true or false, not "+tomlType(v))
		return def
	}
	return b
}

func (t *table) integer(key string, def, min int) int {
	v, ok := t.get(key)
	if !ok {
		return def
	}
	n, ok := v.(int64)
	if !ok {
		t.fail(key, "must be an integer, not "+tomlType(v))
		return def
	}
	switch {
	case n < int64(min):
		t.fail(key, fmt.Sprintf("must be at least %d, got %d", min, n))
		return def
	case n > math.MaxInt32:
		t.fail(key, fmt.Sprintf("is too large, got %d", n))
		return def
	}
	return int(n)
}

type durationRule int

const (
	positive durationRule = iota
	nonNegative
)

func (t *table) duration(key string, def time.Duration, rule durationRule) time.Duration {
	v, ok := t.get(key)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		t.fail(key, `must be a duration like "10s", not `+tomlType(v))
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		t.fail(key, `must be a duration like "10s"`)
		return def
	case d < 0:
		t.fail(key, fmt.Sprintf("must not be negative, got %q", s))
		return def
	case d == 0 && rule == positive:
		t.fail(key, fmt.Sprintf("must be more than 0s, got %q", s))
		return def
	}
	return d
}

// Sizes max_body accepts.
const (
	minSize = 1 << 10
	maxSize = 1 << 30
)

// size reads a byte count: a whole number of bytes, or a string like
// "4MiB", "512 KiB" or "1GiB".
func (t *table) size(key string, def int64) int64 {
	v, ok := t.get(key)
	if !ok {
		return def
	}
	const want = `must be a size like "4MiB" or "512KiB" (or a number of bytes)`
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case string:
		var ok bool
		if n, ok = parseSize(v); !ok {
			t.fail(key, fmt.Sprintf("%s, got %q", want, clip(v)))
			return def
		}
	default:
		t.fail(key, want+", not "+tomlType(v))
		return def
	}
	if n < minSize || n > maxSize {
		t.fail(key, fmt.Sprintf("must be from 1KiB to 1GiB, got %s", FormatSize(n)))
		return def
	}
	return n
}

// parseSize reads "4MiB", "4 MiB", "512KiB", "1GiB" or "1024B".
func parseSize(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	shift, ok := map[string]uint{"B": 0, "KiB": 10, "MiB": 20, "GiB": 30}[strings.TrimSpace(s[i:])]
	if !ok || n > (1<<62)>>shift { // beyond that, the shift would overflow
		return 0, false
	}
	return n << shift, true
}

// FormatSize writes n bytes the way max_body is written: "4MiB".
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10) + "B"
}

// proxy reads a proxy setting: "none", or the URL of an http, https or
// SOCKS5 proxy. Its user and password are secrets: never echoed.
func (t *table) proxy(key, def string) string {
	if !t.has(key) {
		return def
	}
	s := strings.TrimSpace(t.str(key, ""))
	if _, ok := t.m[key].(string); !ok {
		return def
	}
	if msg := checkProxy(s); msg != "" {
		t.fail(key, msg)
		return def
	}
	return s
}

// checkProxy says what is wrong with s as a proxy setting, or "". The
// value is never quoted: its userinfo may hold a password.
func checkProxy(s string) string {
	if s == "none" {
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Hostname() == "":
		return `must be "none" or a proxy URL like "http://proxy.example:3128" (the value is not shown: it may hold a password)`
	case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5" && u.Scheme != "socks5h":
		return fmt.Sprintf(`must be a proxy URL with scheme http, https, socks5 or socks5h, got %q`, clip(u.Scheme))
	}
	return checkPort(u)
}

// timeOfDay reads "HH:MM" as a duration since midnight.
func (t *table) timeOfDay(key string, def time.Duration) time.Duration {
	if !t.has(key) {
		return def
	}
	s := t.str(key, "")
	if _, ok := t.m[key].(string); !ok {
		return def
	}
	tm, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		t.fail(key, fmt.Sprintf(`must be a UTC time of day like "03:00", got %q`, s))
		return def
	}
	return time.Duration(tm.Hour())*time.Hour + time.Duration(tm.Minute())*time.Minute
}

// url reads an absolute http(s) URL with a host. Credentials in the URL are
// refused: they would be printed and stored; a header with ${VAR} keeps them secret.
func (t *table) url(key string, required bool) string {
	if !t.has(key) {
		if required {
			t.fail(key, "is required")
		}
		return ""
	}
	s := strings.TrimSpace(t.str(key, ""))
	if _, ok := t.m[key].(string); !ok {
		return ""
	}
	if msg := checkURL(s); msg != "" {
		t.fail(key, msg)
		return ""
	}
	return s
}

// checkURL says what is wrong with s as an absolute http(s) URL, or "".
func checkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || s == "":
		return fmt.Sprintf(`must be an absolute http or https URL like "https://example.org/health", got %q`, s)
	case u.User != nil:
		return "must not contain a user or password (put credentials in a header with ${VAR})"
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Sprintf(`must be an absolute http or https URL like "https://example.org/health", got %q`, s)
	}
	return checkPort(u)
}

// checkPort says what is wrong with u's port, or "": url.Parse takes any
// digits, but no connection can be made to port 0 or above 65535.
func checkPort(u *url.URL) string {
	p := u.Port()
	if p == "" {
		return ""
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("must have a port from 1 to 65535, got %q", clip(p))
	}
	return ""
}

func (t *table) method(key, def string) string {
	m := strings.ToUpper(strings.TrimSpace(t.str(key, def)))
	if !isToken(m) {
		t.fail(key, fmt.Sprintf(`must be an HTTP method like "GET" or "POST", got %q`, m))
		return def
	}
	return m
}

// statuses reads expected_status: one code or a list of codes.
func (t *table) statuses(key string) []int {
	v, ok := t.get(key)
	if !ok {
		return []int{200}
	}
	var raw []any
	switch v := v.(type) {
	case int64:
		raw = []any{v}
	case []any:
		raw = v
	default:
		t.fail(key, "must be an HTTP status code or a list of them, not "+tomlType(v))
		return nil
	}
	if len(raw) == 0 {
		t.fail(key, "must list at least one status code")
		return nil
	}
	codes := make([]int, 0, len(raw))
	for _, r := range raw {
		n, ok := r.(int64)
		if !ok {
			t.fail(key, "must hold integers, not "+tomlType(r))
			return nil
		}
		if n < 100 || n > 599 {
			t.fail(key, fmt.Sprintf("must hold status codes from 100 to 599, got %d", n))
			return nil
		}
		if !slices.Contains(codes, int(n)) {
			codes = append(codes, int(n))
		}
	}
	return codes
}

// expectJSON reads a table of top-level JSON field → expected scalar.
// Values keep their TOML types: string, int64, float64 or bool.
func (t *table) expectJSON(key string) map[string]any {
	sub := t.table(key, key)
	if len(sub.m) == 0 {
		if _, isTable := t.m[key].(map[string]any); isTable {
			t.fail(key, "must name at least one field")
		}
		return nil
	}
	out := make(map[string]any, len(sub.m))
	for _, k := range sub.keys() {
		v, _ := sub.get(k)
		switch v.(type) {
		case string, int64, float64, bool:
			out[k] = v
		default:
			sub.fail(k, "must be a string, number or boolean (a top-level JSON field compared for equality), not "+tomlType(v))
		}
	}
	return out
}

// tomlType names a decoded TOML value's type for messages.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}

// isToken reports whether s is an HTTP token (RFC 9110 tchar+).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}

func isEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

// formatDuration writes whole seconds as "60s" rather than "1m0s".
func formatDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// listenAddr reads the host:port that `run` serves its metrics on.
func (t *table) listenAddr(key string) string {
	if !t.has(key) {
		return ""
	}
	s := t.str(key, "")
	if _, ok := t.m[key].(string); !ok {
		return ""
	}
	if err := CheckListen(s); err != nil {
		t.fail(key, err.Error())
		return ""
	}
	return s
}

// CheckListen says what is wrong with addr as a TCP address to listen on:
// "host:port" or ":port", the host a name or an IP address, the port from
// 0 (any free port, which `run` logs) to 65535. The error reads after the
// setting's name ("listen must be …").
func CheckListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !validHost(host) {
		return fmt.Errorf(`must be a host:port like "127.0.0.1:9464", got %q`, addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || strconv.FormatUint(n, 10) != port {
		return fmt.Errorf("must end in a port from 0 to 65535, got %q", addr)
	}
	return nil
}

// validHost accepts "" (every interface), an IP address or a DNS name.
func validHost(host string) bool {
	if host == "" || net.ParseIP(host) != nil {
		return true
	}
	for _, r := range host {
		if !(r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return !strings.HasPrefix(host, "-") && !strings.HasPrefix(host, ".")
}
