package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/Sefaria/statusgen/internal/wait"
)

// LockFile is the name of the single-runner lock inside the data folder.
const LockFile = ".lock"

// ErrLocked means another statusgen already runs on the same data folder.
var ErrLocked = errors.New("another statusgen holds the lock")

// Lock is the single-runner lock: an flock on data/.lock held for the whole
// run. The kernel drops it when the process dies, so a kill -9 never leaves a
// stale lock behind.
type Lock struct {
	f *os.File
}

// AcquireLock takes the lock on dataDir without waiting. When another process
// holds it, the error wraps ErrLocked and names the lock file and, when
// known, the holder's pid.
func AcquireLock(dataDir string) (*Lock, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("lock: data folder %s: %w", dataDir, err)
	}
	path := filepath.Join(dataDir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := ""
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf(" (pid %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w %s%s", ErrLocked, path, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The pid is only for the message above; the flock is what counts.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock up. The file stays, so the next runner reuses it.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	err := l.f.Close()
	l.f = nil
	return err
}

// RenderLockFile serializes the writers of a data folder's site: a
// runner's render and a `statusgen render` run beside it. Two renders at
// once would remove each other's temporary folders and swap the site
// under each other. It is held only while a render loads and writes, so
// a `render` during `run` waits a few seconds at most instead of failing
// on the runner's lock, which `run` holds for good.
const RenderLockFile = ".render.lock"

// renderLockPoll is how often AcquireRenderLock tries again.
const renderLockPoll = 50 * time.Millisecond

// AcquireRenderLock takes dataDir's render lock, waiting while another
// process renders, until ctx ends; then the error wraps ErrLocked.
func AcquireRenderLock(ctx context.Context, dataDir string) (*Lock, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("render lock: data folder %s: %w", dataDir, err)
	}
	path := filepath.Join(dataDir, RenderLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("render lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &Lock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("render lock %s: %w", path, err)
		}
		if werr := wait.For(ctx, renderLockPoll); werr != nil {
			f.Close()
			return nil, fmt.Errorf("%w %s: another render was still writing the site: %w", ErrLocked, path, werr)
		}
	}
}
