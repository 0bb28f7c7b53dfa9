package network

import "fmt"

// FreeBasePort returns the first base port, from start upwards in steps of
// the port plan's span, whose every port of the plan is free now. Tests
// running several networks use it to keep them apart; it cannot reserve
// the ports, so concurrent callers should start from different values.
func FreeBasePort(start int) (int, error) {
	for base := start; base+portSpan <= 65535; base += portSpan {
		if planFree(base) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("network: no free port range from %d", start)
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
