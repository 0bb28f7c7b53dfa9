//go:build unix

// Package cputime measures the CPU time of this process, for benchmarks
// and the load tool. It stands apart from nettest so that benchmarks of
// packages that have nothing to do with a network, and build on every
// platform, need not import package network.
package cputime

import (
	"syscall"
	"time"
)

// Process is the CPU time (user and system) this process has used on all
// cores. On a shared machine wall-clock figures depend on the neighbours;
// CPU time per operation does not.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
