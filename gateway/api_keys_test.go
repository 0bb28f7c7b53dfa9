package gateway_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

type keyAnswer struct {
	Key        credential.Key        `json:"key"`
	Department credential.Department `json:"department"`
}

func (e *apiEnv) keyOp(t *testing.T, caller, path string, body any, status int) keyAnswer {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/departments/"+path, e.key(caller), body)
	if r.Status != status {
		t.Fatalf("POST %s as %s: %d, want %d: %s", path, caller, r.Status, status, r.Body)
	}
	var out keyAnswer
	if status < 300 {
		r.decode(t, &out)
	}
	return out
}

func (e *apiEnv) department(t *testing.T, id string) credential.Department {
	t.Helper()
	reg, err := e.ledger.Registry(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	d, _ := reg.Department(id)
	return d
}

func TestKeyRotation(t *testing.T) {
	e := newAPIEnv(t)
	oldKID := e.department(t, "samr").Keys[0].ID
	before := e.mustIssue(t, "轮换前有限公司")

	added := e.keyOp(t, "samr", "samr/keys", nil, http.StatusCreated)
	if added.Key.Status != credential.KeyActive || len(added.Department.Keys) != 2 {
		t.Fatalf("%+v", added)
	}
	if onLedger, ok := e.department(t, "samr").Key(added.Key.ID); !ok || onLedger.PublicKey != added.Key.PublicKey {
		t.Fatalf("the new key is not on the ledger: %+v", e.department(t, "samr"))
	}
	after := e.mustIssue(t, "轮换后有限公司")
	if after.Document.Proof.KeyID != added.Key.ID {
		t.Fatalf("new credential signed with %s, want the new key %s", after.Document.Proof.KeyID, added.Key.ID)
	}

	retired := e.keyOp(t, "samr", "samr/keys/"+oldKID+"/retire", nil, http.StatusOK)
	if retired.Key.Status != credential.KeyRetired || retired.Key.ValidUntil.IsZero() {
		t.Fatalf("%+v", retired.Key)
	}
	for _, lic := range []issuedAnswer{before, after} {
		if v := e.verify(t, map[string]any{"document": lic.Document}); !v.Valid {
			t.Fatalf("%s (key %s) after the retirement: %+v", lic.ID, lic.Document.Proof.KeyID, v)
		}
	}
	e.keyOp(t, "samr", "samr/keys/"+oldKID+"/retire", nil, http.StatusConflict)
	e.keyOp(t, "samr", "samr/keys/"+added.Key.ID+"/retire", nil, http.StatusConflict) // the last active key

	t.Run("authorization", func(t *testing.T) {
		e.keyOp(t, "edu", "samr/keys", nil, http.StatusForbidden)
		byGov := e.keyOp(t, "gov", "samr/keys", nil, http.StatusCreated)
		if byGov.Key.ID == added.Key.ID {
			t.Fatal("two keys share an id")
		}
		e.keyOp(t, "samr", "nosuch/keys", nil, http.StatusNotFound)
		e.keyOp(t, "samr", "samr/keys/nosuch/retire", nil, http.StatusNotFound)
		r := e.do(t, "POST", "/api/v1/departments/samr/keys", "", nil)
		expectProblem(t, r, http.StatusUnauthorized)
	})
}

func TestKeyCompromiseAndReissue(t *testing.T) {
	var offset atomic.Int64
	e := newAPIEnv(t, withClock(&offset))
	kid := e.department(t, "samr").Keys[0].ID
	early := e.mustIssue(t, "泄露前有限公司")
	offset.Add(int64(time.Second))
	compromisedAt := time.Now().Add(time.Duration(offset.Load())).UTC()
	offset.Add(int64(time.Second))
	late := e.mustIssue(t, "泄露后有限公司")
	earlyOffline := compactOf(t, e, early.ID)
	lateOffline := compactOf(t, e, late.ID)

	bad := []struct {
		name string
		body any
	}{
		{"no reason", map[string]any{"compromisedAt": compromisedAt}},
		{"in the future", map[string]any{"compromisedAt": time.Now().Add(time.Hour), "reason": "泄露"}},
		{"not a time", map[string]any{"compromisedAt": "yesterday", "reason": "泄露"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			e.keyOp(t, "samr", "samr/keys/"+kid+"/compromise", tc.body, http.StatusBadRequest)
		})
	}
	marked := e.keyOp(t, "samr", "samr/keys/"+kid+"/compromise",
		map[string]any{"compromisedAt": compromisedAt.Format(time.RFC3339Nano), "reason": "签名服务器被入侵"}, http.StatusOK)
	if marked.Key.Status != credential.KeyCompromised || !marked.Key.CompromisedAt.Equal(compromisedAt.Truncate(time.Nanosecond)) {
		t.Fatalf("%+v", marked.Key)
	}
	if marked.Key.CompromiseReason != "签名服务器被入侵" {
		t.Fatalf("compromise reason not recorded in the registry: %+v", marked.Key)
	}
	e.keyOp(t, "samr", "samr/keys/"+kid+"/compromise", map[string]any{"reason": "again"}, http.StatusConflict)

	if v := e.verify(t, map[string]any{"document": early.Document}); !v.Valid {
		t.Fatalf("signed before the compromise: %+v", v)
	}
	v := e.verify(t, map[string]any{"document": late.Document})
	if v.Valid || v.Status != credential.StatusForged || v.check(credential.CheckSignature).OK {
		t.Fatalf("signed after the compromise: %+v", v)
	}
	t.Run("offline, with a trust list fetched after the compromise", func(t *testing.T) {
		tl := e.trustList(t)
		if _, v, _ := tl.VerifyCompact(lateOffline, time.Now(), time.UTC); v.Status != credential.StatusForged {
			t.Fatalf("late: %+v", v)
		}
		if _, v, _ := tl.VerifyCompact(earlyOffline, time.Now(), time.UTC); v.Status != credential.StatusUnknown {
			t.Fatalf("early: %+v", v)
		}
	})

	// No active key is left: issuance and reissue wait for a new key.
	if _, r := e.issue(t, "samr", licenceBody("无钥有限公司")); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("issuing without an active key: %d %s", r.Status, r.Body)
	}
	expectProblem(t, e.do(t, "POST", "/api/v1/credentials/"+late.ID+"/reissue", e.key("samr"), nil), http.StatusServiceUnavailable)
	fresh := e.keyOp(t, "samr", "samr/keys", nil, http.StatusCreated)

	r := e.do(t, "POST", "/api/v1/credentials/"+late.ID+"/reissue", e.key("samr"), nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("reissue: %d %s", r.Status, r.Body)
	}
	var re issuedAnswer
	r.decode(t, &re)
	oldID, _ := credential.ParseIdentifier(late.ID)
	newID, _ := credential.ParseIdentifier(re.ID)
	d := re.Document
	if newID.Serial != oldID.Serial || newID.Version != oldID.Version+1 || d.Version != 2 || d.Renews != late.ID ||
		d.Proof.KeyID != fresh.Key.ID || !d.ValidFrom.Equal(late.Document.ValidFrom) || !d.ValidUntil.Equal(late.Document.ValidUntil) {
		t.Fatalf("reissued %s: %+v", re.ID, d)
	}
	for _, name := range []string{"companyName", credential.ClaimHolderIDNumber, "address"} {
		a, _ := d.Claim(name)
		b, _ := late.Document.Claim(name)
		if a.Value != b.Value || a.Salt == b.Salt {
			t.Errorf("claim %s: %q (salt %s) vs %q (salt %s)", name, a.Value, a.Salt, b.Value, b.Salt)
		}
	}
	if v := e.verify(t, map[string]any{"document": d}); !v.Valid || v.Record.Renews != late.ID {
		t.Fatalf("the reissued version: %+v", v)
	}
	// One new version per version: reissuing the old one again collides.
	expectProblem(t, e.do(t, "POST", "/api/v1/credentials/"+late.ID+"/reissue", e.key("samr"), nil), http.StatusConflict)
	expectProblem(t, e.do(t, "POST", "/api/v1/credentials/"+late.ID+"/reissue", e.key("edu"), nil), http.StatusForbidden)
}
