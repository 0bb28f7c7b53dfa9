package gateway_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/vc"
)

// Reissue replaces what a retired or compromised key signed; it never
// brings back a revoked credential and never lifts a suspension.
func TestReissueKeepsStatus(t *testing.T) {
	var offset atomic.Int64
	e := newAPIEnv(t, withClock(&offset))
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
	sc, _ := e.exportVC(t, suspended.ID)
	e.statusBit(t, sc, vc.PurposeSuspension) // the list is cached now
	e.keyOp(t, "samr", "samr/keys", nil, http.StatusCreated)
	e.keyOp(t, "samr", "samr/keys/"+oldKID+"/retire", nil, http.StatusOK)
	// VC proofs carry whole seconds: let the new key's first second pass.
	offset.Store(int64(2 * time.Second))

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
	if nc, _ := e.exportVC(t, re.ID); !e.statusBit(t, nc, vc.PurposeSuspension) {
		t.Fatal("the new version of a suspended credential is not marked in the cached suspension list")
	}

	r = reissue(valid.ID)
	if r.Status != http.StatusCreated {
		t.Fatalf("reissue after the key's retirement: %d %s", r.Status, r.Body)
	}
	r.decode(t, &re)
	if re.Record.Status != credential.StatusValid {
		t.Fatalf("new version of a valid credential: %+v", re.Record)
	}
	if re.Record.HolderRef != valid.Record.HolderRef {
		t.Fatalf("new version's holder reference %s, want its predecessor's %s", re.Record.HolderRef, valid.Record.HolderRef)
	}
}
