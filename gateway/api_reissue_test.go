package gateway_test

import (
	"net/http"
	"testing"

	"github.com/certledger/certledger/credential"
)

// Reissue replaces what a retired or compromised key signed; it never
// brings back a revoked credential and never lifts a suspension.
func TestReissueKeepsStatus(t *testing.T) {
	e := newAPIEnv(t)
	oldKID := e.department(t, "samr").Keys[0].ID
	valid := e.mustIssue(t, "换版有效有限公司")
	suspended := e.mustIssue(t, "换版暂扣有限公司")
	revoked := e.mustIssue(t, "换版吊销有限公司")
	reissue := func(id string) apiResponse {
		return e.do(t, "POST", "/api/v1/credentials/"+id+"/reissue", e.key("samr"), nil)
	}
	change := func(id, action string, body map[string]string) {
		if r := e.do(t, "POST", "/api/v1/credentials/"+id+"/"+action, e.key("samr"), body); r.Status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", action, id, r.Status, r.Body)
		}
	}

	expectReason(t, reissue(valid.ID), http.StatusConflict, string(credential.ReasonReissueNotApplicable))

	const why = "涉嫌虚假登记，暂扣待查"
	change(suspended.ID, "suspend", map[string]string{"reason": why})
	change(revoked.ID, "revoke", map[string]string{"reason": "虚假登记", "code": string(credential.RevokedPenalty)})
	e.keyOp(t, "samr", "samr/keys", nil, http.StatusCreated)
	e.keyOp(t, "samr", "samr/keys/"+oldKID+"/retire", nil, http.StatusOK)

	expectReason(t, reissue(revoked.ID), http.StatusConflict, string(credential.ReasonCredentialRevoked))

	r := reissue(suspended.ID)
	if r.Status != http.StatusCreated {
		t.Fatalf("reissue of a suspended credential: %d %s", r.Status, r.Body)
	}
	var re issuedAnswer
	r.decode(t, &re)
	if re.Record.Status != credential.StatusSuspended || re.Record.StatusReason != why {
		t.Fatalf("new version of a suspended credential: %+v", re.Record)
	}
	if v := e.verify(t, map[string]any{"document": re.Document}); v.Valid || v.Status != credential.StatusSuspended {
		t.Fatalf("verifying the new version of a suspended credential: %+v", v)
	}

	r = reissue(valid.ID)
	if r.Status != http.StatusCreated {
		t.Fatalf("reissue after the key's retirement: %d %s", r.Status, r.Body)
	}
	r.decode(t, &re)
	if re.Record.Status != credential.StatusValid {
		t.Fatalf("new version of a valid credential: %+v", re.Record)
	}
}
