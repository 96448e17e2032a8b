package main

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestConfirmedAt(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	// at is an answer s seconds (and ms milliseconds) after t0.
	at := func(s, ms int, failed bool) answer {
		return answer{t0.Add(time.Duration(s)*time.Second + time.Duration(ms)*time.Millisecond), failed}
	}
	tests := []struct {
		name      string
		answers   []answer
		quorum    int
		threshold int
		want      time.Time
		ok        bool
	}{
		{"three locations, both cycles down: the second's last answer",
			[]answer{at(0, 0, true), at(0, 3, true), at(0, 7, true), at(10, 0, true), at(10, 2, true), at(10, 9, true)},
			2, 2, t0.Add(10*time.Second + 9*time.Millisecond), true},
		{"the outage began mid-cycle: two of three failed, still a quorum",
			[]answer{at(0, 0, false), at(0, 3, true), at(0, 7, true), at(10, 0, true), at(10, 2, true), at(10, 9, true)},
			2, 2, t0.Add(10*time.Second + 9*time.Millisecond), true},
		{"one of three failed first: that cycle does not count",
			[]answer{at(0, 0, false), at(0, 3, false), at(0, 7, true), at(10, 0, true), at(10, 2, true), at(10, 9, true),
				at(20, 1, true), at(20, 4, true), at(20, 5, true)},
			2, 2, t0.Add(20*time.Second + 5*time.Millisecond), true},
		{"an up cycle between breaks the streak",
			[]answer{at(0, 0, true), at(0, 1, true), at(10, 0, false), at(10, 1, false), at(20, 0, true), at(20, 1, true),
				at(30, 0, true), at(30, 1, true)},
			2, 2, t0.Add(30*time.Second + time.Millisecond), true},
		{"one location alone never reaches a quorum of 2",
			[]answer{at(0, 0, true), at(0, 1, false), at(10, 0, true), at(10, 1, false), at(20, 0, true), at(20, 1, false)},
			2, 2, time.Time{}, false},
		{"one cycle down, threshold 2: not yet",
			[]answer{at(0, 0, true), at(0, 1, true), at(0, 2, true)}, 2, 2, time.Time{}, false},
		{"one location, quorum 1",
			[]answer{at(3, 0, true), at(13, 0, true)}, 1, 2, t0.Add(13 * time.Second), true},
		{"answers out of order",
			[]answer{at(10, 9, true), at(0, 3, true), at(10, 0, true), at(0, 0, true)},
			2, 2, t0.Add(10*time.Second + 9*time.Millisecond), true},
		{"no answers", nil, 2, 2, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := confirmedAt(tt.answers, tt.quorum, tt.threshold, 3*time.Second)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("confirmedAt = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCycleWatch(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		took   []time.Duration
	}{
		{"one line", []string{`time=2026-12-02T10:28:16.240Z level=INFO msg="cycle done" up=1000 degraded=0 down=0 transitions=0 took=6.18s` + "\n"},
			[]time.Duration{6180 * time.Millisecond}},
		{"two in one write, other lines between",
			[]string{"level=INFO msg=\"cycle done\" up=1 took=1m22.334s\nlevel=INFO msg=\"pruned history\" took=1s\nlevel=INFO msg=\"cycle done\" up=1 took=950ms\n"},
			[]time.Duration{82334 * time.Millisecond, 950 * time.Millisecond}},
		{"none: other messages, and the words elsewhere", []string{"level=INFO msg=\"statusgen running\"\n", "level=WARN msg=x note=\"cycle done\" took=1s\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var served atomic.Int64
			w := &cycleWatch{served: &served}
			for i, s := range tt.writes {
				served.Store(int64(100 * (i + 1)))
				w.Write([]byte(s))
			}
			var took []time.Duration
			for _, m := range w.marks {
				took = append(took, m.took)
			}
			if !slices.Equal(took, tt.took) {
				t.Errorf("marks with took %v, want %v", took, tt.took)
			}
		})
	}
}

func TestCycleWatchWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	w := &cycleWatch{}
	for i := range 4 {
		w.marks = append(w.marks, mark{at: t0.Add(time.Duration(i) * 10 * time.Second), cpu: cpuTime{int64(10 * i), int64(3 * i)}, served: int64(1000 * i)})
	}
	// Renders just after the first mark, at the second, and after the last.
	w.renders = []time.Time{t0.Add(time.Second), t0.Add(20 * time.Second), t0.Add(31 * time.Second)}
	tests := []struct {
		from, to int
		cpu      cpuTime
		checks   int64
		renders  int
	}{
		{0, 3, cpuTime{30, 9}, 3000, 2},
		{1, 2, cpuTime{10, 3}, 1000, 1},
		{2, 3, cpuTime{10, 3}, 1000, 0},
	}
	for _, tt := range tests {
		cpu, checks, renders, _, _ := w.window(tt.from, tt.to)
		if cpu != tt.cpu || checks != tt.checks || renders != tt.renders {
			t.Errorf("window(%d, %d) = %v, %d checks, %d renders; want %v, %d, %d", tt.from, tt.to, cpu, checks, renders, tt.cpu, tt.checks, tt.renders)
		}
	}
}

func TestLocSummary(t *testing.T) {
	run := func(decider, local float64, lat []float64, missing, answered int) locResult {
		return locResult{scheme: "https", deciderPer: decider, localPer: local, lat: lat, missing: missing, burstOK: answered,
			burstWall: 700, load: "1.00"}
	}
	good := []float64{300, 500}
	tests := []struct {
		name string
		runs []locResult
		pass []bool // the rows with a target: ratio, burst, DOWN
		want string // in the ratio row's figure
	}{
		{"all within", []locResult{run(0.2, 0.4, good, 0, 1000), run(0.3, 0.4, good, 0, 1000), run(0.1, 0.4, good, 0, 1000)},
			[]bool{true, true, true}, "0.50 × (0.200 ms ÷ 0.400 ms)"},
		{"the median ratio over 1.2 fails though one run passed",
			[]locResult{run(0.5, 0.4, good, 0, 1000), run(0.52, 0.4, good, 0, 1000), run(0.4, 0.4, good, 0, 1000)},
			[]bool{false, true, true}, "1.25 ×"},
		{"a missing alert fails", []locResult{run(0.2, 0.4, good, 1, 1000)}, []bool{true, true, false}, "0.50 ×"},
		{"a late alert fails", []locResult{run(0.2, 0.4, []float64{300, 1000}, 0, 1000)}, []bool{true, true, false}, "0.50 ×"},
		{"an unanswered check in the burst fails", []locResult{run(0.2, 0.4, good, 0, 999)}, []bool{true, false, true}, "0.50 ×"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := locSummary(tt.runs, 3, 2, 1000, 10*time.Second, 3)
			var pass []bool
			var targets []string
			for _, r := range rows {
				if !r.info {
					pass, targets = append(pass, r.pass), append(targets, r.target)
				}
			}
			if len(pass) != len(tt.pass) {
				t.Fatalf("%d rows with a target, want %d", len(pass), len(tt.pass))
			}
			for i := range pass {
				if pass[i] != tt.pass[i] {
					t.Errorf("%s: pass %v, want %v", targets[i], pass[i], tt.pass[i])
				}
			}
			if !strings.Contains(rows[0].measured, tt.want) {
				t.Errorf("ratio row %q, want it to contain %q", rows[0].measured, tt.want)
			}
		})
	}
}
