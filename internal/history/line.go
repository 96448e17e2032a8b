package history

import "github.com/Sefaria/statusgen/internal/uptime"

// AppendLine encodes r as one check line, newline included, exactly as the
// check files hold it: the format of `statusgen probe`'s results files.
func AppendLine(b []byte, r uptime.Result) []byte { return appendResult(b, &r) }

// DecodeLine reads one check line (without its newline) as Scan does; ok
// is false for a blank, torn, non-JSON or invalid line.
func DecodeLine(line []byte) (r uptime.Result, ok bool) {
	var d decoder
	r, ok = d.decode(line)
	return r, ok && r.Status.Valid() && validTime(r.Time)
}
