package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// staffAccount is a demo provider account of a department's staff.
type staffAccount struct {
	username, password, dept string
	roles                    []string
}

var (
	samrClerk    = staffAccount{"samr-clerk", "staff horse 1", demo.Market, []string{"clerk"}}
	samrApprover = staffAccount{"samr-approver", "staff horse 2", demo.Market, []string{"approver"}}
	samrAdmin    = staffAccount{"samr-admin", "staff horse 3", demo.Market, []string{"admin", "some-other-app-role"}}
	// Accounts the console must refuse: roles of another application only,
	// and a department the registry does not know.
	samrNoRole  = staffAccount{"samr-norole", "staff horse 4", demo.Market, []string{"viewer"}}
	ghostClerk  = staffAccount{"ghost-clerk", "staff horse 5", "ghost", []string{"clerk"}}
	testStaff   = []staffAccount{samrClerk, samrApprover, samrAdmin, samrNoRole, ghostClerk}
	consoleNext = "/console"
)

// staffSignIn signs in at the console in browser b and returns the
// answer where the sign-in ended.
func (e *citizenEnv) staffSignIn(t *testing.T, b *http.Client, username, password string) (*http.Response, string) {
	t.Helper()
	resp, err := b.Get(e.base + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	m := authRequestField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no login form after /console/login (%d at %s):\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	return e.postLogin(t, b, m[1], username, password)
}

// staffCookie signs a staff account in and returns its staff cookie.
func (e *citizenEnv) staffCookie(t *testing.T, a staffAccount) string {
	t.Helper()
	b := e.browser(t)
	resp, body := e.staffSignIn(t, b, a.username, a.password)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != consoleNext {
		t.Fatalf("staff sign-in of %s ended at %s with %d:\n%s", a.username, resp.Request.URL, resp.StatusCode, body)
	}
	u, _ := url.Parse(e.base + "/")
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == e.srv.sessions.staffName {
			return c.Value
		}
	}
	t.Fatalf("no staff cookie after %s signed in", a.username)
	return ""
}

// staffCall sends a request with the staff cookie, the gateway's own
// Origin and a JSON body.
func (e *citizenEnv) staffCall(t *testing.T, method, path, cookie string, body any, headers ...string) apiAnswer {
	t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(method, path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if method != http.MethodGet {
		req.Header.Set("Origin", e.base)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: e.srv.sessions.staffName, Value: cookie})
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return e.do(t, req)
}

const someID = "/api/v1/credentials/SAMR-2026-000001-X"

// TestStaffRolesPerEndpoint: each role against each department endpoint.
// A refused one is 403 role_required before the handler looks at the body;
// an allowed one gets past the role check to whatever the (empty or
// dummy) request earns, never role_required.
func TestStaffRolesPerEndpoint(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	cookies := map[string]string{}
	for _, a := range []staffAccount{samrClerk, samrApprover, samrAdmin} {
		cookies[a.roles[0]] = e.staffCookie(t, a)
	}
	endpoints := []struct {
		method, path string
		need         credential.StaffRole
	}{
		{"POST", "/api/v1/credentials", credential.StaffClerk},
		{"POST", "/api/v1/batches", credential.StaffClerk},
		{"POST", someID + "/renew", credential.StaffClerk},
		{"POST", someID + "/change", credential.StaffClerk},
		{"POST", someID + "/reissue", credential.StaffClerk},
		{"POST", someID + "/token/rotate", credential.StaffClerk},
		{"POST", "/api/v1/requests", credential.StaffClerk},
		{"POST", someID + "/suspend", credential.StaffApprover},
		{"POST", someID + "/reinstate", credential.StaffApprover},
		{"POST", someID + "/revoke", credential.StaffApprover},
		{"GET", "/api/v1/departments/samr/api-keys", credential.StaffAdmin},
		{"POST", "/api/v1/departments/samr/api-keys", credential.StaffAdmin},
		{"DELETE", "/api/v1/departments/samr/api-keys/ak_0123456789abcdef", credential.StaffAdmin},
		{"POST", "/api/v1/departments/samr/keys", credential.StaffAdmin},
		{"PUT", "/api/v1/departments/samr", credential.StaffAdmin},
		{"PUT", "/api/v1/services/S001", credential.StaffAdmin},
		{"POST", "/api/v1/subscriptions", credential.StaffAdmin},
		{"GET", "/api/v1/subscriptions", credential.StaffAdmin},
		{"GET", "/api/v1/credentials", ""},
		{"GET", someID, ""},
		{"GET", someID + "/history", ""},
		{"GET", "/api/v1/me", ""},
		{"GET", "/api/v1/requests", ""},
	}
	for _, ep := range endpoints {
		for role, cookie := range cookies {
			// Renewal and change read their body before the caller.
			var body any = map[string]any{}
			switch {
			case strings.HasSuffix(ep.path, "/renew"):
				body = map[string]any{"validUntil": "2030-01-01", "reason": "核查"}
			case strings.HasSuffix(ep.path, "/change"):
				body = map[string]any{"reason": "核查", "fields": map[string]any{"address": "福州"}}
			}
			r := e.staffCall(t, ep.method, ep.path, cookie, body)
			want := ep.need == "" || string(ep.need) == role
			refused := r.status == http.StatusForbidden && r.reason == string(credential.ReasonRoleRequired)
			if want == refused {
				t.Errorf("%s %s as %s: %d %s, want allowed=%v", ep.method, ep.path, role, r.status, r.reason, want)
			}
			if r.status == http.StatusUnauthorized {
				t.Errorf("%s %s as %s: the staff session was not accepted: %s", ep.method, ep.path, role, r.body)
			}
		}
	}
	// Every write route of the table is one the gateway serves.
	served := map[string]bool{}
	for _, rt := range e.srv.app.GetRoutes() {
		served[rt.Method+" "+rt.Path] = true
	}
	for k := range endpointRoles {
		if !served[k] {
			t.Errorf("endpointRoles lists %s, which no route serves", k)
		}
	}
}

