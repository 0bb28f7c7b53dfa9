//go:build scenarioclock

package main

import (
	"os"
	"strings"
	"time"
)

// gatewayClock, in the scenario suite's build only (go build -tags
// scenarioclock), is the wall clock moved by the duration written in the
// file CERTLEDGER_SCENARIO_CLOCK names, read at every call: the suite
// moves the gateway's clock to test what depends on it (an API key's
// expiry) without waiting. Release builds have no such hook.
func gatewayClock() func() time.Time {
	path := os.Getenv("CERTLEDGER_SCENARIO_CLOCK")
	if path == "" {
		return nil
	}
	return func() time.Time {
		now := time.Now()
		b, err := os.ReadFile(path)
		if err != nil {
			return now
		}
		d, err := time.ParseDuration(strings.TrimSpace(string(b)))
		if err != nil {
			return now
		}
		return now.Add(d)
	}
}
