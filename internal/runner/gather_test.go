package runner

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/tracker"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// TestGatherWaitsWhileAlertsKeepComing: the courier delivers once a batch
// brought no new alert or none came for GatherAlerts, never later than
// gatherLimit times that, and at once when Run stops.
func TestGatherWaitsWhileAlertsKeepComing(t *testing.T) {
	// Long enough that a loaded machine's scheduling never looks like calm.
	const quiet = 250 * time.Millisecond
	tests := []struct {
		name     string
		alerts   []time.Duration // when the batcher queues an alert (and kicks)
		kicks    []time.Duration // when it kicks without a new alert
		min, max time.Duration   // when gather may return
		open     bool
		stale    bool // a kick from an earlier batch is still buffered when gather starts
	}{
		{"one alert", nil, nil, quiet, 3 * quiet, true, false},
		{"alerts 60 ms apart", []time.Duration{60, 120, 180}, nil, 180*time.Millisecond + quiet, 180*time.Millisecond + 3*quiet, true, false},
		{"a batch without a new alert ends it", []time.Duration{30}, []time.Duration{60, 90}, 60 * time.Millisecond, 60*time.Millisecond + 2*quiet, true, false},
		{"a kick left from before does not end it", []time.Duration{60, 120, 180}, nil, 180*time.Millisecond + quiet, 180*time.Millisecond + 3*quiet, true, true},
		{"a stream of alerts stops at the limit", every(40, gatherLimit*quiet/time.Millisecond+200),
			nil, gatherLimit * quiet, gatherLimit*quiet + 2*quiet, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{GatherAlerts: quiet}
			kick := make(chan struct{}, 1)
			if tt.stale {
				kick <- struct{}{}
			}
			start := time.Now()
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				i, j := 0, 0
				for i < len(tt.alerts) || j < len(tt.kicks) {
					next, isAlert := time.Duration(1<<62), false
					if i < len(tt.alerts) {
						next, isAlert = tt.alerts[i]*time.Millisecond, true
					}
					if j < len(tt.kicks) && tt.kicks[j]*time.Millisecond < next {
						next, isAlert = tt.kicks[j]*time.Millisecond, false
					}
					select {
					case <-stop:
						return
					case <-time.After(time.Until(start.Add(next))):
					}
					if isAlert {
						r.alertsQueued.Add(1)
						i++
					} else {
						j++
					}
					select {
					case kick <- struct{}{}:
					default:
					}
				}
			}()
			open := r.gather(context.Background(), kick)
			took := time.Since(start)
			if open != tt.open || took < tt.min || took > tt.max {
				t.Errorf("gather = %v after %v, want %v after %v to %v", open, took.Round(time.Millisecond), tt.open, tt.min, tt.max)
			}
		})
	}
}

func TestGatherEndsWhenRunStops(t *testing.T) {
	r := &Runner{GatherAlerts: time.Hour}
	kick := make(chan struct{})
	close(kick)
	if r.gather(context.Background(), kick) {
		t.Error("gather with kick closed = true, want false: the last attempt follows")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	kick = make(chan struct{}, 1)
	done := make(chan bool)
	go func() { done <- r.gather(ctx, kick) }()
	kick <- struct{}{} // a kick after the stop is drained, not delivered on
	close(kick)
	select {
	case open := <-done:
		if open {
			t.Error("gather after the stop = true, want false")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("gather did not return when Run closed kick")
	}

	if !(&Runner{}).gather(context.Background(), make(chan struct{})) {
		t.Error("gather without GatherAlerts = false, want true at once")
	}
}

// every lists the times from step to last, in milliseconds.
func every(step, last time.Duration) []time.Duration {
	var ts []time.Duration
	for t := step; t <= last; t += step {
		ts = append(ts, t)
	}
	return ts
}

// refusingDeliverer keeps every alert, as Slack does when it is down or
// refuses a message, and counts the attempts.
type refusingDeliverer struct{ calls atomic.Int64 }

func (d *refusingDeliverer) Deliver(_ context.Context, alerts []uptime.Transition) ([]bool, error) {
	d.calls.Add(1)
	return make([]bool, len(alerts)), nil
}

// TestCourierWaitsAfterKeptAlerts: while Slack keeps the alerts (down, or
// refusing the message) without a broken-webhook error, the batches that
// keep coming must not make the courier ask again at their pace: it waits
// retryAfter between attempts, as after an error.
func TestCourierWaitsAfterKeptAlerts(t *testing.T) {
	const retryAfter = 300 * time.Millisecond
	d := &refusingDeliverer{}
	st := tracker.New()
	st.Outbox = []uptime.Transition{{Service: "web", Kind: uptime.WentDown, At: time.Now(), Since: time.Now()}}
	r := &Runner{Deliverer: d, Logger: slog.New(slog.DiscardHandler), retryAfter: retryAfter, state: st}
	kick := make(chan struct{}, 1)
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { r.courier(ctx, kick); close(done) }()

	// A batch every 50 ms for 1.5 s, each kicking because the outbox is not empty.
	const run = 1500 * time.Millisecond
	tick := time.NewTicker(50 * time.Millisecond)
	for end := time.Now().Add(run); time.Now().Before(end); <-tick.C {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	tick.Stop()
	cancel() // as Run stops: the context first, then the last kick
	close(kick)
	<-done
	// The first attempt, one every retryAfter, and at stop up to two more:
	// a kick still buffered when the context ends, and the last attempt.
	// Without the wait it was 31.
	if got, most := d.calls.Load(), int64(run/retryAfter)+3; got > most {
		t.Errorf("Slack asked %d times in %v with alerts kept, want at most %d (one every %v)", got, run, most, retryAfter)
	}
}
