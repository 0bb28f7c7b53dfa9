package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPIKeyWithALimitedRole: samr's key (every role, as keys from before
// roles are) creates a clerk-only key; that key issues, is refused a
// suspension and key management with role_required, and the suspension
// goes through with an approver key. A list of no or unknown roles is
// refused; the listing shows each key's roles.
func TestAPIKeyWithALimitedRole(t *testing.T) {
	e := newAPIEnv(t)
	clerk := e.newAPIKey(t, "samr", e.key("samr"), map[string]any{"label": "counter", "roles": []string{"clerk"}})
	approver := e.newAPIKey(t, "samr", e.key("samr"), map[string]any{"label": "review", "roles": []string{"approver"}})
	r := e.do(t, "POST", "/api/v1/credentials", clerk.APIKey, licenceBody("限权科技有限公司"))
	if r.Status != http.StatusCreated {
		t.Fatalf("issue with a clerk key: %d %s", r.Status, r.Body)
	}
	var made issuedAnswer
	r.decode(t, &made)
	refusals := []struct{ method, path string }{
		{"POST", "/api/v1/credentials/" + made.ID + "/suspend"},
		{"POST", "/api/v1/departments/samr/api-keys"},
		{"GET", "/api/v1/departments/samr/api-keys"},
	}
	for _, rq := range refusals {
		r := e.do(t, rq.method, rq.path, clerk.APIKey, map[string]string{"reason": "核查"})
		if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), `"reason":"role_required"`) {
			t.Errorf("%s %s with a clerk key: %d %s", rq.method, rq.path, r.Status, r.Body)
		}
	}
	if r := e.do(t, "POST", "/api/v1/credentials/"+made.ID+"/suspend", approver.APIKey, map[string]string{"reason": "核查"}); r.Status != http.StatusOK {
		t.Fatalf("suspend with an approver key: %d %s", r.Status, r.Body)
	}
	h := e.history(t, made.ID)
	if len(h) != 2 || h[0].APIKeyID != clerk.ID || h[1].APIKeyID != approver.ID || h[0].Staff != "" {
		t.Errorf("history %+v names keys other than %s, %s", h, clerk.ID, approver.ID)
	}
	for _, bad := range []any{[]string{}, []string{"clerk", "janitor"}} {
		r := e.do(t, "POST", "/api/v1/departments/samr/api-keys", e.key("samr"), map[string]any{"roles": bad})
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "#/roles") {
			t.Errorf("roles %v: %d %s", bad, r.Status, r.Body)
		}
	}
	r = e.do(t, "GET", "/api/v1/departments/samr/api-keys", e.key("samr"), nil)
	for _, want := range []string{`"roles":["clerk"]`, `"roles":["approver"]`, `"roles":["clerk","approver","admin"]`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("the key list lacks %s: %s", want, r.Body)
		}
	}
}
