package embedded

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// API keys go through the contract like every write: authorized from the
// caller's MSP, stamped with the ledger's clock, kept across a reopen, and
// listed with their revocation.
func TestAPIKeysOnTheLedger(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, own := credential.GenerateAPIKey(demo.Market)
	own.ExpiresAt = start.Add(time.Hour)
	created, err := f.ledger.CreateAPIKey(ctx, f.msp(demo.Market), own)
	if err != nil {
		t.Fatal(err)
	}
	if !created.Created.Equal(start) || created.CreatedBy != demo.Market || created.CreateTxID == "" {
		t.Fatalf("created %+v", created)
	}
	_, forEdu := credential.GenerateAPIKey(demo.Education)
	if _, err := f.ledger.CreateAPIKey(ctx, f.msp(demo.Market), forEdu); credential.ErrorReason(err) != credential.ReasonNotGovernance {
		t.Fatalf("samr creating edu's key: %v, want not_governance", err)
	}
	if _, err := f.ledger.CreateAPIKey(ctx, f.msp(demo.Governance), forEdu); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	revoked, err := f.ledger.RevokeAPIKey(ctx, f.msp(demo.Governance), credential.APIKeyRevocation{Dept: demo.Market, ID: own.ID})
	if err != nil || revoked.RevokedBy != demo.Governance || !revoked.RevokedAt.Equal(start.Add(time.Minute)) {
		t.Fatalf("revoke: %+v %v", revoked, err)
	}

	f.reopen()
	all, err := f.ledger.APIKeys(ctx, "")
	if err != nil || len(all) != 2 {
		t.Fatalf("all keys: %+v %v", all, err)
	}
	samr, err := f.ledger.APIKeys(ctx, demo.Market)
	if err != nil || len(samr) != 1 || !reflect.DeepEqual(samr[0], revoked) {
		t.Fatalf("samr's keys after reopen: %+v %v\nwant %+v", samr, err, revoked)
	}
	if _, err := f.ledger.APIKeys(ctx, "not/a/dept"); credential.ErrorReason(err) != credential.ReasonInvalidRequest {
		t.Fatalf("listing a malformed department: %v", err)
	}
}
