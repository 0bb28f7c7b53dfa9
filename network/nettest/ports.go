package nettest

import (
	"testing"

	"github.com/certledger/certledger/network/portplan"
)

// BasePort is FreeBase for a test, which fails when the range is full.
func BasePort(t testing.TB, u portplan.Use) int {
	t.Helper()
	base, err := u.FreeBase()
	if err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return base
}
