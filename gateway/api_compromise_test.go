package gateway_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// A compromise cannot predate the key, and one reaching back beyond the
// window waits for the governance department: until then the key stops
// signing but what it signed keeps verifying.
func TestCompromiseLimits(t *testing.T) {
	var offset atomic.Int64
	e := newAPIEnv(t, withClock(&offset))
	samrKey := e.department(t, "samr").Keys[0]
	lic := e.mustIssue(t, "回溯泄露有限公司")
	compromise := func(caller, dept, kid string, at time.Time) apiResponse {
		return e.do(t, "POST", "/api/v1/departments/"+dept+"/keys/"+kid+"/compromise", e.key(caller),
			map[string]any{"compromisedAt": at.Format(time.RFC3339Nano), "reason": "签名服务器被入侵"})
	}
	confirm := func(caller, dept, kid string) apiResponse {
		return e.do(t, "POST", "/api/v1/departments/"+dept+"/keys/"+kid+"/compromise/confirm", e.key(caller), nil)
	}

	before := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, caller := range []string{"samr", "gov"} {
		expectReason(t, compromise(caller, "samr", samrKey.ID, before), http.StatusBadRequest, string(credential.ReasonCompromiseBeforeKey))
	}
	expectReason(t, confirm("gov", "samr", samrKey.ID), http.StatusConflict, string(credential.ReasonCompromiseNotPending))

	// Ten days later the department reports a compromise from the key's
	// first moment: beyond the default window of seven days.
	offset.Store(int64(10 * 24 * time.Hour))
	at := samrKey.ValidFrom.Add(time.Millisecond)
	r := compromise("samr", "samr", samrKey.ID, at)
	if r.Status != http.StatusAccepted {
		t.Fatalf("a compromise beyond the window: %d %s", r.Status, r.Body)
	}
	pending, _ := e.department(t, "samr").Key(samrKey.ID)
	if pending.Status != credential.KeyRetired || pending.CompromiseRequest == nil ||
		!pending.CompromiseRequest.CompromisedAt.Equal(at) || pending.CompromiseRequest.RequestedBy != "samr" {
		t.Fatalf("pending compromise on the ledger: %+v", pending)
	}
	if v := e.verify(t, map[string]any{"document": lic.Document}); !v.Valid {
		t.Fatalf("a pending compromise already took effect: %+v", v)
	}

	expectReason(t, confirm("samr", "samr", samrKey.ID), http.StatusForbidden, string(credential.ReasonNotGovernance))
	r = confirm("gov", "samr", samrKey.ID)
	if r.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	done, _ := e.department(t, "samr").Key(samrKey.ID)
	if done.Status != credential.KeyCompromised || !done.CompromisedAt.Equal(at) || done.CompromiseRequest != nil ||
		done.CompromiseReason != "签名服务器被入侵" {
		t.Fatalf("confirmed compromise on the ledger: %+v", done)
	}
	if v := e.verify(t, map[string]any{"document": lic.Document}); v.Valid || v.Status != credential.StatusForged {
		t.Fatalf("after the confirmation: %+v", v)
	}
	expectReason(t, confirm("gov", "samr", samrKey.ID), http.StatusConflict, string(credential.ReasonCompromiseNotPending))

	// The governance department's own word takes effect at once.
	eduKey := e.department(t, "edu").Keys[0]
	r = compromise("gov", "edu", eduKey.ID, eduKey.ValidFrom.Add(time.Millisecond))
	if r.Status != http.StatusOK {
		t.Fatalf("a compromise by governance beyond the window: %d %s", r.Status, r.Body)
	}
	if k, _ := e.department(t, "edu").Key(eduKey.ID); k.Status != credential.KeyCompromised {
		t.Fatalf("%+v", k)
	}
}
