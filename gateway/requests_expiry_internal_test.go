package gateway

import (
	"net/http"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// TestDecisionAfterExpiryByTheGatewaysClock: a request the gateway shows
// as expired cannot be approved or refused, even while the ledger's clock
// (here the wall clock, behind the gateway's) still has it pending; a
// withdrawal is no decision on a pending request and is refused for that.
func TestDecisionAfterExpiryByTheGatewaysClock(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	b := e.browser(t)
	e.signIn(t, b, zhangWei)
	cookie := e.sessionCookie(t, b)
	a := e.send(t, "POST", "/api/v1/requests", "gov", "", map[string]any{"service": demo.ServiceTalentSettlement, "expiresIn": 60,
		"holder": map[string]any{"idType": zhangWei.holder.IDType, "idNumber": zhangWei.holder.IDNumber}})
	mustStatus(t, "create", a, http.StatusCreated, "")
	id := decodeAs[requestCreated](t, a).ID
	e.clock.Advance(61 * time.Second)
	for _, tc := range []struct {
		action string
		status int
		reason credential.Reason
	}{
		{"approve", http.StatusConflict, credential.ReasonRequestExpired},
		{"refuse", http.StatusConflict, credential.ReasonRequestExpired},
		{"withdraw", http.StatusConflict, credential.ReasonRequestNotPending},
	} {
		mustStatus(t, tc.action, e.send(t, "POST", "/api/v1/me/requests/"+id+"/"+tc.action, "", cookie, nil), tc.status, string(tc.reason))
	}
	if v := decodeAs[requestView](t, e.send(t, "GET", "/api/v1/requests/"+id, "gov", "", nil)); v.Status != credential.RequestExpired || v.Receipt != nil {
		t.Fatalf("the department's view: %+v", v)
	}
}
