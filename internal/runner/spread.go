package runner

import (
	"cmp"
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// spreadPerService is how far apart, on average, Run starts the checks of
// one cycle: they are spread over min(interval, services × this), so a
// handful of services is checked together at the interval boundary and
// 10,000 at 60 s fill the interval evenly (about 167 checks a second)
// instead of arriving in one burst.
const spreadPerService = 6 * time.Millisecond

// dispatchTick is how far ahead of its time a check may start, so that
// the checks due in the next tick go out together.
const dispatchTick = 200 * time.Millisecond

// Offset is where in a window of the given width a service's checks start
// after each interval boundary: the same for the same name and window, so
// a restart keeps every service's rhythm.
func Offset(name string, window time.Duration) time.Duration {
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	return time.Duration(h.Sum64() % uint64(window))
}

// schedule says when in each cycle each service is checked.
type schedule struct {
	interval time.Duration
	offsets  []time.Duration // after the boundary, by service index
	order    []int           // service indexes by offset
}

func newSchedule(services []uptime.Service, interval time.Duration) schedule {
	window := min(interval, time.Duration(len(services))*spreadPerService)
	s := schedule{interval: interval, offsets: make([]time.Duration, len(services))}
	for i, svc := range services {
		s.offsets[i] = Offset(svc.Name, window)
		s.order = append(s.order, i)
	}
	slices.SortStableFunc(s.order, func(a, b int) int { return cmp.Compare(s.offsets[a], s.offsets[b]) })
	return s
}

// inbox holds the results that finished since the recorder last looked,
// each with the cycle (its interval boundary) it belongs to.
type inbox struct {
	mu      sync.Mutex
	results []uptime.Result
	cycles  []time.Time
	located []uptime.Result // with Locate: the locations' checks behind the results
	ready   chan struct{}   // signalled when the inbox stops being empty
}

func newInbox() *inbox { return &inbox{ready: make(chan struct{}, 1)} }

func (in *inbox) put(res uptime.Result, located []uptime.Result, cycle time.Time) {
	in.mu.Lock()
	in.results = append(in.results, res)
	in.cycles = append(in.cycles, cycle)
	in.located = append(in.located, located...)
	in.mu.Unlock()
	select {
	case in.ready <- struct{}{}:
	default:
	}
}

// take empties the inbox into results, cycles and located (reused
// between batches).
func (in *inbox) take(results []uptime.Result, cycles []time.Time, located []uptime.Result) ([]uptime.Result, []time.Time, []uptime.Result) {
	in.mu.Lock()
	defer in.mu.Unlock()
	results = append(results[:0], in.results...)
	cycles = append(cycles[:0], in.cycles...)
	located = append(located[:0], in.located...)
	clear(in.results)
	clear(in.located)
	in.results, in.cycles, in.located = in.results[:0], in.cycles[:0], in.located[:0]
	return results, cycles, located
}

// dispatch starts each service's check at its time in every cycle until
// ctx ends, then waits for the checks in flight; they get ShutdownGrace
// to finish before they are cut (and recorded as inconclusive).
//
// The first cycle is the one the start falls in: services whose time in
// it has passed are checked at once, so every service is checked in it.
// A service's check never starts before its previous one ended, so its
// results, and its history lines, stay in time order. If the dispatcher
// falls a whole interval behind (the machine was suspended, or checks
// queue behind max_parallel), it logs the overrun and goes on with the
// current cycle, as at the start, instead of replaying the missed ones.
func (r *Runner) dispatch(ctx context.Context, sch schedule, out *inbox) {
	checkCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer r.cancelAfterGrace(ctx, checkCtx, cancel)()

	services := r.Config.Services
	c := &checkers{r: r, ctx: ctx, checkCtx: checkCtx, out: out,
		jobs: make(chan checkJob), limit: max(r.Config.Settings.MaxParallel, 1)}
	defer c.wg.Wait()
	defer close(c.jobs)
	// Each service's checks form a chain: one starts after the previous
	// one is in the inbox, whatever order the workers get to run in.
	last := make([]chan struct{}, len(services))
	for cycle := r.now().Truncate(sch.interval); ; {
		stale := false
		for _, i := range sch.order {
			due := cycle.Add(sch.offsets[i])
			// Checks due within dispatchTick go out together: five wakeups
			// a second instead of one per check, which at 167 checks a
			// second cost more CPU than the checks' own work.
			if d := due.Sub(r.now()); d > dispatchTick {
				if r.sleep(ctx, d) != nil {
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			if late := r.now().Sub(due); late >= sch.interval {
				r.Logger.Warn("checks fell behind by more than an interval; going on with the current cycle",
					"behind", late.Round(time.Millisecond), "interval", sch.interval)
				stale = true
				if r.Observer != nil {
					r.Observer.Overrun()
				}
				break
			}
			job := checkJob{svc: services[i], cycle: cycle, prev: last[i], done: make(chan struct{})}
			if !c.start(job) {
				return
			}
			last[i] = job.done
		}
		if stale {
			cycle = r.now().Truncate(sch.interval)
		} else {
			cycle = cycle.Add(sch.interval)
		}
	}
}

// checkJob is one check of one service in one cycle.
type checkJob struct {
	svc   uptime.Service
	cycle time.Time
	prev  <-chan struct{} // closed when the service's previous check is in the inbox
	done  chan struct{}   // closed when this one is
}

// checkers runs the checks on up to limit long-lived workers. A goroutine
// per check started with a small stack and grew it, copying it each time,
// for every check: perf put that at 8% of the runner's CPU at 10,000
// services. A worker's stack stays grown between checks.
type checkers struct {
	r             *Runner
	ctx, checkCtx context.Context // the runner's, and the checks' own (cut after the grace)
	out           *inbox
	jobs          chan checkJob // unbuffered: a send is a worker taking the job
	limit         int           // max_parallel
	started       int
	wg            sync.WaitGroup
}

// start hands job to an idle worker, or to a new one while there are
// fewer than max_parallel, or else waits for one to be free. It reports
// false if ctx ended first.
func (c *checkers) start(job checkJob) bool {
	c.r.inFlight.Add(1)
	select {
	case c.jobs <- job:
		return true
	default:
	}
	if c.started < c.limit {
		c.started++
		c.wg.Go(func() {
			c.run(job)
			for job := range c.jobs {
				c.run(job)
			}
		})
		return true
	}
	select {
	case c.jobs <- job:
		return true
	case <-c.ctx.Done():
		c.r.inFlight.Add(-1)
		return false
	}
}

// run checks job's service once its previous check is done (the wait
// holds a worker, never the dispatcher) and puts the result in the inbox.
func (c *checkers) run(job checkJob) {
	defer c.r.inFlight.Add(-1)
	defer close(job.done)
	if job.prev != nil {
		<-job.prev
	}
	r := c.r
	cctx, cancelCheck := context.WithTimeout(c.checkCtx, r.Config.Settings.CheckDeadline)
	var res uptime.Result
	var located []uptime.Result
	if r.Locate != nil {
		res, located = r.locate(cctx, job.svc)
	} else {
		res = r.Checker.Check(cctx, job.svc)
	}
	cancelCheck()
	if res.Status == uptime.Down && errors.Is(c.checkCtx.Err(), context.Canceled) && c.ctx.Err() != nil {
		res.Status, res.Detail = uptime.Inconclusive, "check cut short by shutdown"
	}
	c.out.put(res, located, job.cycle)
}
