package wait

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestForEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := For(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("For(cancelled, 1h) = %v, want context.Canceled", err)
	}
	if time.Since(start) > time.Second {
		t.Error("For did not return when its context ended")
	}
	if err := For(context.Background(), 0); err != nil {
		t.Errorf("For(0) = %v, want nil", err)
	}
	if err := For(context.Background(), time.Millisecond); err != nil {
		t.Errorf("For(1ms) = %v, want nil", err)
	}
}
