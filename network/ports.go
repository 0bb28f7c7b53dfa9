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
	for _, n := range t.all() {
		for _, p := range []int{n.Port, n.AuxPort, n.OpsPort} {
			if portFree(p) != nil {
				return false
			}
		}
	}
	return true
}
