package provision

import (
	"context"
	"fmt"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// demoServices registers the demo service items the catalogue lacks. Items
// already there stay as the ledger has them, so a governance edit made in
// a demo survives a restart.
func demoServices(ctx context.Context, ledger credential.Ledger, govMSP string, res *Result) error {
	have, err := ledger.Services(ctx)
	if err != nil {
		return fmt.Errorf("provision: read the service catalogue: %w", err)
	}
	known := make(map[string]bool, len(have))
	for _, s := range have {
		known[s.Code] = true
	}
	for _, s := range demo.Services() {
		if known[s.Code] {
			continue
		}
		if _, err := ledger.PutService(ctx, govMSP, s); err != nil {
			return fmt.Errorf("provision: register service %s: %w", s.Code, err)
		}
		res.Registered = append(res.Registered, "service "+s.Code)
	}
	return nil
}
