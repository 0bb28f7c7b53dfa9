//go:build !scenarioclock

package main

import "time"

// gatewayClock is the gateway's clock: nil, the wall clock (the scenario
// suite's build replaces it, clock_scenario.go).
func gatewayClock() func() time.Time { return nil }
