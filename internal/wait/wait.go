// Package wait holds the one real wait that packages fall back to when a
// test has not injected its own, so every wait honours its context the same way.
package wait

import (
	"context"
	"time"
)

// For waits for d or until ctx ends, whichever comes first, and returns
// ctx's error in the second case. A d of zero or less returns at once.
func For(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
