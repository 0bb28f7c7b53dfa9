package chaincode

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// reroot recomputes req's root after a test changed its leaves or type.
func (f *anchorFixture) reroot(req *credential.AnchorRequest) {
	root, _ := credential.AnchorRoots(req.Type, f.samr.USCC, req.Token, req.Leaves)
	req.Root = hex.EncodeToString(root[:])
}

// AnchorBatch records a batch in a fixed set of keys, none per credential,
// and refuses, writing nothing, every batch the decision's checks exclude.
func TestAnchorBatch(t *testing.T) {
	cases := []struct {
		name  string
		setup func(f *anchorFixture)
		spec  batchSpec
		edit  func(f *anchorFixture, req *credential.AnchorRequest)
		msp   string // "" for SamrMSP
		want  credential.Reason
	}{
		{name: "accepted", spec: batchSpec{n: 300, docs: true}},
		{name: "another department's type", spec: batchSpec{n: 3}, edit: func(f *anchorFixture, req *credential.AnchorRequest) {
			req.Type = eduDiploma
			f.reroot(req)
		}, want: credential.ReasonNotAuthorizedForType},
		{name: "another department as the issuer", spec: batchSpec{n: 3}, msp: "EduMSP", want: credential.ReasonNotAuthorizedForType},
		{name: "unknown key", spec: batchSpec{n: 3}, edit: func(_ *anchorFixture, req *credential.AnchorRequest) { req.KeyID = "samr-9" },
			want: credential.ReasonUnknownKey},
		{name: "retired key", setup: func(f *anchorFixture) {
			d := f.samr
			d.Keys = append([]credential.Key(nil), d.Keys...)
			d.Keys[0].Status, d.Keys[0].ValidUntil = credential.KeyRetired, t0.Add(-time.Minute)
			tx := f.next(t0, "GovMSP", nil)
			if err := PutDepartment(tx, d); err != nil {
				f.t.Fatal(err)
			}
			tx.commit()
		}, spec: batchSpec{n: 3}, want: credential.ReasonKeyNotUsable},
		{name: "issuedAt skew", spec: batchSpec{n: 3, issuedAt: t0.Add(-IssuedAtTolerance - time.Second)}, want: credential.ReasonIssuedAtSkew},
		{name: "root mismatch", spec: batchSpec{n: 3}, edit: func(_ *anchorFixture, req *credential.AnchorRequest) {
			req.Leaves[1].ValidFrom = req.Leaves[1].ValidFrom.Add(time.Second)
		}, want: credential.ReasonInvalidField},
		{name: "missing chunk", spec: batchSpec{n: 300}, edit: func(_ *anchorFixture, req *credential.AnchorRequest) {
			req.Chunks = req.Chunks[:1]
		}, want: credential.ReasonInvalidRequest},
		{name: "extra chunk", spec: batchSpec{n: 3}, edit: func(_ *anchorFixture, req *credential.AnchorRequest) {
			req.Chunks = append(req.Chunks, []byte("more"))
		}, want: credential.ReasonInvalidRequest},
		{name: "empty chunk", spec: batchSpec{n: 3}, edit: func(_ *anchorFixture, req *credential.AnchorRequest) {
			req.Chunks[0] = nil
		}, want: credential.ReasonInvalidRequest},
		{name: "status run overlapping another batch", setup: func(f *anchorFixture) {
			f.anchor(batchSpec{seed: "earlier", n: 10, statusFrom: credential.AnchorStatusBase + 100})
		}, spec: batchSpec{n: 3, statusFrom: credential.AnchorStatusBase + 109}, want: credential.ReasonStatusSequenceTaken},
		{name: "status run holding another batch", setup: func(f *anchorFixture) {
			f.anchor(batchSpec{seed: "earlier", n: 2, statusFrom: credential.AnchorStatusBase + 100})
		}, spec: batchSpec{n: 10, statusFrom: credential.AnchorStatusBase + 95}, want: credential.ReasonStatusSequenceTaken},
		{name: "status run below the anchored lists", spec: batchSpec{n: 3, statusFrom: credential.AnchorStatusBase - 2}, want: credential.ReasonInvalidStatusList},
		{name: "status run across a list boundary", spec: batchSpec{n: 3, statusFrom: credential.AnchorStatusBase + StatusListSize - 2}, want: credential.ReasonInvalidStatusList},
		{name: "a singly issued record holds a serial of the batch", setup: func(f *anchorFixture) {
			req, _ := f.request(batchSpec{seed: "batch", n: 3})
			p := f.params("单独公司", t0)
			p.Serial = credential.AnchoredSerial(req.Token, 1)
			if _, _, err := f.issue(f.sign(p), ref("cd"), 0, "", ""); err != nil {
				f.t.Fatal(err)
			}
		}, spec: batchSpec{n: 3}, want: credential.ReasonDuplicateID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newAnchorFixture(t)
			if c.setup != nil {
				c.setup(f)
			}
			spec := c.spec
			spec.seed = "batch"
			req, _ := f.request(spec)
			if c.edit != nil {
				c.edit(f, &req)
			}
			msp := c.msp
			if msp == "" {
				msp = "SamrMSP"
			}
			tx, res, err := f.anchorAs(msp, req)
			if c.want != "" {
				if credential.ErrorReason(err) != c.want {
					t.Fatalf("got %v, want %s", err, c.want)
				}
				if tx.trace() != "" {
					t.Fatalf("a refused batch wrote:\n%s", tx.trace())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := res.Anchor
			if res.Replayed || a.Token != req.Token || a.Root != req.Root || a.Count != spec.n || a.Issuer != "samr" ||
				a.IssuerCode != f.samr.USCC || a.TxID != tx.TxID() || len(a.ChunkRoots) != 2 || a.StatusFrom != credential.AnchorStatusBase {
				t.Fatalf("anchor %+v", a)
			}
			name := anchorNameOf(a)
			trace := tx.trace()
			for _, want := range []string{
				"put " + prefixAnchor + name + "=", "policy " + prefixAnchor + name + "=SamrMSP",
				"put " + prefixAnchorLeaf + name + "/0001=", "policy " + prefixAnchorLeaf + name + "/0001=SamrMSP",
				"private " + DocumentCollection("SamrMSP") + "/" + prefixAnchorDoc + name + "/0001=",
				"private-policy " + DocumentCollection("SamrMSP") + "/" + prefixAnchorDoc + name + "/0001=SamrMSP",
				"policy " + anchorStatusKey("samr", credential.AnchorStatusBase+uint64(spec.n)-1) + "=SamrMSP",
				"policy " + prefixAnchorHolder + "a/" + name + "=SamrMSP",
				"policy " + anchorDeptIndexKey(a) + "=SamrMSP",
				"event " + EventAnchorName + "=",
			} {
				if !strings.Contains(trace, want) {
					t.Errorf("the batch did not %q", want)
				}
			}
			if strings.Contains(trace, "put "+prefixRecord) || strings.Contains(trace, "put "+prefixStatusIndex) || strings.Contains(trace, "put "+prefixHolderIndex) {
				t.Errorf("the batch wrote a key per credential:\n%.2000s", trace)
			}
			for _, line := range strings.Split(trace, "\n") {
				if strings.Contains(line, "91110000802100433B") {
					t.Errorf("personal data in a public write: %.80s", line)
				}
			}
		})
	}
}

// The token is the batch's idempotency key: the same rows again (signed
// anew, so another root) are answered with the first anchoring and write
// nothing; other rows under the token are refused.
func TestAnchorBatchReplay(t *testing.T) {
	f := newAnchorFixture(t)
	first, docs := f.anchor(batchSpec{seed: "rows", n: 5, docs: true})
	again, _ := f.request(batchSpec{seed: "rows", n: 5, docs: true})
	if again.Root == first.Root {
		t.Fatal("documents signed again have the same root; the replay proves nothing")
	}
	tx, res, err := f.anchorAs("SamrMSP", again)
	if err != nil || !res.Replayed || res.Anchor.Root != first.Root || res.Anchor.TxID != first.TxID || tx.trace() != "" {
		t.Fatalf("replay: %+v, %v; wrote %q", res, err, tx.trace())
	}
	doc, err := GetDocument(f.read("SamrMSP"), first.CredentialID(2))
	if err != nil || doc.Proof.Digest != docs[2].Proof.Digest {
		t.Fatalf("after the replay the document is %v, %v; want the first anchoring's", doc.Proof.Digest, err)
	}
	other, _ := f.request(batchSpec{seed: "rows", n: 5})
	other.RequestHash = "other rows"
	tx, _, err = f.anchorAs("SamrMSP", other)
	if credential.ErrorReason(err) != credential.ReasonIdempotencyKeyReused || tx.trace() != "" {
		t.Fatalf("other rows under the token: %v, wrote %q", err, tx.trace())
	}
}

// Single issuances and batches never share an identifier or a status
// position.
func TestIssueBesideAnchoredBatches(t *testing.T) {
	f := newAnchorFixture(t)
	a, _ := f.anchor(batchSpec{seed: "held", n: 3})
	for _, tt := range []struct {
		name string
		doc  func() *credential.Document
		seq  uint64
		want credential.Reason
	}{
		{"version 1 of a serial the batch holds", func() *credential.Document {
			p := f.params("重复公司", t0)
			p.Serial = credential.AnchoredSerial(a.Token, 2)
			return f.sign(p)
		}, 0, credential.ReasonDuplicateID},
		{"a status sequence in the anchored lists", func() *credential.Document { return f.sign(f.params("公司", t0)) },
			credential.AnchorStatusBase + 7, credential.ReasonInvalidStatusList},
		{"a status sequence just below them", func() *credential.Document { return f.sign(f.params("公司", t0)) },
			credential.AnchorStatusBase - 1, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, tx, err := f.issue(tt.doc(), ref("cd"), tt.seq, "", "")
			if credential.ErrorReason(err) != tt.want {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if tt.want != "" && strings.Contains(tx.trace(), "put ") {
				t.Fatalf("a refused issuance wrote:\n%s", tx.trace())
			}
		})
	}
}

// The next batch's status run starts after the department's last.
func TestGetAnchorStatusNext(t *testing.T) {
	for _, batches := range []int{0, 1, 100} {
		t.Run(fmt.Sprint(batches, " batches"), func(t *testing.T) {
			f := newAnchorFixture(t)
			want := credential.AnchorStatusBase
			for i := range batches {
				next, err := GetAnchorStatusNext(f.read(""), "samr")
				if err != nil || next != want {
					t.Fatalf("before batch %d: %d, %v; want %d", i, next, err, want)
				}
				n := 1 + i%7
				f.anchor(batchSpec{seed: fmt.Sprint("b", i), n: n, statusFrom: next})
				want += uint64(n)
			}
			next, err := GetAnchorStatusNext(f.read(""), "samr")
			if err != nil || next != want {
				t.Fatalf("%d, %v; want %d", next, err, want)
			}
			if other, err := GetAnchorStatusNext(f.read(""), "edu"); err != nil || other != credential.AnchorStatusBase {
				t.Fatalf("another department's next: %d, %v", other, err)
			}
		})
	}
}
