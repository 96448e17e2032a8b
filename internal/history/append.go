package history

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/Sefaria/statusgen/internal/atomicfile"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// Append writes one JSON line per result to checks/YYYY-MM-DD.jsonl, the UTC
// day of each result's Time (one cycle may straddle midnight and touch two
// files). A line is never split across write calls, so a crash can tear
// at most the last line of a file; whole lines are gathered into writes of
// up to 64 KiB, because a write call per line made a 10,000-service cycle
// cost 20 ms in system calls. Files are synced once at the end (or at the
// next Sync, see DeferSync). Before this Store first appends to an
// existing file, a torn last line is cut off. Results that Scan would skip
// (no service, unknown status, zero time) are refused before anything is
// written.
func (s *Store) Append(results []uptime.Result) error {
	for i := range results {
		if err := validResult(&results[i]); err != nil {
			return fmt.Errorf("append checks: %w", err)
		}
	}
	if len(results) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ensureDir(filepath.Join(s.dir, ChecksDir)); err != nil {
		return fmt.Errorf("append checks: %w", err)
	}
	a := appender{s: s}
	line := make([]byte, 0, 512)
	var day time.Time
	var path string
	for i := range results {
		r := &results[i]
		if d := dayOf(r.Time); path == "" || !d.Equal(day) {
			day, path = d, s.checkFile(d)
		}
		line = appendResult(line[:0], r)
		if err := a.write(path, line); err != nil {
			a.close()
			return fmt.Errorf("append checks: %w", err)
		}
	}
	if err := a.finish(); err != nil {
		return fmt.Errorf("append checks: %w", err)
	}
	return nil
}

// AppendIncidents adds one line per ended outage to incidents.jsonl, as
// Append does: whole lines per write, a torn tail cut off first, synced.
func (s *Store) AppendIncidents(incs []uptime.Incident) error {
	if len(incs) == 0 {
		return nil
	}
	for _, in := range incs {
		if in.ID == "" || in.Service == "" || !validTime(in.Since) || !validTime(in.Until) {
			return fmt.Errorf("append incidents: incident %q of %q lacks an id, service or time", in.ID, in.Service)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ensureDir(s.dir); err != nil {
		return fmt.Errorf("append incidents: %w", err)
	}
	a := appender{s: s}
	path := filepath.Join(s.dir, IncidentsFile)
	var line []byte
	for i := range incs {
		line = appendIncident(line[:0], &incs[i])
		if err := a.write(path, line); err != nil {
			a.close()
			return fmt.Errorf("append incidents: %w", err)
		}
	}
	if err := a.finish(); err != nil {
		return fmt.Errorf("append incidents: %w", err)
	}
	return nil
}

// maxBatch bounds one write call. Only whole lines go into a write, and a
// line longer than this is written alone.
const maxBatch = 64 << 10

// appender holds the files one Append call writes to. The caller holds s.mu.
type appender struct {
	s        *Store
	files    map[string]*pending
	order    []string
	newFiles bool // some file was created: its directory entry needs a sync
}

// pending is an open file and the whole lines not yet written to it.
type pending struct {
	f    *os.File
	path string
	buf  []byte
}

func (a *appender) write(path string, line []byte) error {
	p, err := a.open(path)
	if err != nil {
		return err
	}
	if len(p.buf)+len(line) > maxBatch {
		if err := a.flush(p); err != nil {
			return err
		}
	}
	p.buf = append(p.buf, line...)
	return nil
}

func (a *appender) flush(p *pending) error {
	if len(p.buf) == 0 {
		return nil
	}
	if _, err := p.f.Write(p.buf); err != nil {
		// The file may now end mid-line: check its tail before the next append.
		delete(a.s.checked, p.path)
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	p.buf = p.buf[:0]
	return nil
}

func (a *appender) open(path string) (*pending, error) {
	if p, ok := a.files[path]; ok {
		return p, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		f, err = os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	} else if err == nil {
		a.newFiles = true
		a.s.checked[path] = true
	}
	if err != nil {
		return nil, err
	}
	if !a.s.checked[path] {
		n, err := repairTail(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("repair %s: %w", path, err)
		}
		if n > 0 {
			a.s.log.Warn("history: removed a torn last line left by a crash", "file", path, "bytes", n)
		}
		a.s.checked[path] = true
	}
	if a.files == nil {
		a.files = map[string]*pending{}
	}
	p := &pending{f: f, path: path, buf: a.s.takeBuffer()}
	a.files[path] = p
	a.order = append(a.order, path)
	return p, nil
}

// finish writes what is pending, syncs and closes every file, then syncs
// the folders of new files.
func (a *appender) finish() error {
	var first error
	for _, path := range a.order {
		p := a.files[path]
		if err := a.flush(p); err != nil && first == nil {
			first = err
		}
		a.s.spare = append(a.s.spare, p.buf[:0])
		f := p.f
		if a.s.deferSync {
			a.s.unsynced[path] = true
		} else if err := f.Sync(); err != nil && first == nil {
			first = fmt.Errorf("sync %s: %w", path, err)
		}
		if err := f.Close(); err != nil && first == nil {
			first = fmt.Errorf("close %s: %w", path, err)
		}
	}
	if first == nil && a.newFiles {
		synced := map[string]bool{}
		for _, path := range a.order {
			if dir := filepath.Dir(path); !synced[dir] {
				synced[dir] = true
				if a.s.deferSync {
					a.s.unsynced[dir] = true
				} else if err := atomicfile.SyncDir(dir); err != nil {
					return err
				}
			}
		}
	}
	return first
}

func (a *appender) close() {
	for _, p := range a.files {
		p.f.Close()
		a.s.spare = append(a.s.spare, p.buf[:0])
	}
}

// takeBuffer is a write buffer kept from an earlier append, or a new one:
// a runner appends four times a second, and a new 64 KiB buffer each time
// was a fifth of its steady garbage.
func (s *Store) takeBuffer() []byte {
	if n := len(s.spare); n > 0 {
		b := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return b
	}
	return make([]byte, 0, maxBatch)
}

// repairTail truncates f back to just after its last newline when it does
// not end with one: the remainder is a line torn by a crash, and appending
// after it would glue the next line to garbage. It returns the bytes removed.
func repairTail(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	if size == 0 {
		return 0, nil
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], size-1); err != nil {
		return 0, err
	}
	if last[0] == '\n' {
		return 0, nil
	}
	buf := make([]byte, 64<<10)
	keep := int64(0)
	for end := size - 1; end > 0; {
		start := max(0, end-int64(len(buf)))
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			keep = start + int64(i) + 1
			break
		}
		end = start
	}
	if err := f.Truncate(keep); err != nil {
		return 0, err
	}
	return size - keep, nil
}

// ensureDir creates dir and any missing parents, syncing the parent of each
// folder it creates so that the new entries survive a power cut.
func ensureDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := atomicfile.SyncDir(filepath.Dir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}
