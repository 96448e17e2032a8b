package config

import (
	"bytes"
	"strconv"
	"strings"
)

// lineIndex maps a key's path to the line where it is written, so that
// problems found after decoding (the TOML decoder keeps no positions for
// us) can still point at a line. Paths are dotted, with arrays of tables
// numbered from 0: "settings.interval", "service[1].async_verification.base_url".
type lineIndex map[string]int

// line finds path's line, or that of its closest written parent (a key
// inside an inline table points at the table's line); 0 when unknown.
func (ix lineIndex) line(path string) int {
	for path != "" {
		if n, ok := ix[path]; ok {
			return n
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// indexLines scans TOML text line by line, following table headers and
// skipping the inside of multi-line strings. It trusts that the text
// parsed, so it can be simple.
func indexLines(data []byte) lineIndex {
	ix := lineIndex{}
	arrays := map[string]int{} // array-of-tables name → index of its current element
	table := ""                // current table's path
	inString := ""             // the closing delimiter while inside a multi-line string
	for n, raw := range bytes.Split(data, []byte("\n")) {
		lineNo := n + 1
		line := strings.TrimSpace(string(raw))
		if inString != "" {
			if strings.Contains(line, inString) {
				inString = ""
			}
			continue
		}
		switch {
		case line == "" || line[0] == '#':
		case strings.HasPrefix(line, "[["):
			name := strings.Join(splitKey(between(line[2:], "]]")), ".")
			arrays[name]++
			table = name + "[" + strconv.Itoa(arrays[name]-1) + "]"
			ix.add(table, lineNo)
		case line[0] == '[':
			table = resolveTable(splitKey(between(line[1:], "]")), arrays)
			ix.add(table, lineNo)
		default:
			key, rest, ok := cutKey(line)
			if !ok {
				continue
			}
			path := strings.Join(splitKey(key), ".")
			if table != "" {
				path = table + "." + path
			}
			ix.add(path, lineNo)
			for _, q := range []string{`"""`, `'''`} {
				if strings.HasPrefix(rest, q) && !strings.Contains(rest[3:], q) {
					inString = q
				}
			}
		}
	}
	return ix
}

func (ix lineIndex) add(path string, line int) {
	if _, ok := ix[path]; !ok {
		ix[path] = line
	}
}

// resolveTable turns a header such as service.async_verification into the
// path of the current array element: service[2].async_verification.
func resolveTable(parts []string, arrays map[string]int) string {
	for i := len(parts); i > 0; i-- {
		prefix := strings.Join(parts[:i], ".")
		if n, ok := arrays[prefix]; ok {
			return strings.Join(append([]string{prefix + "[" + strconv.Itoa(n-1) + "]"}, parts[i:]...), ".")
		}
	}
	return strings.Join(parts, ".")
}

// between returns s up to end (a header's closing bracket).
func between(s, end string) string {
	if i := strings.Index(s, end); i >= 0 {
		return s[:i]
	}
	return s
}

// cutKey splits `key = value` at the first '=' outside quotes.
func cutKey(line string) (key, value string, ok bool) {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '=':
			return strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:]), true
		}
	}
	return "", "", false
}

// splitKey splits a dotted TOML key into its unquoted parts.
func splitKey(key string) []string {
	var parts []string
	var b strings.Builder
	var quote byte
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			b.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			parts = append(parts, strings.TrimSpace(b.String()))
			b.Reset()
		case c == ' ' || c == '\t':
		default:
			b.WriteByte(c)
		}
	}
	return append(parts, strings.TrimSpace(b.String()))
}
