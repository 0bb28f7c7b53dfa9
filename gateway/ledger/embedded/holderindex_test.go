package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	bolt "go.etcd.io/bbolt"
)

// holderLicence is a samr business licence of holder h, issued now.
func (f *fixture) holderLicence(h credential.Holder, name string) *credential.Document {
	f.t.Helper()
	d := f.depts[demo.Market]
	doc, err := credential.Issue(credential.IssueParams{Type: f.types["business-licence"], Issuer: d, Holder: h,
		Fields: map[string]string{"companyName": name, "entityType": "有限责任公司", "legalRepresentative": "张三",
			"establishedOn": "2020-05-01", "address": "北京市东城区"},
		IssuedAt: f.clock.Now()}, d.Keys[0].ID, f.keys[demo.Market])
	if err != nil {
		f.t.Fatal(err)
	}
	return doc
}

// holderIDs pages through everything the index lists for h, as a gateway
// asks: every department's reference and the legacy one.
func (f *fixture) holderIDs(h credential.Holder) []string {
	f.t.Helper()
	var depts []string
	for id := range f.depts {
		depts = append(depts, id)
	}
	q := credential.HolderQuery{Refs: []string{credential.LegacyHolderRef(f.holderKey, h.IDType, h.IDNumber)}, Limit: 10}
	for _, r := range credential.HolderRefs(f.holderKey, depts, h.IDType, h.IDNumber) {
		q.Refs = append(q.Refs, r)
	}
	var ids []string
	for {
		page, err := f.ledger.CredentialsByHolder(context.Background(), q)
		if err != nil {
			f.t.Fatal(err)
		}
		if len(page.Records) > q.Limit {
			f.t.Fatalf("a page of %d records, limit %d", len(page.Records), q.Limit)
		}
		for _, r := range page.Records {
			ids = append(ids, r.ID)
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	slices.Sort(ids)
	return ids
}

var (
	holderA = credential.Holder{Name: "甲科技有限公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"}
	holderB = credential.Holder{Name: "乙贸易有限公司", IDType: credential.IDUSCC, IDNumber: "91350100M000100Y43"}
)

// Each holder finds exactly their own credentials, across pages; a new
// version replaces its predecessor in the list; what was found is found
// again after the ledger is reopened.
func TestCredentialsByHolder(t *testing.T) {
	f := newFixture(t, WithNoSync())
	ctx := context.Background()
	var wantA, wantB []string
	var firstA *credential.Document
	for i := range 23 {
		doc := f.holderLicence(holderA, fmt.Sprintf("甲%d", i))
		if i == 0 {
			firstA = doc
		}
		wantA = append(wantA, f.issue(doc).ID)
	}
	for i := range 3 {
		wantB = append(wantB, f.issue(f.holderLicence(holderB, fmt.Sprintf("乙%d", i))).ID)
	}
	if _, err := f.ledger.ChangeStatus(ctx, f.msp(demo.Market), wantA[1], credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查"}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(wantA)
	slices.Sort(wantB)
	if got := f.holderIDs(holderA); !slices.Equal(got, wantA) {
		t.Fatalf("holder A finds %d credentials, want %d", len(got), len(wantA))
	}
	if got := f.holderIDs(holderB); !slices.Equal(got, wantB) {
		t.Fatalf("holder B finds %v, want %v", got, wantB)
	}

	f.rotateMarketKey(credential.KeyRetired)
	res, err := f.ledger.Issue(ctx, f.msp(demo.Market), f.nextVersion(firstA, 2, firstA.ID))
	if err != nil {
		t.Fatal(err)
	}
	wantA[slices.Index(wantA, firstA.ID)] = res.Record.ID
	slices.Sort(wantA)
	if got := f.holderIDs(holderA); !slices.Equal(got, wantA) || slices.Contains(got, firstA.ID) {
		t.Fatalf("after the reissue holder A finds %v, want version 2 in place of version 1", got)
	}

	f.reopen()
	if got := f.holderIDs(holderA); !slices.Equal(got, wantA) {
		t.Fatalf("after reopening holder A finds %d credentials, want %d", len(got), len(wantA))
	}
	if got := f.holderIDs(credential.Holder{IDType: credential.IDResidentCard, IDNumber: "110105194912310029"}); len(got) != 0 {
		t.Fatalf("a holder without credentials finds %v", got)
	}
}

// preIndexTx runs the contract as a release without the holder index did:
// every write but the index's.
type preIndexTx struct{ chaincode.Tx }

func (t preIndexTx) PutState(key string, value []byte) error {
	if strings.HasPrefix(key, "holderidx/") || strings.HasPrefix(key, "deptidx/") {
		return nil
	}
	return t.Tx.PutState(key, value)
}

func (t preIndexTx) RestrictTo(key string, mspIDs ...string) error {
	if strings.HasPrefix(key, "holderidx/") || strings.HasPrefix(key, "deptidx/") {
		return nil
	}
	return t.Tx.RestrictTo(key, mspIDs...)
}

// A ledger of format 2 holds records issued without index entries. Open
// lists them in logged IndexHolders transactions of governance, raises the
// format, and the chain still verifies; the next Open has nothing to do.
func TestOpenIndexesOlderLedger(t *testing.T) {
	f := newFixture(t, WithNoSync())
	ctx := context.Background()
	var want []string
	for i := range chaincode.IndexBatch + 5 {
		req := f.request(f.holderLicence(holderA, fmt.Sprintf("甲%d", i)))
		r, err := f.ledger.submit(ctx, f.msp(demo.Market), chaincode.FnIssue, map[string][]byte{chaincode.TransientRequest: mustMarshal(t, req)},
			func(tx chaincode.Tx) (any, error) { return chaincode.Issue(preIndexTx{tx}) })
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r.result.(credential.IssueResult).Record.ID)
	}
	slices.Sort(want)
	if got := f.holderIDs(holderA); len(got) != 0 {
		t.Fatalf("the pre-index issuances are listed: %d", len(got))
	}
	before, err := f.ledger.VerifyChain()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	edit(t, f.dir, setRecord("2"))

	f.open(WithNoSync())
	if got := f.holderIDs(holderA); !slices.Equal(got, want) {
		t.Fatalf("after Open holder A finds %d credentials, want %d", len(got), len(want))
	}
	// The register, newest first, lists them too.
	listed := 0
	for q := (credential.RegisterQuery{Dept: demo.Market, Now: time.Now(), Limit: credential.MaxRegisterPage}); ; {
		reg, err := f.ledger.CredentialsByDepartment(ctx, f.msp(demo.Market), q)
		if err != nil {
			t.Fatal(err)
		}
		listed += len(reg.Records)
		if q.After = reg.Next; q.After == "" {
			break
		}
	}
	if listed != len(want) {
		t.Fatalf("after Open the register lists %d credentials, want %d", listed, len(want))
	}
	after, err := f.ledger.VerifyChain()
	if err != nil || after != before+2 {
		t.Fatalf("VerifyChain: %d entries, %v; want %d (two IndexHolders transactions)", after, err, before+2)
	}
	var fns []string
	_ = f.ledger.db.View(func(btx *bolt.Tx) error {
		for seq := before + 1; seq <= after; seq++ {
			e, err := decodeEntry(seqKey(seq), btx.Bucket(bucketLog).Get(seqKey(seq)))
			if err != nil {
				return err
			}
			fns = append(fns, e.Function+" by "+e.MSPID)
		}
		return nil
	})
	if want := "IndexHolders by GovMSP"; len(fns) != 2 || fns[0] != want || fns[1] != want {
		t.Errorf("the backfill was logged as %v, want two %q", fns, want)
	}
	if err := f.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	if got := storedFormat(t, f.dir); got != "4" {
		t.Fatalf("format record %q after the backfill, want 4", got)
	}
	f.open(WithNoSync())
	if n, err := f.ledger.VerifyChain(); err != nil || n != after {
		t.Fatalf("the second Open: %d entries, %v; want %d", n, err, after)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A bounded scan's read set is what it read, [start, last key]: a key
// committed after the last one leaves the simulation valid, a key committed
// inside the part it read does not (Fabric's phantom read check).
func TestBoundedScanReadSet(t *testing.T) {
	f := newFixture(t, WithNoSync())
	ctx := context.Background()
	put := func(keys ...string) {
		t.Helper()
		if _, err := f.ledger.submit(ctx, "GovMSP", "Test", nil, func(tx chaincode.Tx) (any, error) {
			for _, k := range keys {
				if err := tx.PutState(k, []byte("v")); err != nil {
					return nil, err
				}
			}
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	put("test/a1", "test/a3", "test/a5")
	for _, tt := range []struct {
		added string
		valid bool
	}{{"test/a4", true}, {"test/a3x", true}, {"test/a2", false}, {"test/a0", false}} {
		var sim *simTx
		if err := f.ledger.db.View(func(btx *bolt.Tx) error {
			sim = f.ledger.newSimTx(btx, "", f.clock.Now(), "GovMSP", nil, true)
			kvs, _ := sim.StateRangeN("test/a0", "test/b", 2)
			if len(kvs) != 2 {
				t.Fatalf("scan %+v", kvs)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		put(tt.added)
		_ = f.ledger.db.View(func(btx *bolt.Tx) error {
			if got := sim.stillValid(btx); got != tt.valid {
				t.Errorf("%s committed after the scan: still valid %v, want %v", tt.added, got, tt.valid)
			}
			return nil
		})
	}
}
