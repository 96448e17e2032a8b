package main

import (
	"math"
	"testing"
	"time"
)

// The lines are Go 1.26's gctrace, copied from a runner's stderr, with a
// log line between them as the runner writes them.
const trace = `gc 354 @120.322s 21%: 5.9+373+3.1 ms clock, 11+43/182/35+6.3 ms cpu, 93->100->93 MB, 93 MB goal, 0 MB stacks, 0 MB globals, 2 P
time=2026-12-02T07:28:22.901Z level=INFO msg="cycle done" up=10000 degraded=0 down=0 transitions=0 took=1m22.334s
gc 355 @120.715s 21%: 14+569+0.13 ms clock, 29+30/275/0+0.27 ms cpu, 93->102->95 MB, 93 MB goal, 0 MB stacks, 0 MB globals, 2 P
gc 356 @121.308s 21%: 3.8+379+15 ms clock, 7.7+37/204/0+30 ms cpu, 95->101->92 MB, 95 MB goal, 0 MB stacks, 0 MB globals, 2 P
gc 357 @125.000s 21% (forced): 1+1+1 ms clock, 1+1/1/1+1 ms cpu, 95->101->92 MB, 95 MB goal, 0 MB stacks, 0 MB globals, 2 P
`

func TestGCWork(t *testing.T) {
	tests := []struct {
		name     string
		from, to time.Duration
		n        int
		cpuMS    float64
	}{
		{"all three", 120 * time.Second, 122 * time.Second, 3, (11 + 43 + 182 + 35 + 6.3) + (29 + 30 + 275 + 0 + 0.27) + (7.7 + 37 + 204 + 0 + 30)},
		{"window starts after the first", 120500 * time.Millisecond, 122 * time.Second, 2, (29 + 30 + 275 + 0 + 0.27) + (7.7 + 37 + 204 + 0 + 30)},
		{"window ends at the third's start", 120 * time.Second, 121308 * time.Millisecond, 2, (11 + 43 + 182 + 35 + 6.3) + (29 + 30 + 275 + 0 + 0.27)},
		{"a forced one", 124 * time.Second, 126 * time.Second, 1, 5},
		{"none", 0, time.Second, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, cpu := gcWork(trace, tt.from, tt.to)
			if n != tt.n || math.Abs(cpu-tt.cpuMS) > 1e-6 {
				t.Errorf("gcWork = %d collections, %.2f ms; want %d, %.2f ms", n, cpu, tt.n, tt.cpuMS)
			}
		})
	}
}
