package embedded

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// anchorLicences anchors n business licences of one holder as samr, with
// their documents, and returns the anchor and the holder's reference.
func (f *fixture) anchorLicences(seed string, n int) (credential.Anchor, []credential.Document, string) {
	f.t.Helper()
	samr, licence := f.depts[demo.Market], f.types["business-licence"]
	token := credential.AnchorToken(sha256.Sum256([]byte(seed)))
	holder := holderFor(licence, "北京某某科技有限公司")
	holderRef := credential.HolderRef(f.holderKey, samr.ID, holder.IDType, holder.IDNumber)
	req := credential.AnchorRequest{Token: token, Type: licence.Code, KeyID: samr.Keys[0].ID, IssuedAt: f.clock.Now(),
		StatusFrom: credential.AnchorStatusBase, RequestHash: "rows-" + seed}
	var docs []credential.Document
	for i := range n {
		doc, err := credential.Issue(credential.IssueParams{Type: licence, Issuer: samr, Holder: holder, IssuedAt: f.clock.Now(),
			Serial: credential.AnchoredSerial(token, i),
			Fields: map[string]string{"companyName": fmt.Sprint("公司", i), "entityType": "有限责任公司", "legalRepresentative": "张三",
				"establishedOn": "2020-05-01", "address": "北京市东城区", "registeredCapital": "100"},
		}, samr.Keys[0].ID, f.keys[demo.Market])
		if err != nil {
			f.t.Fatal(err)
		}
		docs = append(docs, *doc)
		req.Leaves = append(req.Leaves, credential.AnchorLeaf{Digest: doc.Proof.Digest, HolderRef: holderRef, ValidFrom: doc.ValidFrom, ValidUntil: doc.ValidUntil})
	}
	root, _ := credential.AnchorRoots(req.Type, samr.USCC, token, req.Leaves)
	req.Root = hex.EncodeToString(root[:])
	chunk, err := credential.EncodeAnchorChunk(docs)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Chunks = [][]byte{chunk}
	res, err := f.ledger.AnchorBatch(context.Background(), samr.MSPID, req)
	if err != nil {
		f.t.Fatal(err)
	}
	return res.Anchor, docs, holderRef
}

// The embedded ledger's reads see anchored credentials as the contract
// does: record, document with its proof, history, the holder's list and
// the register, before and after a change, and after the file is opened
// again (and verified).
func TestAnchoredCredentialsRead(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	single := f.issue(f.licence("单独公司"))
	f.clock.Advance(time.Second)
	a, docs, holderRef := f.anchorLicences("embedded", 4)
	msp := f.msp(demo.Market)
	check := func(stage string, suspended string) {
		t.Helper()
		for i, doc := range docs {
			id := a.CredentialID(i)
			rec, err := f.ledger.Record(ctx, id)
			if err != nil || rec.ID != doc.ID || rec.Digest != doc.Proof.Digest || rec.IssueTxID != a.TxID {
				t.Fatalf("%s: record of %s: %+v, %v", stage, id, rec, err)
			}
			if (rec.Status == credential.StatusSuspended) != (id == suspended) {
				t.Fatalf("%s: %s is %s", stage, id, rec.Status)
			}
			got, err := f.ledger.Document(ctx, msp, id)
			if err != nil || got.Proof.Anchor == nil || got.Proof.Anchor.Root != a.Root {
				t.Fatalf("%s: document of %s: %v, proof %+v", stage, id, err, got.Proof.Anchor)
			}
			leaf := credential.AnchorLeaf{Digest: rec.Digest, HolderRef: rec.HolderRef, ValidFrom: rec.ValidFrom, ValidUntil: rec.ValidUntil}
			if err := got.Proof.Anchor.Verify(id, leaf); err != nil {
				t.Fatalf("%s: %v", stage, err)
			}
			hist, err := f.ledger.History(ctx, id)
			want := 1
			if id == suspended {
				want = 2
			}
			if err != nil || len(hist) != want || hist[0].TxID != a.TxID {
				t.Fatalf("%s: history of %s: %+v, %v", stage, id, hist, err)
			}
		}
		want := []string{a.CredentialID(0), a.CredentialID(1), a.CredentialID(2), a.CredentialID(3)}
		page, err := f.ledger.CredentialsByHolder(ctx, credential.HolderQuery{Refs: []string{holderRef}})
		if err != nil {
			t.Fatal(err)
		}
		if got := recordIDs(page.Records); !slices.Equal(got, append([]string{single.ID}, want...)) {
			t.Fatalf("%s: the holder's list is %v", stage, got)
		}
		reg, err := f.ledger.CredentialsByDepartment(ctx, msp, credential.RegisterQuery{Dept: demo.Market, Now: f.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if got := recordIDs(reg.Records); !slices.Equal(got, append(want, single.ID)) {
			t.Fatalf("%s: the register is %v", stage, got)
		}
	}
	check("anchored", "")
	f.clock.Advance(time.Minute)
	if _, err := f.ledger.ChangeStatus(ctx, msp, a.CredentialID(2), credential.StatusChange{Action: credential.ActionSuspend, Reason: "核查"}); err != nil {
		t.Fatal(err)
	}
	check("changed", a.CredentialID(2))
	f.reopen()
	check("reopened", a.CredentialID(2))
}

func recordIDs(recs []credential.Record) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}
