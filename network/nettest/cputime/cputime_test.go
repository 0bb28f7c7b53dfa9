//go:build unix

package cputime

import "testing"

// TestProcessGrows checks that work shows as CPU time.
func TestProcessGrows(t *testing.T) {
	start := Process()
	x := 0
	for i := range 50_000_000 {
		x ^= i
	}
	if used := Process() - start; used <= 0 {
		t.Fatalf("CPU time did not grow over a busy loop (%d): %s", x, used)
	}
}
