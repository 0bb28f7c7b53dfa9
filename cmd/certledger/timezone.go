package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/certledger/certledger/gateway"

	// The binary carries the tz database, so the deployment's zone loads
	// on a host without one (a distroless or scratch image).
	_ "time/tzdata"
)

// timeZoneEnv is the variable behind every --time-zone flag.
const timeZoneEnv = "CERTLEDGER_TIME_ZONE"

// timeZoneFlag sets *dst to the zone CERTLEDGER_TIME_ZONE names, or
// gateway.DefaultTimeZone, and registers --time-zone on fs to override it.
// what says what the zone governs, for the flag's help. A wrong name in
// the environment is a usage error at once, one in the flag fails fs.Parse.
func timeZoneFlag(fs *flag.FlagSet, dst **time.Location, what string) error {
	loc, err := gateway.LoadTimeZone(envOr(timeZoneEnv, gateway.DefaultTimeZone))
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", timeZoneEnv, err)}
	}
	*dst = loc
	fs.Func("time-zone", fmt.Sprintf("the deployment's IANA time zone: %s (default %s; env %s)", what, gateway.DefaultTimeZone, timeZoneEnv),
		func(v string) (err error) {
			*dst, err = gateway.LoadTimeZone(v)
			return err
		})
	return nil
}
