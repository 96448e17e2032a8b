package history

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// rawResult is a check line as parseFast finds it: slices into the line,
// valid until the line's buffer is reused. Nothing is allocated.
type rawResult struct {
	ts, service, status, errKind, detail []byte
	location, note                       []byte
	code, ms, attempts, polls            int64
}

// parseFast reads a line in exactly the form appendResult writes: fixed key
// order, no whitespace, strings without escapes, a millisecond UTC
// timestamp, non-negative integers. For such lines its values are the ones
// json.Unmarshal would give. Anything else (an escape, another key order, a
// hand-edited line) returns false and is left to encoding/json, so the fast
// path only decides how fast a line is read, never whether it is valid.
func parseFast(b []byte, r *rawResult) bool {
	p := fastParser{b: b}
	*r = rawResult{}
	var ok bool
	if !p.lit(`{"time":"`) {
		return false
	}
	if r.ts, ok = p.str(); !ok || !validTS(r.ts) {
		return false
	}
	if !p.lit(`,"service":"`) {
		return false
	}
	if r.service, ok = p.str(); !ok {
		return false
	}
	if !p.lit(`,"status":"`) {
		return false
	}
	if r.status, ok = p.str(); !ok {
		return false
	}
	if !p.lit(`,"code":`) {
		return false
	}
	if r.code, ok = p.uint(); !ok {
		return false
	}
	if !p.lit(`,"ms":`) {
		return false
	}
	if r.ms, ok = p.uint(); !ok {
		return false
	}
	if !p.lit(`,"attempts":`) {
		return false
	}
	if r.attempts, ok = p.uint(); !ok {
		return false
	}
	if p.lit(`,"error":"`) {
		if r.errKind, ok = p.str(); !ok {
			return false
		}
	}
	if p.lit(`,"detail":"`) {
		if r.detail, ok = p.str(); !ok {
			return false
		}
	}
	if p.lit(`,"polls":`) {
		if r.polls, ok = p.uint(); !ok {
			return false
		}
	}
	if p.lit(`,"location":"`) {
		if r.location, ok = p.str(); !ok {
			return false
		}
	}
	if p.lit(`,"note":"`) {
		if r.note, ok = p.str(); !ok {
			return false
		}
	}
	return p.lit("}") && p.i == len(p.b)
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) lit(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// str reads up to the closing quote. Escapes and control characters send
// the line to encoding/json; so does invalid UTF-8, which it would replace.
func (p *fastParser) str() ([]byte, bool) {
	start := p.i
	ascii := true
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, ascii || utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// uint reads a JSON integer of at most 18 digits without sign or leading zero.
func (p *fastParser) uint() (int64, bool) {
	start := p.i
	var v int64
	for ; p.i < len(p.b) && p.i-start <= 18; p.i++ {
		c := p.b[p.i]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
	}
	n := p.i - start
	if n == 0 || n > 18 || (n > 1 && p.b[start] == '0') {
		return 0, false
	}
	return v, true
}

// validTS checks the fixed form "2026-11-24T10:15:00.123Z" and its ranges
// (time.Parse would refuse a 31st of November; so must we).
func validTS(ts []byte) bool {
	if len(ts) != 24 || ts[4] != '-' || ts[7] != '-' || ts[10] != 'T' || ts[13] != ':' ||
		ts[16] != ':' || ts[19] != '.' || ts[23] != 'Z' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22} {
		if ts[i] < '0' || ts[i] > '9' {
			return false
		}
	}
	y, mo, d := num(ts[0:4]), num(ts[5:7]), num(ts[8:10])
	return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(mo, y) &&
		num(ts[11:13]) < 24 && num(ts[14:16]) < 60 && num(ts[17:19]) < 60
}

// tsTime converts a timestamp validTS accepted.
func tsTime(ts []byte) time.Time {
	return time.Date(num(ts[0:4]), time.Month(num(ts[5:7])), num(ts[8:10]),
		num(ts[11:13]), num(ts[14:16]), num(ts[17:19]), num(ts[20:23])*1e6, time.UTC)
}

func num(b []byte) int {
	v := 0
	for _, c := range b {
		v = v*10 + int(c-'0')
	}
	return v
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// statusOf maps the bytes of a status to its constant without allocating;
// "" for an unknown one.
func statusOf(b []byte) uptime.Status {
	switch string(b) {
	case "up":
		return uptime.Up
	case "degraded":
		return uptime.Degraded
	case "down":
		return uptime.Down
	case "inconclusive":
		return uptime.Inconclusive
	}
	return ""
}

// decoder turns lines into Results, sharing the strings that repeat from
// line to line (service names, error kinds) instead of allocating each.
type decoder struct {
	raw    rawResult
	intern map[string]string
}

// decode returns the line's Result and whether it is a valid record: JSON
// of the right shape, a service, a known status and a time.
func (d *decoder) decode(line []byte) (uptime.Result, bool) {
	if parseFast(line, &d.raw) {
		r := uptime.Result{
			Time:     tsTime(d.raw.ts),
			Service:  d.str(d.raw.service),
			Status:   statusOf(d.raw.status),
			Code:     int(d.raw.code),
			MS:       d.raw.ms,
			Attempts: int(d.raw.attempts),
			Error:    uptime.ErrorKind(d.str(d.raw.errKind)),
			Polls:    int(d.raw.polls),
			Location: d.str(d.raw.location),
		}
		if len(d.raw.detail) > 0 {
			r.Detail = string(d.raw.detail)
		}
		if len(d.raw.note) > 0 {
			r.Note = string(d.raw.note)
		}
		return r, r.Service != "" && r.Status != ""
	}
	return decodeSlow(line)
}

func (d *decoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	if d.intern == nil {
		d.intern = map[string]string{}
	}
	s := string(b)
	if len(d.intern) < 4096 { // many distinct values would only be garbage
		d.intern[s] = s
	}
	return s
}

// decodeSlow reads any JSON form of a Result with encoding/json.
func decodeSlow(line []byte) (uptime.Result, bool) {
	var r uptime.Result
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return r, false
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return r, false
	}
	r.Time = r.Time.UTC()
	return r, r.Service != "" && r.Status.Valid() && validTime(r.Time)
}
