package history

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// ScanStats says how much a read went through: files opened, lines read
// (blank and skipped ones included), lines skipped as blank, torn, not JSON
// or not a valid record, and lines of the other kind set aside: a
// location's own check for Scan, a verdict for ScanLocated.
type ScanStats struct {
	Files, Lines, Skipped, Located int
}

func (st *ScanStats) add(o ScanStats) {
	st.Files += o.Files
	st.Lines += o.Lines
	st.Skipped += o.Skipped
	st.Located += o.Located
}

// maxLine bounds the lines the reader holds in memory. A real line is under
// a kilobyte (details are capped at 200 characters); anything longer than
// this is garbage, skipped without being buffered whole.
const maxLine = 1 << 20

// Scan calls fn for each result with from <= Time < to, in file order (days
// ascending), opening only the day files that overlap the range. Blank,
// torn, non-JSON and invalid lines are skipped and counted, never fatal. An
// error from fn stops the scan and is returned as is.
//
// Scan gives each cycle's status of a service: lines without a location,
// which are the checks of a single-location setup (old files included) and
// the quorum's verdicts of a setup with several. The checks of single
// locations, which carry a location, are set aside and counted as Located:
// a failure seen from one place must not count against uptime.
func (s *Store) Scan(from, to time.Time, fn func(uptime.Result) error) (ScanStats, error) {
	return s.scan(from, to, false, fn)
}

// ScanLocated is Scan for the other lines: each location's own checks,
// with their Location, for a page that shows what every location saw.
// Verdicts and single-location checks are counted as Located here.
func (s *Store) ScanLocated(from, to time.Time, fn func(uptime.Result) error) (ScanStats, error) {
	return s.scan(from, to, true, fn)
}

func (s *Store) scan(from, to time.Time, located bool, fn func(uptime.Result) error) (ScanStats, error) {
	var st ScanStats
	if !from.Before(to) {
		return st, nil
	}
	days, err := s.Days()
	if err != nil {
		return st, fmt.Errorf("scan checks: %w", err)
	}
	var d decoder
	for _, day := range days {
		if !day.Before(to) || !day.Add(24*time.Hour).After(from) {
			continue
		}
		err := readLines(s.checkFile(day), &st, func(line []byte) (bool, error) {
			r, ok := d.decode(line)
			if !ok {
				return false, nil
			}
			if (r.Location != "") != located {
				st.Located++
				return true, nil
			}
			if r.Time.Before(from) || !r.Time.Before(to) {
				return true, nil
			}
			return true, fn(r)
		})
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// ScanDay calls fn for each valid result of day's check file from byte
// offset on (0 for the whole file), in file order, whatever its time, and
// returns the offset just past the last complete line read. Append only
// adds whole lines and cuts off a torn tail, never what precedes it, so a
// reader that keeps today's file open in mind resumes at next and reads
// each line once; a file that shrank below offset must be read again from
// 0. A torn or unfinished last line is not consumed. A missing file reads
// as empty and returns offset. As Scan, it sets single locations' checks aside.
func (s *Store) ScanDay(day time.Time, offset int64, fn func(uptime.Result) error) (next int64, st ScanStats, err error) {
	return s.scanDay(day, offset, false, fn)
}

// ScanDayAll is ScanDay without setting anything aside: every valid line,
// the verdicts and the single locations' checks alike, for a reader that
// wants both from one pass over what was appended.
func (s *Store) ScanDayAll(day time.Time, offset int64, fn func(uptime.Result) error) (next int64, st ScanStats, err error) {
	return s.scanDay(day, offset, true, fn)
}

func (s *Store) scanDay(day time.Time, offset int64, all bool, fn func(uptime.Result) error) (next int64, st ScanStats, err error) {
	path := s.checkFile(dayOf(day))
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return offset, st, nil
	}
	if err != nil {
		return offset, st, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset, st, fmt.Errorf("read %s: %w", path, err)
	}
	st.Files++
	var d decoder
	lr := lineReader{r: bufio.NewReaderSize(f, 256<<10)}
	err = lr.each(&st, func(line []byte) (bool, error) {
		r, ok := d.decode(line)
		if !ok {
			return false, nil
		}
		if r.Location != "" && !all {
			st.Located++
			return true, nil
		}
		return true, fn(r)
	})
	var re readError
	if errors.As(err, &re) {
		err = fmt.Errorf("read %s: %w", path, re.err)
	}
	return offset + lr.done, st, err
}

// Read is Scan collecting into a slice.
func (s *Store) Read(from, to time.Time) ([]uptime.Result, ScanStats, error) {
	var out []uptime.Result
	st, err := s.Scan(from, to, func(r uptime.Result) error {
		out = append(out, r)
		return nil
	})
	return out, st, err
}

// readLines calls fn with each complete, non-blank line of path (without
// its newline; the slice is reused). fn reports whether the line was valid;
// invalid, blank, overlong and torn (unterminated last) lines count as
// skipped. A missing file is not an error: a prune may have just removed it.
func readLines(path string, st *ScanStats, fn func(line []byte) (bool, error)) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	st.Files++
	lr := lineReader{r: bufio.NewReaderSize(f, 256<<10)}
	err = lr.each(st, fn)
	var re readError
	if errors.As(err, &re) {
		return fmt.Errorf("read %s: %w", path, re.err)
	}
	return err
}

// readError is an error reading the file itself, as against fn's.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }

// each calls fn with each complete, non-blank line and counts them in st,
// as readLines says. An error reading the file is a readError; fn's are
// returned as they are.
func (lr *lineReader) each(st *ScanStats, fn func(line []byte) (bool, error)) error {
	for {
		line, ok, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return readError{err}
		}
		st.Lines++
		if !ok || len(line) == 0 {
			st.Skipped++
			continue
		}
		valid, err := fn(line)
		if err != nil {
			return err
		}
		if !valid {
			st.Skipped++
		}
	}
}

// lineReader reads newline-terminated lines of any length: bufio.Reader's
// ReadSlice returns lines in place when they fit its buffer (no copy, no
// allocation) and longer ones are gathered in long, up to maxLine.
type lineReader struct {
	r    *bufio.Reader
	long []byte
	done int64 // bytes of the complete lines returned so far, newlines included
}

// next returns the next line without its newline. ok is false for a line
// to skip whatever it holds: one longer than maxLine, or a last line with no
// newline (torn by a crash, or still being written). At the end it returns
// io.EOF.
func (lr *lineReader) next() (line []byte, ok bool, err error) {
	lr.long = lr.long[:0]
	overlong := false
	var read int64
	for {
		chunk, err := lr.r.ReadSlice('\n')
		read += int64(len(chunk))
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(lr.long)+len(chunk) > maxLine {
				overlong = true
				lr.long = lr.long[:0]
			} else if !overlong {
				lr.long = append(lr.long, chunk...)
			}
			continue
		}
		if err == nil { // a whole line, whatever becomes of it
			lr.done += read
		}
		if overlong { // its end is consumed now; skip it whole
			if err != nil && err != io.EOF {
				return nil, false, err
			}
			return nil, false, nil
		}
		if len(lr.long) > 0 {
			if len(lr.long)+len(chunk) > maxLine {
				return nil, false, nil
			}
			lr.long = append(lr.long, chunk...)
			chunk = lr.long
		}
		switch {
		case err == nil:
			return chunk[:len(chunk)-1], true, nil
		case err == io.EOF && len(chunk) > 0:
			return chunk, false, nil
		default:
			return nil, false, err
		}
	}
}
