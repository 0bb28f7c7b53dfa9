package embedded

import (
	"context"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// The contract checks the holder's ID type against the registry itself: a
// document signed from a registry copy in which the business licence named
// no ID types is refused for a resident, and nothing is recorded.
func TestIssueRefusesAHolderIDTypeTheTypeDoesNotAccept(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	samr := f.depts[demo.Market]
	unrestricted := f.types["business-licence"]
	unrestricted.HolderIDTypes = nil
	issueToResident := func() (credential.IssueRequest, error) {
		doc, err := credential.Issue(credential.IssueParams{Type: unrestricted, Issuer: samr, IssuedAt: f.clock.Now(),
			Holder: credential.Holder{Name: "张三", IDType: credential.IDResidentCard, IDNumber: "11010519491231002X"},
			Fields: map[string]string{"companyName": "张三", "entityType": "个体工商户", "legalRepresentative": "张三",
				"establishedOn": "2020-05-01", "address": "北京市东城区"},
		}, samr.Keys[0].ID, f.keys[demo.Market])
		if err != nil {
			t.Fatal(err)
		}
		req := f.request(doc)
		_, err = f.ledger.Issue(ctx, samr.MSPID, req)
		return req, err
	}

	req, err := issueToResident()
	if credential.ErrorReason(err) != credential.ReasonHolderIDTypeNotAccepted {
		t.Fatalf("issuing a business licence to a resident: %v, want reason %s", err, credential.ReasonHolderIDTypeNotAccepted)
	}
	if _, err := f.ledger.Record(ctx, req.Document.ID); credential.ErrorCode(err) != credential.CodeNotFound {
		t.Fatalf("the refused credential has a record: %v", err)
	}

	// A type that names no ID types, as every entry registered before
	// they existed, accepts any holder.
	if err := f.ledger.PutCredentialType(ctx, f.msp(demo.Governance), unrestricted); err != nil {
		t.Fatal(err)
	}
	if _, err := issueToResident(); err != nil {
		t.Fatalf("a type without holder ID types refused a resident: %v", err)
	}
}

// The contract refuses registry entries naming unknown or repeated holder
// ID types, and keeps the entry it had.
func TestRegistryRefusesBadHolderIDTypes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for name, ids := range map[string][]string{
		"unknown":  {credential.IDUSCC, "library_card"},
		"repeated": {credential.IDUSCC, credential.IDUSCC},
	} {
		t.Run(name, func(t *testing.T) {
			ty := f.types["business-licence"]
			ty.HolderIDTypes = ids
			err := f.ledger.PutCredentialType(ctx, f.msp(demo.Governance), ty)
			if credential.ErrorReason(err) != credential.ReasonInvalidRegistryEntry {
				t.Fatalf("holder ID types %v: %v, want %s", ids, err, credential.ReasonInvalidRegistryEntry)
			}
			reg, err := f.ledger.Registry(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := reg.Type("business-licence"); len(got.HolderIDTypes) != 1 || got.HolderIDTypes[0] != credential.IDUSCC {
				t.Fatalf("the registry now holds %v", got.HolderIDTypes)
			}
		})
	}
}
