package history

import (
	"encoding/binary"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// DaySummary is one service's day as the status page reads it: its
// rollup without the latency histogram, times to the millisecond.
type DaySummary struct {
	Start    time.Time // the day's UTC midnight
	Timed    bool      // times measured (RollupVersion 2), not estimated from counts (Day.Timed)
	Checks   int
	Answered bool  // some check was up or degraded, so the percentiles describe something
	Times    Times // the day's own spans (ServiceDay.Times)
	// P50MS, P95MS and MaxMS are the day's latency (ServiceDay).
	P50MS, P95MS, MaxMS int64
	// First, Last and LastStatus carry the day's last span into the next
	// day (ServiceTimes); zero in a day estimated from counts.
	First, Last time.Time
	LastStatus  uptime.Status
}

// Summary is service name's day in d; ok is false when d does not hold it.
func (d Day) Summary(name string) (s DaySummary, ok bool) {
	sd := d.Services[name]
	if sd == nil {
		return DaySummary{}, false
	}
	return DaySummary{
		Start: d.Start(), Timed: d.Timed(), Checks: sd.Checks, Answered: sd.Up+sd.Degraded > 0,
		Times: sd.Times(), P50MS: sd.P50MS, P95MS: sd.P95MS, MaxMS: sd.MaxMS,
		First: sd.First, Last: sd.Last, LastStatus: sd.LastStatus,
	}, true
}

// Ledger holds many services' day summaries packed: each service's days,
// oldest first, are one string of varints, about 25 bytes a day, where a
// DaySummary takes 150 and a decoded rollup's ServiceDay, in its day's
// map, over 200. A runner that renders 10,000 services with a year of
// history keeps it in under 100 MB this way. A Ledger is never changed
// once built (LedgerBuilder), so renders may share it.
type Ledger struct {
	rows map[string]string
	days []LedgerDay // ascending
}

// LedgerDay is a day a Ledger holds and whether its times were measured.
type LedgerDay struct {
	Start time.Time
	Timed bool
}

// Days are the days the ledger holds for some service, oldest first.
func (l *Ledger) Days() []LedgerDay {
	if l == nil {
		return nil
	}
	return l.days
}

// Bytes is the size of the packed rows, names included.
func (l *Ledger) Bytes() int {
	if l == nil {
		return 0
	}
	n := 0
	for name, row := range l.rows {
		n += len(name) + len(row)
	}
	return n
}

// Append appends service name's days to dst, oldest first.
func (l *Ledger) Append(dst []DaySummary, name string) []DaySummary {
	if l == nil {
		return dst
	}
	row := l.rows[name]
	var dayNum int64
	for len(row) > 0 {
		var s DaySummary
		var ok bool
		if s, dayNum, row, ok = decodeEntry(row, dayNum); !ok {
			break // not written by appendEntry; cannot happen
		}
		dst = append(dst, s)
	}
	return dst
}

// FirstDay is the first day the ledger holds for service name.
func (l *Ledger) FirstDay(name string) (time.Time, bool) {
	if l == nil {
		return time.Time{}, false
	}
	s, _, _, ok := decodeEntry(l.rows[name], 0)
	return s.Start, ok
}

// LedgerBuilder packs days into a Ledger, oldest first.
type LedgerBuilder struct {
	rows map[string]*rowBuilder
	days []LedgerDay
}

type rowBuilder struct {
	b   []byte
	day int64 // the last entry's day number
}

// Add packs every service of day d, which must come after every day added
// so far (an older or repeated day is ignored and reported false).
func (b *LedgerBuilder) Add(d Day) bool {
	start := d.Start()
	if !b.take(start, d.Timed()) {
		return false
	}
	for name := range d.Services {
		s, _ := d.Summary(name)
		b.row(name).add(s)
	}
	return true
}

// Keep packs the days of l from start on (all of them: zero start), which
// must come after every day packed so far (others are ignored).
func (b *LedgerBuilder) Keep(l *Ledger, start time.Time) {
	if l == nil {
		return
	}
	if n := len(b.days); n > 0 && !start.After(b.days[n-1].Start) {
		start = b.days[n-1].Start.Add(24 * time.Hour)
	}
	for _, d := range l.days {
		if !d.Start.Before(start) {
			b.take(d.Start, d.Timed)
		}
	}
	var buf []DaySummary
	for name := range l.rows {
		buf = l.Append(buf[:0], name)
		var r *rowBuilder
		for _, s := range buf {
			if s.Start.Before(start) {
				continue
			}
			if r == nil {
				r = b.row(name)
			}
			r.add(s)
		}
	}
}

// take records day start, refusing one not after the last.
func (b *LedgerBuilder) take(start time.Time, timed bool) bool {
	if n := len(b.days); n > 0 && !b.days[n-1].Start.Before(start) {
		return false
	}
	b.days = append(b.days, LedgerDay{start, timed})
	return true
}

func (b *LedgerBuilder) row(name string) *rowBuilder {
	if b.rows == nil {
		b.rows = map[string]*rowBuilder{}
	}
	r := b.rows[name]
	if r == nil {
		r = &rowBuilder{}
		b.rows[name] = r
	}
	return r
}

// Ledger returns what was added; the builder starts afresh.
func (b *LedgerBuilder) Ledger() *Ledger {
	l := &Ledger{rows: make(map[string]string, len(b.rows)), days: b.days}
	for name, r := range b.rows {
		l.rows[name] = string(r.b)
	}
	*b = LedgerBuilder{}
	return l
}

// The flags byte of an entry: the last status's code in the low bits.
const (
	flagTimed    = 1 << 3
	flagAnswered = 1 << 4
	flagFirst    = 1 << 5
	flagLast     = 1 << 6
	statusMask   = 7
)

var statusCodes = []uptime.Status{"", uptime.Up, uptime.Degraded, uptime.Down, uptime.Inconclusive}

// dayMS is a day in milliseconds.
const dayMS = int64(24 * time.Hour / time.Millisecond)

// add appends s: its day as the distance from the previous entry's, a
// flags byte, then signed varints. First is kept as milliseconds after the
// day's midnight and Last as milliseconds before the next one, both small
// for a service checked all day. A status outside statusCodes is kept as
// none, which carries no span.
func (r *rowBuilder) add(s DaySummary) {
	dayNum := s.Start.Unix() / 86400
	flags := byte(0)
	for code, st := range statusCodes {
		if st == s.LastStatus {
			flags = byte(code)
		}
	}
	if s.Timed {
		flags |= flagTimed
	}
	if s.Answered {
		flags |= flagAnswered
	}
	if !s.First.IsZero() {
		flags |= flagFirst
	}
	if !s.Last.IsZero() {
		flags |= flagLast
	}
	b := binary.AppendVarint(r.b, dayNum-r.day)
	b = append(b, flags)
	for _, v := range [...]int64{
		int64(s.Checks),
		s.Times.Up.Milliseconds(), s.Times.Degraded.Milliseconds(), s.Times.Down.Milliseconds(), s.Times.Inconclusive.Milliseconds(),
		s.P50MS, s.P95MS, s.MaxMS,
	} {
		b = binary.AppendVarint(b, v)
	}
	startMS := s.Start.UnixMilli()
	if !s.First.IsZero() {
		b = binary.AppendVarint(b, s.First.UnixMilli()-startMS)
	}
	if !s.Last.IsZero() {
		b = binary.AppendVarint(b, startMS+dayMS-s.Last.UnixMilli())
	}
	r.b, r.day = b, dayNum
}

// decodeEntry reads the entry at the head of row, whose previous entry
// was on day number prev.
func decodeEntry(row string, prev int64) (s DaySummary, dayNum int64, rest string, ok bool) {
	next := func() (int64, bool) {
		v, n := varint(row)
		if n <= 0 {
			return 0, false
		}
		row = row[n:]
		return v, true
	}
	delta, ok := next()
	if !ok || len(row) == 0 {
		return s, 0, "", false
	}
	flags := row[0]
	row = row[1:]
	var v [8]int64
	for i := range v {
		if v[i], ok = next(); !ok {
			return s, 0, "", false
		}
	}
	dayNum = prev + delta
	startMS := dayNum * dayMS
	s = DaySummary{
		Start: time.UnixMilli(startMS).UTC(), Timed: flags&flagTimed != 0, Checks: int(v[0]),
		Answered: flags&flagAnswered != 0,
		Times: Times{
			Up: time.Duration(v[1]) * time.Millisecond, Degraded: time.Duration(v[2]) * time.Millisecond,
			Down: time.Duration(v[3]) * time.Millisecond, Inconclusive: time.Duration(v[4]) * time.Millisecond,
		},
		P50MS: v[5], P95MS: v[6], MaxMS: v[7],
	}
	if code := int(flags & statusMask); code < len(statusCodes) {
		s.LastStatus = statusCodes[code]
	}
	if flags&flagFirst != 0 {
		ms, ok := next()
		if !ok {
			return s, 0, "", false
		}
		s.First = time.UnixMilli(startMS + ms).UTC()
	}
	if flags&flagLast != 0 {
		ms, ok := next()
		if !ok {
			return s, 0, "", false
		}
		s.Last = time.UnixMilli(startMS + dayMS - ms).UTC()
	}
	return s, dayNum, row, true
}

// varint is binary.Varint on a string, which the rows are so that a
// shared Ledger cannot be changed.
func varint(s string) (int64, int) {
	var ux uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			ux |= uint64(c) << shift
			v := int64(ux >> 1)
			if ux&1 != 0 {
				v = ^v
			}
			return v, i + 1
		}
		ux |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}