// TestStaffChangeNamesTheSubject: a clerk issues, an approver suspends;
// the history names each one's subject and no API key, and the answer
// carries no password.
func TestStaffChangeNamesTheSubject(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	clerk, approver := e.staffCookie(t, samrClerk), e.staffCookie(t, samrApprover)
	r := e.staffCall(t, "POST", "/api/v1/credentials", clerk, demoLicence(), "Idempotency-Key", "staff-issue-1")
	if r.status != http.StatusCreated {
		t.Fatalf("issue as clerk: %d %s", r.status, r.body)
	}
	var made struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.body, &made); err != nil || made.ID == "" {
		t.Fatalf("issue answer %s: %v", r.body, err)
	}
	if r := e.staffCall(t, "POST", "/api/v1/credentials/"+made.ID+"/suspend", clerk, map[string]string{"reason": "核查"}); r.reason != string(credential.ReasonRoleRequired) {
		t.Fatalf("a clerk suspended: %d %s", r.status, r.body)
	}
	if r := e.staffCall(t, "POST", "/api/v1/credentials/"+made.ID+"/suspend", approver, map[string]string{"reason": "核查"}); r.status != http.StatusOK {
		t.Fatalf("suspend as approver: %d %s", r.status, r.body)
	}
	h := e.staffCall(t, "GET", "/api/v1/credentials/"+made.ID+"/history", approver, nil)
	var hist struct {
		History []credential.Change `json:"history"`
	}
	if err := json.Unmarshal(h.body, &hist); err != nil || len(hist.History) != 2 {
		t.Fatalf("history %d %s: %v", h.status, h.body, err)
	}
	want := map[credential.Action]string{credential.ActionIssue: "demo:samr-clerk", credential.ActionSuspend: "demo:samr-approver"}
	for _, ch := range hist.History {
		if ch.Staff != want[ch.Action] || ch.APIKeyID != "" || ch.Actor != demo.Market {
			t.Errorf("%s change names staff %q key %q actor %q, want staff %q", ch.Action, ch.Staff, ch.APIKeyID, ch.Actor, want[ch.Action])
		}
	}
	for _, secret := range []string{samrClerk.password, samrApprover.password} {
		if strings.Contains(string(h.body), secret) {
			t.Fatal("the history holds a password")
		}
	}
}

