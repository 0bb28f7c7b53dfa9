package chaincode

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// renewFixture issues samr business licences on a memLedger and makes
// their next versions, as the gateway would.
type renewFixture struct {
	t    *testing.T
	l    *memLedger
	key  ed25519.PrivateKey
	n    int
	seq  uint64
	ref  string
	docs map[string]*credential.Document
}

func newRenewFixture(t *testing.T) *renewFixture {
	l, key := provisioned(t)
	return &renewFixture{t: t, l: l, key: key, ref: strings.Repeat("cd", 32), docs: map[string]*credential.Document{}}
}

func (f *renewFixture) registry() (credential.Department, credential.CredentialType) {
	reg, err := GetRegistry(f.l.tx("", t0, "", nil))
	if err != nil {
		f.t.Fatal(err)
	}
	d, _ := reg.Department(demo.Market)
	ty, _ := reg.Type("business-licence")
	return d, ty
}

// run submits req as msp and commits it when the contract accepts it.
func (f *renewFixture) run(msp string, req credential.IssueRequest) (credential.IssueResult, *memTx, error) {
	f.n++
	f.seq++
	req.StatusSequence = f.seq
	b, _ := json.Marshal(req)
	tx := f.l.tx(fmt.Sprintf("%064x", 1000+f.n), t0.Add(time.Minute), msp, map[string][]byte{TransientRequest: b})
	res, err := Issue(tx)
	if err == nil {
		tx.commit()
		f.docs[req.Document.ID] = &req.Document
	}
	return res, tx, err
}

func (f *renewFixture) issue() credential.Record {
	f.t.Helper()
	d, ty := f.registry()
	doc, err := credential.Issue(credential.IssueParams{Type: ty, Issuer: d, IssuedAt: t0.Add(time.Minute),
		ValidUntil: t0.AddDate(1, 0, 0),
		Holder:     credential.Holder{Name: "某公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": "某公司", "entityType": "有限责任公司", "legalRepresentative": "王五",
			"establishedOn": "2020-01-01", "address": "上海市", "registeredCapital": "50", "businessScope": "软件开发"},
	}, d.Keys[0].ID, f.key)
	if err != nil {
		f.t.Fatal(err)
	}
	res, _, err := f.run("SamrMSP", credential.IssueRequest{Document: *doc, HolderRef: f.ref})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.Record
}

// next is the next version of prevID with edit applied to its parameters.
func (f *renewFixture) next(prevID string, edit func(*credential.IssueParams)) *credential.Document {
	f.t.Helper()
	d, ty := f.registry()
	prev := f.docs[prevID]
	id, _ := credential.ParseIdentifier(prev.ID)
	fields := map[string]string{}
	for _, c := range prev.Claims {
		if !strings.HasPrefix(c.Name, "holder.") {
			fields[c.Name] = c.Value
		}
	}
	p := credential.IssueParams{Type: ty, Issuer: d, Holder: prev.Holder(), Fields: fields, ValidFrom: prev.ValidFrom, ValidUntil: prev.ValidUntil,
		Renews: prev.ID, Version: prev.Version + 1, Serial: id.Serial, IssuedAt: t0.Add(time.Minute)}
	edit(&p)
	doc, err := credential.Issue(p, d.Keys[0].ID, f.key)
	if err != nil {
		f.t.Fatal(err)
	}
	return doc
}

