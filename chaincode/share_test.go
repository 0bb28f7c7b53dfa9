package chaincode

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

func (t *memTx) PrivateRangeN(collection, start, end string, n int) ([]KV, error) {
	var out []KV
	for k, v := range t.l.private {
		key, ok := strings.CutPrefix(k, collection+"/")
		if ok && key >= start && key < end {
			out = append(out, KV{Key: key, Value: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out[:min(len(out), n)], nil
}

// shareLedger is a provisioned ledger with one business licence of samr's,
// held under reference ref("ab").
func shareLedger(t *testing.T) (*memLedger, string) {
	t.Helper()
	l, key := provisioned(t)
	reg, err := GetRegistry(l.tx("", t0, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	samr, _ := reg.Department(demo.Market)
	licence, _ := reg.Type("business-licence")
	doc, err := credential.Issue(credential.IssueParams{Type: licence, Issuer: samr, IssuedAt: t0,
		Holder: credential.Holder{Name: "分享公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": "分享公司", "entityType": "有限责任公司", "legalRepresentative": "王五",
			"establishedOn": "2020-01-01", "address": "上海市"},
	}, samr.Keys[0].ID, key)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: ref("ab")})
	tx := l.tx(strings.Repeat("1", 64), t0, "SamrMSP", map[string][]byte{TransientRequest: req})
	if _, err := Issue(tx); err != nil {
		t.Fatal(err)
	}
	tx.commit()
	return l, doc.ID
}

func shareTx(l *memLedger, at time.Time, msp string, req any) *memTx {
	b, _ := json.Marshal(req)
	return l.tx(strings.Repeat("5", 64), at, msp, map[string][]byte{TransientShare: b})
}

const (
	shareA = "samr.AAAAAAAAAAAAAAAAAAAAAA"
	shareB = "samr.BBBBBBBBBBBBBBBBBBBBBB"
)

// CreateShare checks who asks, for whose credential and which fields, and
// writes only to the issuer's private collection: nothing public, no event.
func TestCreateShareRules(t *testing.T) {
	l, id := shareLedger(t)
	good := credential.NewShare{ID: shareA, Credential: id, HolderRef: ref("ab"), Fields: []string{"companyName"}, Purpose: "开户"}
	with := func(f func(*credential.NewShare)) credential.NewShare { r := good; f(&r); return r }
	cases := []struct {
		name   string
		msp    string
		req    any
		reason credential.Reason
	}{
		{"another department's prefix", "SamrMSP", with(func(r *credential.NewShare) { r.ID = "edu.AAAAAAAAAAAAAAAAAAAAAA" }), credential.ReasonShareNotFound},
		{"not the issuer", "EduMSP", with(func(r *credential.NewShare) { r.ID = "edu.AAAAAAAAAAAAAAAAAAAAAA" }), credential.ReasonNotIssuer},
		{"malformed ID", "SamrMSP", with(func(r *credential.NewShare) { r.ID = "samr.short" }), credential.ReasonShareNotFound},
		{"another holder", "SamrMSP", with(func(r *credential.NewShare) { r.HolderRef = ref("cd") }), credential.ReasonCredentialNotFound},
		{"no fields", "SamrMSP", with(func(r *credential.NewShare) { r.Fields = nil }), credential.ReasonInvalidField},
		{"unknown field", "SamrMSP", with(func(r *credential.NewShare) { r.Fields = []string{"salary"} }), credential.ReasonInvalidField},
		{"repeated field", "SamrMSP", with(func(r *credential.NewShare) { r.Fields = []string{"companyName", "companyName"} }), credential.ReasonInvalidField},
		{"long purpose", "SamrMSP", with(func(r *credential.NewShare) { r.Purpose = strings.Repeat("用", 201) }), credential.ReasonInvalidField},
		{"short expiry", "SamrMSP", with(func(r *credential.NewShare) { r.ExpiresIn = 59 }), credential.ReasonInvalidField},
		{"long expiry", "SamrMSP", with(func(r *credential.NewShare) { r.ExpiresIn = 2592001 }), credential.ReasonInvalidField},
		{"not an identifier", "SamrMSP", with(func(r *credential.NewShare) { r.Credential = "1.2.3" }), credential.ReasonInvalidIdentifier},
		{"valid", "SamrMSP", good, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := shareTx(l, t0, c.msp, c.req)
			rc, err := CreateShare(tx)
			if got := credential.ErrorReason(err); err != nil && got != c.reason || err == nil && c.reason != "" {
				t.Fatalf("got %v (%s), want %q", err, got, c.reason)
			}
			if err != nil {
				return
			}
			if !rc.CreatedAt.Equal(t0) || !rc.ExpiresAt.Equal(t0.Add(credential.ShareDefaultExpiry)) {
				t.Fatalf("receipt %+v", rc)
			}
			// The receipt lands in the block: the ID there would open the share.
			if raw, _ := json.Marshal(rc); strings.Contains(string(raw), "AAAAAAAAAAAAAAAAAAAAAA") {
				t.Fatalf("the receipt %s names the share", raw)
			}
			for _, op := range tx.ops {
				if !strings.HasPrefix(op, "private") || !strings.Contains(op, DocumentCollection("SamrMSP")+"/share") {
					t.Errorf("a share wrote outside samr's collection: %.120s", op)
				}
			}
			tx.commit()
		})
	}
	if _, err := CreateShare(shareTx(l, t0, "SamrMSP", good)); credential.ErrorReason(err) != credential.ReasonDuplicateID {
		t.Fatalf("the same share ID twice: %v", err)
	}
	if _, err := CreateShare(l.tx("x", t0, "SamrMSP", nil)); credential.ErrorReason(err) != credential.ReasonInvalidRequest {
		t.Fatalf("no transient request: %v", err)
	}
}

// An opening is recorded until the share expires or is withdrawn, by the
// transaction's time; the list of openings keeps the most recent ones.
func TestOpenShareUntilExpiryOrWithdrawal(t *testing.T) {
	l, id := shareLedger(t)
	for _, s := range []credential.NewShare{
		{ID: shareA, Credential: id, HolderRef: ref("ab"), Fields: []string{"companyName"}, ExpiresIn: 60},
		{ID: shareB, Credential: id, HolderRef: ref("ab"), Fields: []string{"address"}, ExpiresIn: 3600},
	} {
		tx := shareTx(l, t0, "SamrMSP", s)
		if _, err := CreateShare(tx); err != nil {
			t.Fatal(err)
		}
		tx.commit()
	}
	open := func(id string, at time.Time, msp, by string) error {
		tx := shareTx(l, at, msp, credential.ShareOpen{ID: id, By: by})
		_, err := OpenShare(tx)
		if err == nil {
			tx.commit()
		}
		return err
	}
	if err := open(shareA, t0.Add(59*time.Second), "SamrMSP", "edu"); err != nil {
		t.Fatal(err)
	}
	if err := open(shareA, t0.Add(60*time.Second), "SamrMSP", ""); credential.ErrorReason(err) != credential.ReasonShareExpired {
		t.Fatalf("opened at its expiry: %v", err)
	}
	if err := open(shareB, t0, "EduMSP", ""); credential.ErrorReason(err) != credential.ReasonShareNotFound {
		t.Fatalf("another department opened samr's share: %v", err)
	}
	for i := range credential.MaxShareOpenings + 5 {
		if err := open(shareB, t0.Add(time.Duration(i)*time.Second), "SamrMSP", ""); err != nil {
			t.Fatal(err)
		}
	}
	s, err := GetShare(l.tx("", t0, "SamrMSP", nil), shareB)
	if err != nil {
		t.Fatal(err)
	}
	if s.OpenCount != credential.MaxShareOpenings+5 || len(s.Openings) != credential.MaxShareOpenings ||
		!s.Openings[len(s.Openings)-1].At.Equal(t0.Add(time.Duration(credential.MaxShareOpenings+4)*time.Second)) {
		t.Fatalf("count %d, %d openings, last %v", s.OpenCount, len(s.Openings), s.Openings[len(s.Openings)-1])
	}
	a, _ := GetShare(l.tx("", t0, "SamrMSP", nil), shareA)
	if a.OpenCount != 1 || a.Openings[0].By != "edu" {
		t.Fatalf("share A: %+v", a)
	}

	withdraw := func(r string) (credential.ShareReceipt, error) {
		tx := shareTx(l, t0.Add(time.Minute), "SamrMSP", credential.ShareWithdrawal{ID: shareB, HolderRef: r})
		rc, err := WithdrawShare(tx)
		if err == nil {
			tx.commit()
		}
		return rc, err
	}
	if _, err := withdraw(ref("cd")); credential.ErrorReason(err) != credential.ReasonShareNotFound {
		t.Fatalf("another holder withdrew the share: %v", err)
	}
	rc, err := withdraw(ref("ab"))
	if err != nil || !rc.WithdrawnAt.Equal(t0.Add(time.Minute)) || rc.Unchanged {
		t.Fatalf("withdraw: %+v %v", rc, err)
	}
	if rc, err := withdraw(ref("ab")); err != nil || !rc.Unchanged || !rc.WithdrawnAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("withdraw again: %+v %v", rc, err)
	}
	if err := open(shareB, t0.Add(2*time.Minute), "SamrMSP", ""); credential.ErrorReason(err) != credential.ReasonShareWithdrawn {
		t.Fatalf("opened after withdrawal: %v", err)
	}
}

// A holder's shares list newest first, bounded, and only under their
// reference, in the caller's collection.
func TestGetSharesByHolder(t *testing.T) {
	l, id := shareLedger(t)
	for i, sid := range []string{shareA, shareB} {
		tx := shareTx(l, t0.Add(time.Duration(i)*time.Minute), "SamrMSP",
			credential.NewShare{ID: sid, Credential: id, HolderRef: ref("ab"), Fields: []string{"companyName"}})
		if _, err := CreateShare(tx); err != nil {
			t.Fatal(err)
		}
		tx.commit()
	}
	list := func(msp string, q credential.ShareQuery) []string {
		t.Helper()
		got, err := GetSharesByHolder(l.tx("", t0, msp, nil), q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
		}
		return ids
	}
	if got := list("SamrMSP", credential.ShareQuery{Refs: []string{ref("ab"), ref("ef")}}); strings.Join(got, ",") != shareB+","+shareA {
		t.Fatalf("newest first: %v", got)
	}
	if got := list("SamrMSP", credential.ShareQuery{Refs: []string{ref("ab")}, Limit: 1}); strings.Join(got, ",") != shareB {
		t.Fatalf("limit 1: %v", got)
	}
	if got := list("SamrMSP", credential.ShareQuery{Refs: []string{ref("cd")}}); len(got) != 0 {
		t.Fatalf("another holder sees %v", got)
	}
	if got := list("EduMSP", credential.ShareQuery{Refs: []string{ref("ab")}}); len(got) != 0 {
		t.Fatalf("edu's collection lists %v", got)
	}
	for _, q := range []credential.ShareQuery{{}, {Refs: []string{"zz"}}, {Refs: []string{ref("ab")}, Limit: credential.MaxShareList + 1},
		{Refs: []string{ref("ab"), ref("cd"), ref("ef")}}} {
		if _, err := GetSharesByHolder(l.tx("", t0, "SamrMSP", nil), q); credential.ErrorReason(err) != credential.ReasonInvalidRequest {
			t.Errorf("query %+v: %v", q, err)
		}
	}
}
