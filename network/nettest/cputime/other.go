//go:build !unix

package cputime

import "time"

// Process is not measured on this platform: benchmarks then report no CPU
// time.
func Process() time.Duration { return 0 }
