package network

import (
	"net"
	"testing"
)

// TestFreeBasePort skips a base whose plan holds a port in use and stays
// within the range it is given.
func TestFreeBasePort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().(*net.TCPAddr).Port
	if busy+3*PortSpan > 65535 {
		t.Skipf("port %d is too high to put networks above it", busy)
	}
	// busy is the first orderer's port of a network at busy. Other
	// processes may hold ports above it too, so the next base is not
	// certain to be free.
	got, err := FreeBasePort(busy, busy+3*PortSpan)
	if err == nil && got == busy {
		t.Fatalf("FreeBasePort = %d, whose first port is in use", got)
	}
	if got, err := FreeBasePort(busy, busy+2*PortSpan-1); err == nil {
		t.Fatalf("FreeBasePort = %d beyond the range's end", got)
	}
}
