package chaincode

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// Only the issuing department rotates a credential's token; a rotation
// keeps the status, even a revoked one, and is its own history entry.
func TestRotateTokenAuthorization(t *testing.T) {
	l, key := provisioned(t)
	reg, err := GetRegistry(l.tx("", t0, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	samr, _ := reg.Department(demo.Market)
	licence, _ := reg.Type("business-licence")
	doc, err := credential.Issue(credential.IssueParams{Type: licence, Issuer: samr, IssuedAt: t0,
		Holder: credential.Holder{Name: "轮换公司", IDType: credential.IDUSCC, IDNumber: "91110000802100433B"},
		Fields: map[string]string{"companyName": "轮换公司", "entityType": "有限责任公司", "legalRepresentative": "王五",
			"establishedOn": "2020-01-01", "address": "上海市"},
	}, samr.Keys[0].ID, key)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: strings.Repeat("ab", 32)})
	tx := l.tx(strings.Repeat("1", 64), t0, "SamrMSP", map[string][]byte{TransientRequest: req})
	if _, err := Issue(tx); err != nil {
		t.Fatal(err)
	}
	tx.commit()

	n := 1
	rotate := func(msp string, r credential.TokenRotation) (credential.Record, error) {
		n++
		tx := l.tx(strings.Repeat(string(rune('0'+n%10)), 64), t0, msp, nil)
		rec, err := RotateToken(tx, doc.ID, r)
		if err == nil {
			tx.commit()
		}
		return rec, err
	}
	const keyID = "ak_00112233445566ff"
	cases := []struct {
		name   string
		msp    string
		id     string
		r      credential.TokenRotation
		reason credential.Reason // "" for success
		gen    int               // generation afterwards
	}{
		{"another department", "EduMSP", doc.ID, credential.TokenRotation{}, credential.ReasonNotIssuer, 0},
		{"governance", "GovMSP", doc.ID, credential.TokenRotation{}, credential.ReasonNotIssuer, 0},
		{"unregistered MSP", "StrangerMSP", doc.ID, credential.TokenRotation{}, credential.ReasonUnknownDepartment, 0},
		{"malformed key id", "SamrMSP", doc.ID, credential.TokenRotation{APIKeyID: "AK_1"}, credential.ReasonInvalidField, 0},
		{"issuer", "SamrMSP", doc.ID, credential.TokenRotation{APIKeyID: keyID}, "", 1},
		{"issuer again", "SamrMSP", doc.ID, credential.TokenRotation{}, "", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := rotate(tc.msp, tc.r)
			if credential.ErrorReason(err) != tc.reason {
				t.Fatalf("rotate: %v, want %q", err, tc.reason)
			}
			stored, err := GetRecord(l.tx("", t0, "", nil), doc.ID)
			if err != nil || stored.TokenGeneration != tc.gen {
				t.Fatalf("stored generation %d (%v), want %d", stored.TokenGeneration, err, tc.gen)
			}
			if tc.reason == "" && (rec.TokenGeneration != tc.gen || rec.Status != credential.StatusValid || rec.LastChange.Action != credential.ActionRotateToken || rec.LastChange.APIKeyID != tc.r.APIKeyID) {
				t.Fatalf("record %+v", rec)
			}
		})
	}

	revoke := l.tx(strings.Repeat("e", 64), t0, "SamrMSP", nil)
	if _, err := ChangeStatus(revoke, doc.ID, credential.StatusChange{Action: credential.ActionRevoke, Reason: "注销", Code: credential.RevokedCancelled}); err != nil {
		t.Fatal(err)
	}
	revoke.commit()
	rec, err := rotate("SamrMSP", credential.TokenRotation{})
	if err != nil || rec.Status != credential.StatusRevoked || rec.RevocationCode != credential.RevokedCancelled || rec.TokenGeneration != 3 {
		t.Fatalf("rotation of a revoked credential: %+v %v", rec, err)
	}
	hist, err := GetHistory(l.tx("", t0, "", nil), doc.ID)
	want := []credential.Action{credential.ActionIssue, credential.ActionRotateToken, credential.ActionRotateToken, credential.ActionRevoke, credential.ActionRotateToken}
	if err != nil || len(hist) != len(want) {
		t.Fatalf("history %+v %v", hist, err)
	}
	for i, c := range hist {
		if c.Action != want[i] || c.Actor != demo.Market {
			t.Errorf("history[%d] = %+v, want %s by %s", i, c, want[i], demo.Market)
		}
	}
	if hist[1].APIKeyID != keyID || hist[4].Status != credential.StatusRevoked {
		t.Errorf("history %+v", hist)
	}
}
