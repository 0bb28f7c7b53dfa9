//go:build unix

package credential_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the test process has used on every core. On a
// shared machine it measures the work of a benchmark where wall time also
// counts the waits for other processes.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
