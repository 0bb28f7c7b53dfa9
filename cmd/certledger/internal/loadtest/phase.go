package loadtest

import (
	"context"
	"io"
	"time"
)

// RunOp measures fn the way every phase of this package is measured: on
// workers goroutines until count operations have started or d has passed,
// with the same latency percentiles. Other tools use it so that what they
// compare with a gateway phase is driven by the same client loop (the
// Fabric benchmark's raw put/get baseline).
func RunOp(ctx context.Context, name string, workers, count int, d time.Duration, progress io.Writer, fn func(ctx context.Context, i int) error) Result {
	if progress == nil {
		progress = io.Discard
	}
	return result(name, workers, runPhase(ctx, name, workers, count, d, progress, fn))
}
