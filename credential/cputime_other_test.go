//go:build !unix

package credential_test

import "time"

// processCPU is not measured on this platform; benchmarks then report no
// CPU time.
func processCPU() time.Duration { return 0 }