func (f *renewFixture) record(id string) credential.Record {
	f.t.Helper()
	rec, err := GetRecord(f.l.tx("", t0, "", nil), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return rec
}

func (f *renewFixture) indexed(rec credential.Record) credential.Status {
	var e statusIndexEntry
	if _, err := getJSON(f.l.tx("", t0, "", nil), statusIndexKey(rec.Issuer, rec.StatusSequence), &e); err != nil {
		f.t.Fatal(err)
	}
	return e.Status
}

func later(p *credential.IssueParams) { p.ValidUntil = p.ValidUntil.AddDate(5, 0, 0) }

func TestRenewSupersedesThePredecessor(t *testing.T) {
	f := newRenewFixture(t)
	v1 := f.issue()
	doc := f.next(v1.ID, later)
	res, tx, err := f.run("SamrMSP", credential.IssueRequest{Document: *doc, HolderRef: f.ref, Action: credential.ActionRenew, Reason: "到期延续"})
	if err != nil {
		t.Fatal(err)
	}
	v2 := res.Record
	if v2.LastChange.Action != credential.ActionRenew || v2.LastChange.Renews != v1.ID || v2.LastChange.Reason != "到期延续" || v2.Renews != v1.ID || v2.Version != 2 {
		t.Fatalf("new version: %+v", v2)
	}
	old := f.record(v1.ID)
	if res.Superseded == nil || res.Superseded.SupersededBy != v2.ID || old.SupersededBy != v2.ID || old.KeepsValidity || old.Revision != 2 {
		t.Fatalf("predecessor after the renewal: %+v (answered %+v)", old, res.Superseded)
	}
	if old.LastChange.Action != credential.ActionSupersede || old.LastChange.SupersededBy != v2.ID || old.LastChange.Status != credential.StatusValid {
		t.Fatalf("predecessor's change: %+v", old.LastChange)
	}
	if st := old.EffectiveStatus(t0.Add(time.Hour)); st != credential.StatusSuperseded {
		t.Fatalf("predecessor verifies as %s", st)
	}
	if st := v2.EffectiveStatus(t0.Add(time.Hour)); st != credential.StatusValid {
		t.Fatalf("new version verifies as %s", st)
	}
	if f.indexed(old) != credential.StatusSuperseded || f.indexed(v2) != credential.StatusValid {
		t.Fatalf("status index: old %s, new %s", f.indexed(old), f.indexed(v2))
	}
	id, _ := credential.ParseIdentifier(v2.ID)
	for _, want := range []string{
		"put " + holderIndexKey(f.ref, id) + `={"id":"` + v2.ID + `"}`,
		"policy cred/" + v2.ID + "=SamrMSP",
		`"superseded":{"id":"` + v1.ID + `"`,
	} {
		if !strings.Contains(tx.trace(), want) {
			t.Errorf("the renewal did not %q", want)
		}
	}
	page, err := GetCredentialsByHolder(f.l.tx("", t0, "", nil), credential.HolderQuery{Refs: []string{f.ref}})
	if err != nil || len(page.Records) != 1 || page.Records[0].ID != v2.ID {
		t.Fatalf("holder list: %+v, %v", page.Records, err)
	}
	h, err := GetHistory(f.l.tx("", t0, "", nil), v1.ID)
	if err != nil || len(h) != 2 || h[1].Action != credential.ActionSupersede || h[1].SupersededBy != v2.ID {
		t.Fatalf("predecessor's history: %+v, %v", h, err)
	}
	// Only the newest version: neither another renewal of v1 nor its
	// suspension; a revocation stays possible.
	_, _, err = f.run("SamrMSP", credential.IssueRequest{Document: *f.next(v1.ID, later), HolderRef: f.ref, Action: credential.ActionRenew})
	if credential.ErrorReason(err) != credential.ReasonNotNewestVersion {
		t.Fatalf("renewing a superseded version: %v", err)
	}
	_, err = ChangeStatus(f.l.tx(strings.Repeat("e", 64), t0, "SamrMSP", nil), v1.ID, credential.StatusChange{Action: credential.ActionSuspend, Reason: "x"})
	if credential.ErrorReason(err) != credential.ReasonNotNewestVersion {
		t.Fatalf("suspending a superseded version: %v", err)
	}
	if _, err = ChangeStatus(f.l.tx(strings.Repeat("e", 64), t0, "SamrMSP", nil), v1.ID, credential.StatusChange{Action: credential.ActionRevoke, Reason: "x", Code: credential.RevokedWithdrawn}); err != nil {
		t.Fatalf("revoking a superseded version: %v", err)
	}
}

func TestRenewAndChangeRefusals(t *testing.T) {
	f := newRenewFixture(t)
	v1 := f.issue()
	rename := func(p *credential.IssueParams) { p.Holder.Name = "某新公司" }
	for _, tt := range []struct {
		name   string
		action credential.Action
		reason string
		edit   func(*credential.IssueParams)
		want   credential.Reason
	}{
		{"renewal not later", credential.ActionRenew, "", func(*credential.IssueParams) {}, credential.ReasonRenewalNotLater},
		{"renewal changing a field", credential.ActionRenew, "", func(p *credential.IssueParams) { later(p); p.Fields["address"] = "北京市" }, credential.ReasonInvalidDocument},
		{"change without change", credential.ActionChange, "变更", func(*credential.IssueParams) {}, credential.ReasonNothingChanged},
		{"change without reason", credential.ActionChange, "", rename, credential.ReasonInvalidField},
		{"change extending", credential.ActionChange, "变更", func(p *credential.IssueParams) { rename(p); later(p) }, credential.ReasonInvalidDocument},
		{"change of the ID number", credential.ActionChange, "变更", func(p *credential.IssueParams) { p.Holder.IDNumber = "91350100M000100Y43" }, credential.ReasonInvalidDocument},
		{"unknown action", credential.ActionRevoke, "", later, credential.ReasonInvalidRequest},
	} {
		_, _, err := f.run("SamrMSP", credential.IssueRequest{Document: *f.next(v1.ID, tt.edit), HolderRef: f.ref, Action: tt.action, Reason: tt.reason})
		if credential.ErrorReason(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
	// A key's reissue (no action) of a credential whose key is active is
	// still refused as before.
	_, _, err := f.run("SamrMSP", credential.IssueRequest{Document: *f.next(v1.ID, later), HolderRef: f.ref})
	if credential.ErrorReason(err) != credential.ReasonReissueNotApplicable {
		t.Errorf("reissue with an active key: %v", err)
	}

	res, _, err := f.run("SamrMSP", credential.IssueRequest{Document: *f.next(v1.ID, rename), HolderRef: f.ref, Action: credential.ActionChange, Reason: "名称变更"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Record.LastChange.Action != credential.ActionChange || f.record(v1.ID).SupersededBy != res.Record.ID {
		t.Fatalf("change: %+v", res.Record)
	}

	revoked := f.issue()
	if err := f.status(revoked.ID, credential.StatusChange{Action: credential.ActionRevoke, Reason: "x", Code: credential.RevokedPenalty}); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.run("SamrMSP", credential.IssueRequest{Document: *f.next(revoked.ID, later), HolderRef: f.ref, Action: credential.ActionRenew})
	if credential.ErrorReason(err) != credential.ReasonCredentialRevoked {
		t.Errorf("renewing a revoked credential: %v", err)
	}
	// Another department cannot renew samr's credential, even naming it.
	other := f.issue()
	_, _, err = f.run("EduMSP", credential.IssueRequest{Document: *f.next(other.ID, later), HolderRef: f.ref, Action: credential.ActionRenew})
	if code := credential.ErrorCode(err); code != credential.CodeForbidden {
		t.Errorf("renewal by another department: %v", err)
	}
}

func (f *renewFixture) status(id string, ch credential.StatusChange) error {
	f.n++
	tx := f.l.tx(fmt.Sprintf("%064x", 5000+f.n), t0.Add(time.Minute), "SamrMSP", nil)
	if _, err := ChangeStatus(tx, id, ch); err != nil {
		return err
	}
	tx.commit()
	return nil
}

// A suspended credential's renewal carries the suspension; the predecessor
// is superseded all the same.
func TestRenewalCarriesSuspension(t *testing.T) {
	f := newRenewFixture(t)
	v1 := f.issue()
	if err := f.status(v1.ID, credential.StatusChange{Action: credential.ActionSuspend, Reason: "年报未报"}); err != nil {
		t.Fatal(err)
	}
	res, _, err := f.run("SamrMSP", credential.IssueRequest{Document: *f.next(v1.ID, later), HolderRef: f.ref, Action: credential.ActionRenew})
	if err != nil {
		t.Fatal(err)
	}
	if res.Record.Status != credential.StatusSuspended || res.Record.StatusReason != "年报未报" || f.indexed(res.Record) != credential.StatusSuspended {
		t.Fatalf("renewal of a suspended credential: %+v", res.Record)
	}
	if st := f.record(v1.ID).EffectiveStatus(t0.Add(time.Hour)); st != credential.StatusSuperseded {
		t.Fatalf("suspended predecessor verifies as %s", st)
	}
}

// A type that keeps the renewed version valid: the predecessor verifies
// valid until its own end and superseded after; its status list entry stays
// valid. A change of the same type supersedes at once.
func TestRenewalKeepsPrevious(t *testing.T) {
	f := newRenewFixture(t)
	_, ty := f.registry()
	ty.RenewalKeepsPrevious = true
	tx := f.l.tx(strings.Repeat("9", 64), t0, "GovMSP", nil)
	if err := PutCredentialType(tx, ty); err != nil {
		t.Fatal(err)
	}
	tx.commit()
	v1 := f.issue()
	res, _, err := f.run("SamrMSP", credential.IssueRequest{Document: *f.next(v1.ID, later), HolderRef: f.ref, Action: credential.ActionRenew})
	if err != nil {
		t.Fatal(err)
	}
	old := f.record(v1.ID)
	if !old.KeepsValidity || old.SupersededBy != res.Record.ID || f.indexed(old) != credential.StatusValid {
		t.Fatalf("kept predecessor: %+v, indexed %s", old, f.indexed(old))
	}
	for _, tt := range []struct {
		at   time.Time
		want credential.Status
	}{{t0.Add(time.Hour), credential.StatusValid}, {old.ValidUntil, credential.StatusSuperseded}} {
		if st := old.EffectiveStatus(tt.at); st != tt.want {
			t.Errorf("kept predecessor at %s: %s, want %s", tt.at, st, tt.want)
		}
	}
	ch, _, err := f.run("SamrMSP", credential.IssueRequest{Document: *f.next(res.Record.ID, func(p *credential.IssueParams) { p.Fields["address"] = "北京市" }),
		HolderRef: f.ref, Action: credential.ActionChange, Reason: "住所变更"})
	if err != nil {
		t.Fatal(err)
	}
	if v2 := f.record(res.Record.ID); v2.KeepsValidity || v2.SupersededBy != ch.Record.ID || f.indexed(v2) != credential.StatusSuperseded {
		t.Fatalf("changed version: %+v", v2)
	}
}
