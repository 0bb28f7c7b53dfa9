package loadtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certledger/certledger/network/nettest/cputime"
)

// phaseRun is what one phase measured.
type phaseRun struct {
	Ops       int
	Errors    int
	FirstErr  error
	Elapsed   time.Duration
	CPU       time.Duration   // CPU time of this process during the phase
	Latencies []time.Duration // sorted, successful operations only
}

// Rate is successful operations per second.
func (r phaseRun) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// Percentile returns the p-th percentile (0 < p <= 100) of the latencies by
// the nearest-rank method.
func (r phaseRun) Percentile(p float64) time.Duration {
	return percentile(r.Latencies, p)
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

// op is one operation of a phase; i numbers operations from 0.
type op func(ctx context.Context, i int) error

// runPhase runs op on workers goroutines until count operations have been
// started or d has passed, whichever comes first, showing progress.
func runPhase(ctx context.Context, name string, workers, count int, d time.Duration, progress io.Writer, fn op) phaseRun {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next, done, failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	lat := make([][]time.Duration, workers)

	p := startProgress(progress, name, &done, &failed)
	cpu0 := cputime.Process()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			own := make([]time.Duration, 0, min(count/workers+1, 1<<16))
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= count {
					break
				}
				t0 := time.Now()
				err := fn(ctx, i)
				if err != nil {
					if ctx.Err() != nil {
						break // cut off by the time limit, not a failure
					}
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
					continue
				}
				own = append(own, time.Since(t0))
				done.Add(1)
			}
			lat[w] = own
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cputime.Process() - cpu0
	p.stop()

	all := slices.Concat(lat...)
	slices.Sort(all)
	return phaseRun{Ops: len(all), Errors: int(failed.Load()), FirstErr: firstErr, Elapsed: elapsed, CPU: cpu, Latencies: all}
}

// progressLine rewrites one line of w every second with the phase's counts.
type progressLine struct {
	stopOnce sync.Once
	quit     chan struct{}
	finished chan struct{}
}

func startProgress(w io.Writer, name string, done, failed *atomic.Int64) *progressLine {
	p := &progressLine{quit: make(chan struct{}), finished: make(chan struct{})}
	// On a terminal the line is rewritten in place; in a log file each
	// second gets its own line.
	eol := "\n"
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			eol = ""
		}
	}
	start := time.Now()
	print := func(final bool) {
		n, e := done.Load(), failed.Load()
		secs := time.Since(start).Seconds()
		rate := 0.0
		if secs > 0 {
			rate = float64(n) / secs
		}
		prefix := ""
		if eol == "" {
			prefix = "\r\033[K"
		}
		end := eol
		if final && eol == "" {
			end = "\n"
		}
		fmt.Fprintf(w, "%s%-10s %6.1fs %10d ok %10.0f/s %6d errors%s", prefix, name, secs, n, rate, e, end)
	}
	go func() {
		defer close(p.finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				print(false)
			case <-p.quit:
				print(true)
				return
			}
		}
	}()
	return p
}

func (p *progressLine) stop() {
	p.stopOnce.Do(func() { close(p.quit) })
	<-p.finished
}
