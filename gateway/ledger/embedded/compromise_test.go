package embedded

import (
	"context"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// The contract refuses a compromise dated before the key existed, whoever
// writes it: it would turn everything the key ever signed into a forgery.
func TestCompromiseNotBeforeKey(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	d := f.depts[demo.Market]
	for _, at := range []time.Time{d.Keys[0].ValidFrom.Add(-time.Second), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		bad := d
		bad.Keys = []credential.Key{d.Keys[0]}
		bad.Keys[0].Status, bad.Keys[0].CompromisedAt = credential.KeyCompromised, at
		err := f.ledger.PutDepartment(ctx, f.msp(demo.Governance), bad)
		if got := credential.ErrorReason(err); got != credential.ReasonCompromiseBeforeKey {
			t.Fatalf("compromise at %s: %v (reason %q)", at, err, got)
		}
		bad.Keys[0] = d.Keys[0]
		bad.Keys[0].CompromiseRequest = &credential.CompromiseRequest{CompromisedAt: at, Reason: "泄露", RequestedBy: demo.Market, RequestedAt: start}
		err = f.ledger.PutDepartment(ctx, f.msp(demo.Governance), bad)
		if got := credential.ErrorReason(err); got != credential.ReasonCompromiseBeforeKey {
			t.Fatalf("requested compromise at %s: %v (reason %q)", at, err, got)
		}
	}
	ok := d
	ok.Keys = []credential.Key{d.Keys[0]}
	ok.Keys[0].Status, ok.Keys[0].CompromisedAt = credential.KeyCompromised, d.Keys[0].ValidFrom
	if err := f.ledger.PutDepartment(ctx, f.msp(demo.Governance), ok); err != nil {
		t.Fatalf("a compromise from the key's first moment: %v", err)
	}
}
