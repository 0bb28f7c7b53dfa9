package portplan

import (
	"testing"

	"github.com/certledger/certledger/network"
)

// TestPortPlan checks the plan: every use has a range that holds at least
// one network, below the ephemeral range and above the privileged ports,
// and no two ranges overlap.
func TestPortPlan(t *testing.T) {
	for u := range numUses {
		r := u.Ports()
		if u.String() == "" {
			t.Errorf("use %d has no entry in the plan", u)
		}
		if r.From < 1024 || r.To > EphemeralFrom || r.To-r.From < network.PortSpan {
			t.Errorf("%s: range %d..%d must hold a network of %d ports within 1024..%d", u, r.From, r.To-1, network.PortSpan, EphemeralFrom-1)
		}
		for v := range u {
			if o := v.Ports(); r.From < o.To && o.From < r.To {
				t.Errorf("%s (%d..%d) overlaps %s (%d..%d)", u, r.From, r.To-1, v, o.From, o.To-1)
			}
		}
	}
}
