package chaincode

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// leafOf is leaf i of the anchored batch a as the ledger holds it.
func (f *anchorFixture) leafOf(a credential.Anchor, i int) credential.AnchorLeaf {
	f.t.Helper()
	leaves, err := anchorLeaves(f.read(""), a, i/credential.AnchorChunkSize)
	if err != nil {
		f.t.Fatal(err)
	}
	return leaves[i%credential.AnchorChunkSize]
}

// A credential of a batch reads as if issued alone: its record is the one
// the batch derives, its document comes with a proof that leads to the
// batch's root, its history is the batch's issuance.
func TestAnchoredCredentialReads(t *testing.T) {
	f := newAnchorFixture(t)
	a, docs := f.anchor(batchSpec{seed: "reads", n: 300, docs: true})
	for _, i := range []int{0, 1, 255, 256, 299} {
		t.Run(fmt.Sprint("leaf ", i), func(t *testing.T) {
			id := a.CredentialID(i)
			leaf := f.leafOf(a, i)
			rec, err := GetRecord(f.read(""), id)
			if err != nil {
				t.Fatal(err)
			}
			want := a.Record(i, leaf)
			if got, _ := json.Marshal(rec); string(got) != string(mustJSON(t, want)) {
				t.Fatalf("record\n%s\nwant\n%s", got, mustJSON(t, want))
			}
			if rec.ID != docs[i].ID || rec.Digest != docs[i].Proof.Digest || rec.Revision != 1 || rec.StatusSequence != a.StatusFrom+uint64(i) {
				t.Fatalf("record %+v does not describe document %s", rec, docs[i].ID)
			}
			doc, err := GetDocument(f.read("SamrMSP"), id)
			if err != nil {
				t.Fatal(err)
			}
			p := doc.Proof.Anchor
			if doc.ID != id || doc.Proof.Digest != rec.Digest || p == nil || p.Root != a.Root || p.Index != i || p.Count != a.Count {
				t.Fatalf("document %s, proof %+v", doc.ID, p)
			}
			if err := p.Verify(id, leaf); err != nil {
				t.Fatal(err)
			}
			if err := doc.CheckIntegrity(); err != nil {
				t.Fatal(err)
			}
			hist, err := GetHistory(f.read(""), id)
			if err != nil || len(hist) != 1 || hist[0].Action != credential.ActionIssue || hist[0].TxID != a.TxID {
				t.Fatalf("history %+v, %v", hist, err)
			}
		})
	}
	for name, id := range map[string]string{
		"a leaf past the batch's end": credential.Identifier{TypeCode: a.Type, Issuer: a.IssuerCode, Serial: credential.AnchoredSerial(a.Token, 300), Version: 1}.String(),
		"version 2 of a leaf":         credential.Identifier{TypeCode: a.Type, Issuer: a.IssuerCode, Serial: credential.AnchoredSerial(a.Token, 3), Version: 2}.String(),
		"a batch not on the ledger":   credential.Identifier{TypeCode: a.Type, Issuer: a.IssuerCode, Serial: credential.AnchoredSerial("ZZZZZZZZZZZZ", 3), Version: 1}.String(),
	} {
		if _, err := GetRecord(f.read(""), id); credential.ErrorReason(err) != credential.ReasonCredentialNotFound {
			t.Errorf("%s: %v, want credential_not_found", name, err)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A change of an anchored credential writes its own record, from the
// derived one, with the next revision, a key-level policy of its
// department and its status index entry; reads then prefer that record.
func TestAnchoredCredentialChanges(t *testing.T) {
	type step struct {
		action credential.Action
		status credential.Status
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"suspend", []step{{credential.ActionSuspend, credential.StatusSuspended}}},
		{"revoke", []step{{credential.ActionRevoke, credential.StatusRevoked}}},
		{"suspend and reinstate", []step{{credential.ActionSuspend, credential.StatusSuspended}, {credential.ActionReinstate, credential.StatusValid}}},
		{"rotate the token", []step{{credential.ActionRotateToken, credential.StatusValid}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newAnchorFixture(t)
			a, _ := f.anchor(batchSpec{seed: "changes", n: 3})
			id := a.CredentialID(1)
			seq := a.StatusFrom + 1
			for k, s := range c.steps {
				tx := f.next(t0.Add(time.Duration(k+2)*time.Minute), "SamrMSP", nil)
				var rec credential.Record
				var err error
				if s.action == credential.ActionRotateToken {
					rec, err = RotateToken(tx, id, credential.TokenRotation{})
				} else {
					rec, err = ChangeStatus(tx, id, credential.StatusChange{Action: s.action, Reason: "检查", Code: credential.RevokedWithdrawn})
				}
				if err != nil {
					t.Fatal(err)
				}
				tx.commit()
				if rec.Revision != uint64(k+2) || rec.Status != s.status || rec.LastChange.Action != s.action || rec.LastChange.TxID != tx.TxID() || rec.IssueTxID != a.TxID {
					t.Fatalf("step %d: record %+v", k, rec)
				}
				trace := tx.trace()
				wants := []string{"put " + recordKey(id) + "=", "policy " + recordKey(id) + "=SamrMSP"}
				if s.action != credential.ActionRotateToken {
					e := string(mustJSON(t, statusIndexEntry{ID: id, Status: s.status}))
					wants = append(wants, "put "+statusIndexKey("samr", seq)+"="+e, "policy "+statusIndexKey("samr", seq)+"=SamrMSP")
				} else if strings.Contains(trace, prefixStatusIndex) {
					t.Errorf("a token rotation wrote a status index entry:\n%s", trace)
				}
				for _, want := range wants {
					if !strings.Contains(trace, want) {
						t.Errorf("step %d did not %q:\n%s", k, want, trace)
					}
				}
				got, err := GetRecord(f.read(""), id)
				if err != nil || got.Revision != rec.Revision || got.Status != s.status {
					t.Fatalf("step %d: read %+v, %v", k, got, err)
				}
			}
			hist, err := GetHistory(f.read(""), id)
			if err != nil || len(hist) != 1+len(c.steps) || hist[0].Action != credential.ActionIssue || hist[len(hist)-1].Action != c.steps[len(c.steps)-1].action {
				t.Fatalf("history %+v, %v", hist, err)
			}
			entries, err := GetStatusEntries(f.read(""), "samr", seq/StatusListSize)
			if err != nil {
				t.Fatal(err)
			}
			if wantEntries := c.steps[0].action != credential.ActionRotateToken; (len(entries) == 1) != wantEntries {
				t.Fatalf("status list entries %+v", entries)
			}
			if other, err := GetRecord(f.read(""), a.CredentialID(2)); err != nil || other.Revision != 1 {
				t.Fatalf("the change of one leaf touched another: %+v, %v", other, err)
			}
		})
	}
}

// A renewal or change of an anchored credential is an ordinary single
// issuance of version 2, which supersedes the anchored version 1 (whose own
// record it then writes).
func TestAnchoredCredentialNewVersions(t *testing.T) {
	for _, action := range []credential.Action{credential.ActionRenew, credential.ActionChange} {
		t.Run(string(action), func(t *testing.T) {
			f := newAnchorFixture(t)
			a, docs := f.anchor(batchSpec{seed: "versions", n: 3, docs: true})
			v1 := a.CredentialID(0)
			next := f.nextVersion(docs[0], action, t0.Add(time.Hour))
			res, tx, err := f.issue(next, ref("ab"), 42, action, "更正")
			if err != nil {
				t.Fatal(err)
			}
			if res.Record.Version != 2 || res.Record.Renews != v1 || res.Superseded == nil || res.Superseded.SupersededBy != next.ID || res.Superseded.Revision != 2 {
				t.Fatalf("result %+v superseded %+v", res.Record, res.Superseded)
			}
			for _, want := range []string{"policy " + recordKey(v1) + "=SamrMSP", "put " + statusIndexKey("samr", a.StatusFrom) + "=", "put " + recordKey(next.ID) + "="} {
				if !strings.Contains(tx.trace(), want) {
					t.Errorf("the new version did not %q", want)
				}
			}
			old, err := GetRecord(f.read(""), v1)
			if err != nil || old.SupersededBy != next.ID {
				t.Fatalf("version 1 reads %+v, %v", old, err)
			}
			if _, _, err := f.issue(f.nextVersion(docs[0], action, t0.Add(2*time.Hour)), ref("ab"), 0, action, "再次"); credential.ErrorReason(err) != credential.ReasonNotNewestVersion {
				t.Fatalf("a second version 2: %v, want not_newest_version", err)
			}
		})
	}
}
