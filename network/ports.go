package network

import "fmt"

// FreeBasePort returns the first base port in [from, to), in steps of
// PortSpan, whose network would find every port of its plan free now, the
// plan's last port below to included. It cannot reserve the ports: callers
// that may run at the same time search disjoint ranges (network/nettest
// keeps the tests' ranges).
func FreeBasePort(from, to int) (int, error) {
	for base := from; base+PortSpan <= min(to, 65535); base += PortSpan {
		if planFree(base) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("network: no free range of %d ports in %d..%d", PortSpan, from, to-1)
}

// planFree reports whether every port a network at base would use is free.
func planFree(base int) bool {
	t := newTopology(Options{BasePort: base, Consensus: BFT})
	ports := []int{}
	for _, n := range t.all() {
		ports = append(ports, n.Port, n.AuxPort, n.OpsPort)
	}
	// The peers of departments that may join later.
	for j := len(t.Peers); j < maxPeers; j++ {
		p := base + peerPortOffset + 10*j
		ports = append(ports, p, p+1, p+2)
	}
	for _, p := range ports {
		if portFree(p) != nil {
			return false
		}
	}
	return true
}