// TestStaffImportNamesTheSubject: a clerk signed in at the console imports
// a file; each imported credential's issuance names the clerk's subject and
// no API key, as a single issuance by staff does.
func TestStaffImportNamesTheSubject(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{config: func(c *Config) { c.KEK = signinKEK }})
	clerk := e.staffCookie(t, samrClerk)
	csv := "key,holder.name,holder.idType,holder.idNumber,validFrom,validUntil,companyName,entityType,legalRepresentative,establishedOn,address\n" +
		"staff-1,福州数字未来科技有限公司,uscc,91350100M000100Y43,2020-03-15,,福州数字未来科技有限公司,有限责任公司,张三,2020-03-15,福州市鼓楼区五四路100号\n"
	req := httptest.NewRequest("POST", "/api/v1/batches?type=business-licence", strings.NewReader(csv))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Origin", e.base)
	req.AddCookie(&http.Cookie{Name: e.srv.sessions.staffName, Value: clerk})
	r := e.do(t, req)
	if r.status != http.StatusAccepted {
		t.Fatalf("import as clerk: %d %s", r.status, r.body)
	}
	var job struct{ ID string }
	if err := json.Unmarshal(r.body, &job); err != nil || job.ID == "" {
		t.Fatalf("import answer %s: %v", r.body, err)
	}
	var res struct {
		Results []struct{ ID string } `json:"results"`
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st := e.staffCall(t, "GET", "/api/v1/batches/"+job.ID, clerk, nil)
		var s struct{ Status string }
		if err := json.Unmarshal(st.body, &s); err != nil {
			t.Fatalf("batch status %d %s", st.status, st.body)
		}
		if s.Status == "done" {
			break
		}
		if s.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("batch: %s", st.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	rr := e.staffCall(t, "GET", "/api/v1/batches/"+job.ID+"/results", clerk, nil)
	if err := json.Unmarshal(rr.body, &res); err != nil || len(res.Results) != 1 || res.Results[0].ID == "" {
		t.Fatalf("results %d %s: %v", rr.status, rr.body, err)
	}
	h := e.staffCall(t, "GET", "/api/v1/credentials/"+res.Results[0].ID+"/history", clerk, nil)
	var hist struct {
		History []credential.Change `json:"history"`
	}
	if err := json.Unmarshal(h.body, &hist); err != nil || len(hist.History) != 1 {
		t.Fatalf("history %d %s: %v", h.status, h.body, err)
	}
	if ch := hist.History[0]; ch.Staff != "demo:samr-clerk" || ch.APIKeyID != "" || ch.Actor != demo.Market {
		t.Errorf("the import's issuance names staff %q key %q actor %q", ch.Staff, ch.APIKeyID, ch.Actor)
	}
}

// TestStaffSessionWritesNeedTheOwnOrigin: a write with the staff cookie
// and no Origin, or another site's, is refused before any role check.
func TestStaffSessionWritesNeedTheOwnOrigin(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	approver := e.staffCookie(t, samrApprover)
	for _, origin := range []string{"", "https://evil.example", "null"} {
		req := httptest.NewRequest("POST", someID+"/revoke", strings.NewReader(`{"reason":"x","code":"unspecified"}`))
		req.Header.Set("Content-Type", "application/json")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		req.AddCookie(&http.Cookie{Name: e.srv.sessions.staffName, Value: approver})
		resp, err := e.srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"cross_origin_request"`) {
			t.Errorf("revoke with Origin %q: %d %s", origin, resp.StatusCode, body)
		}
	}
}

// TestStaffAndCitizenSessionsStayApart: a citizen signing in at the
// console gets no staff session; accounts with no known role or an
// unknown department neither; a staff cookie is no citizen session and a
// citizen's cookie no staff one.
func TestStaffAndCitizenSessionsStayApart(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	for _, who := range []struct{ username, password string }{
		{zhangWei.username, zhangWei.password}, {samrNoRole.username, samrNoRole.password}, {ghostClerk.username, ghostClerk.password},
	} {
		b := e.browser(t)
		resp, body := e.staffSignIn(t, b, who.username, who.password)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "staff_claims_invalid") {
			t.Errorf("console sign-in of %s: %d at %s", who.username, resp.StatusCode, resp.Request.URL)
		}
		u, _ := url.Parse(e.base + "/")
		for _, c := range b.Jar.Cookies(u) {
			if c.Name == e.srv.sessions.staffName {
				t.Errorf("%s got a staff cookie", who.username)
			}
		}
	}
	// A staff account at the citizens' sign-in names no holder.
	b := e.browser(t)
	_, id := e.startSignIn(t, b, "")
	if resp, _ := e.postLogin(t, b, id, samrAdmin.username, samrAdmin.password); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a staff account signed in as a citizen: %d", resp.StatusCode)
	}
	staff := e.staffCookie(t, samrAdmin)
	if r := e.staffCall(t, "GET", "/api/v1/me/credentials", staff, nil); r.status != http.StatusUnauthorized || r.reason != string(credential.ReasonNotSignedIn) {
		t.Errorf("a staff cookie at /api/v1/me/credentials: %d %s", r.status, r.reason)
	}
	citizenCookie := e.signedInCookie(t)
	if r := e.call(t, "GET", "/api/v1/credentials", citizenCookie); r.status != http.StatusUnauthorized || r.reason != string(credential.ReasonMissingAPIKey) {
		t.Errorf("a citizen's cookie at the register: %d %s", r.status, r.reason)
	}
	me := e.staffCall(t, "GET", "/api/v1/staff/me", staff, nil)
	if me.status != http.StatusOK || !strings.Contains(string(me.body), `"roles":["admin"]`) || !strings.Contains(string(me.body), `"subject":"demo:samr-admin"`) {
		t.Errorf("staff/me: %d %s", me.status, me.body)
	}
	// Signed out for good.
	if r := e.staffCall(t, "POST", "/console/logout", staff, nil); r.status != http.StatusNoContent {
		t.Fatalf("sign out: %d %s", r.status, r.body)
	}
	if r := e.staffCall(t, "GET", "/api/v1/credentials", staff, nil); r.reason != string(credential.ReasonSessionExpired) {
		t.Errorf("after sign-out: %d %s", r.status, r.reason)
	}
}

// demoLicence is a business licence request of samr's for the demo company.
func demoLicence() map[string]any {
	return map[string]any{"type": "business-licence", "holder": company.holder, "fields": map[string]any{"companyName": company.holder.Name,
		"entityType": "有限责任公司", "legalRepresentative": "张伟", "establishedOn": "2020-03-15", "address": "福州市鼓楼区五四路100号"}}
}
