package history

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// appendResult encodes r as one line of a check file, newline included.
// Keys come in a fixed order (time, service, status, code, ms, attempts,
// error, detail, polls, location, note) so that the files diff well and the
// fast decoder can read them; error, detail, polls, location and note are
// omitted when empty, as their json tags say, so a single-location setup
// writes the lines it always wrote. The output is what json.Unmarshal reads back into uptime.Result.
func appendResult(b []byte, r *uptime.Result) []byte {
	b = append(b, `{"time":"`...)
	b = appendTime(b, r.Time)
	b = append(b, `","service":`...)
	b = appendString(b, r.Service)
	b = append(b, `,"status":`...)
	b = appendString(b, string(r.Status))
	b = append(b, `,"code":`...)
	b = strconv.AppendInt(b, int64(r.Code), 10)
	b = append(b, `,"ms":`...)
	b = strconv.AppendInt(b, r.MS, 10)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	if r.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, string(r.Error))
	}
	if r.Detail != "" {
		b = append(b, `,"detail":`...)
		b = appendString(b, r.Detail)
	}
	if r.Polls != 0 {
		b = append(b, `,"polls":`...)
		b = strconv.AppendInt(b, int64(r.Polls), 10)
	}
	if r.Location != "" {
		b = append(b, `,"location":`...)
		b = appendString(b, r.Location)
	}
	if r.Note != "" {
		b = append(b, `,"note":`...)
		b = appendString(b, r.Note)
	}
	return append(b, "}\n"...)
}

// appendIncident encodes one line of incidents.jsonl, newline included.
func appendIncident(b []byte, in *uptime.Incident) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, in.ID)
	b = append(b, `,"service":`...)
	b = appendString(b, in.Service)
	b = append(b, `,"since":"`...)
	b = appendTime(b, in.Since)
	b = append(b, `","until":"`...)
	b = appendTime(b, in.Until)
	b = append(b, `","seconds":`...)
	b = strconv.AppendInt(b, in.Seconds, 10)
	b = append(b, `,"error":`...)
	b = appendString(b, string(in.Error))
	return append(b, "}\n"...)
}

// validResult is what every stored line must satisfy; Scan skips lines that
// do not, so Append refuses to write them.
func validResult(r *uptime.Result) error {
	switch {
	case r.Service == "":
		return fmt.Errorf("result without a service")
	case !r.Status.Valid():
		return fmt.Errorf("service %q: unknown status %q", r.Service, r.Status)
	case !validTime(r.Time):
		return fmt.Errorf("service %q: time %v out of range", r.Service, r.Time)
	}
	return nil
}

// validTime accepts the times appendTime can write in four-digit years,
// excluding the zero time, which always means "not set".
func validTime(t time.Time) bool {
	y := t.UTC().Year()
	return !t.IsZero() && y >= 1 && y <= 9999
}

// appendTime writes t in UTC as RFC 3339 with exactly three fractional
// digits ("2026-11-24T10:15:00.123Z"): fixed width, so lines sort and
// decode fast. Sub-millisecond precision is dropped.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	ms := t.Nanosecond() / 1e6
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, int(mo), 2)
	b = append(b, '-')
	b = appendDigits(b, d, 2)
	b = append(b, 'T')
	b = appendDigits(b, h, 2)
	b = append(b, ':')
	b = appendDigits(b, mi, 2)
	b = append(b, ':')
	b = appendDigits(b, s, 2)
	b = append(b, '.')
	b = appendDigits(b, ms, 3)
	return append(b, 'Z')
}

func appendDigits(b []byte, v, width int) []byte {
	var buf [4]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[:width]...)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. Control characters are escaped,
// invalid UTF-8 becomes U+FFFD (every line stays valid UTF-8), and U+2028/
// U+2029 are escaped because some tools take them for line breaks. Unlike
// encoding/json, '<', '>' and '&' are left as they are: the files are data,
// never embedded in HTML as is, and Hebrew and markup stay readable in git.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
