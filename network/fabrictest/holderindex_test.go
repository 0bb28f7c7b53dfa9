package fabrictest

import (
	"context"
	"slices"
	"testing"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/atrest"
	"github.com/certledger/certledger/gateway/keystore"
	"github.com/certledger/certledger/gateway/ledger/fabricledger"
)

// TestHolderIndexFromFreshGateway: credentials issued through the serve
// process are found by a Fabric backend opened afterwards, from the holder
// index in public state, page by page; governance's backfill finds nothing
// left to list and orders nothing.
func TestHolderIndexFromFreshGateway(t *testing.T) {
	need(t)
	ctx := context.Background()
	want := []string{issue(t, "edu", 9101).ID, issue(t, "hrss", 9102).ID}
	licence := issue(t, "samr", 9103).ID

	gw := gateway(t)
	kek, err := atrest.LoadFile(gw.KEKFile)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.Open(gw.DataDir, kek)
	if err != nil {
		t.Fatal(err)
	}
	key := ks.Secrets().HolderKey
	l, err := fabricledger.Open(ctx, profile, fabricledger.Options{RecordCacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	reg, err := l.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var depts []string
	for _, d := range reg.Departments {
		depts = append(depts, d.ID)
		if !l.ActsAs(d.MSPID) {
			t.Errorf("the profile's ledger does not act as %s", d.MSPID)
		}
	}
	const idType, idNumber = credential.IDResidentCard, "11010519491231002X" // requestFor's person
	q := credential.HolderQuery{Refs: []string{credential.LegacyHolderRef(key, idType, idNumber)}, Limit: 1}
	for _, r := range credential.HolderRefs(key, depts, idType, idNumber) {
		q.Refs = append(q.Refs, r)
	}
	var got []string
	for pages := 0; ; pages++ {
		page, err := l.CredentialsByHolder(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) > 1 || pages > 1000 {
			t.Fatalf("page %d holds %d records with limit 1", pages, len(page.Records))
		}
		for _, r := range page.Records {
			got = append(got, r.ID)
		}
		if q.After = page.Next; q.After == "" {
			break
		}
	}
	for _, id := range want {
		if !slices.Contains(got, id) {
			t.Errorf("the fresh gateway does not find %s among the person's %d credentials", id, len(got))
		}
	}
	if slices.Contains(got, licence) {
		t.Errorf("the company's licence %s is listed for the person", licence)
	}

	gov := ""
	for _, d := range reg.Departments {
		if d.HasRole(credential.RoleGovernance) {
			gov = d.MSPID
		}
	}
	p, err := l.IndexHolders(ctx, gov, "")
	if err != nil || p.Indexed != 0 || p.Scanned == 0 || p.Scanned > chaincode.IndexBatch {
		t.Fatalf("backfill on an indexed channel: %+v, %v; want records scanned and none listed", p, err)
	}
}
