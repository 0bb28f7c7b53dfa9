package scenario

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/gateway/provision"
)

// staffMember is a member of a department's staff signed in at the
// console: a client whose cookie jar holds the staff session.
type staffMember struct {
	who     provision.DemoStaff
	c       *Client
	subject string
}

// staffSignIn signs who in through the gateway's /console/login and the
// demo identity provider's login form, following every redirect as a
// browser does.
func (s *suite) staffSignIn(t testing.TB, who provision.DemoStaff) staffMember {
	t.Helper()
	c, _ := s.providerSignIn(t, "/console/login", "/console", who.Username, who.Password)
	r := c.Request(t, "GET", "/api/v1/staff/me", "", nil)
	var me struct {
		Subject    string   `json:"subject"`
		Department string   `json:"department"`
		Roles      []string `json:"roles"`
	}
	r.JSON(t, &me)
	if r.Status != http.StatusOK || me.Department != who.Department || !slices.Equal(me.Roles, who.Roles) || me.Subject == "" {
		t.Fatalf("%s signed in as %d %s", who.Username, r.Status, r.Body)
	}
	return staffMember{who: who, c: c, subject: me.Subject}
}

// call sends a request with the staff session and, as a browser does on
// a write, the gateway's own Origin.
func (m staffMember) call(t testing.TB, method, path string, body any) Response {
	t.Helper()
	return m.c.Request(t, method, path, "", body, "Origin", m.c.base)
}

// demoStaffOf finds the demo member of dept's staff with exactly role.
func (s *suite) demoStaffOf(t testing.TB, dept string, role credential.StaffRole) provision.DemoStaff {
	t.Helper()
	for _, m := range s.target.Staff() {
		if m.Department == dept && slices.Equal(m.Roles, []string{string(role)}) {
			return m
		}
	}
	t.Fatalf("demo-keys.json has no %s of %s among its staff", role, dept)
	return provision.DemoStaff{}
}

// staffRoles: market regulation's clerk and approver sign in through the
// demo identity provider; the clerk issues but may not suspend, the
// approver suspends, and the history names both by subject and nothing
// more. A key made with only the approver role cannot issue.
func (s *suite) staffRoles(t *testing.T) {
	clerk := s.staffSignIn(t, s.demoStaffOf(t, "samr", credential.StaffClerk))
	approver := s.staffSignIn(t, s.demoStaffOf(t, "samr", credential.StaffApprover))

	r := clerk.call(t, "POST", "/api/v1/credentials", businessLicence("福州职责分离测试有限公司"))
	if r.Status != http.StatusCreated {
		t.Fatalf("the clerk's issuance: %d %s", r.Status, r.Body)
	}
	var lic issued
	r.JSON(t, &lic)
	suspend := "/api/v1/credentials/" + lic.ID + "/suspend"
	expectProblem(t, clerk.call(t, "POST", suspend, map[string]any{"reason": "经办人不得暂扣"}), http.StatusForbidden, string(credential.ReasonRoleRequired))
	if r := approver.call(t, "POST", suspend, map[string]any{"reason": "年报未公示，暂扣"}); r.Status != http.StatusOK {
		t.Fatalf("the approver's suspension: %d %s", r.Status, r.Body)
	}

	r = s.c.Request(t, "GET", "/api/v1/credentials/"+lic.ID+"/history", s.samr, nil)
	var h struct {
		History []credential.Change `json:"history"`
	}
	r.JSON(t, &h)
	if len(h.History) != 2 || h.History[0].Action != "issue" || h.History[0].Staff != clerk.subject ||
		h.History[1].Action != "suspend" || h.History[1].Staff != approver.subject {
		t.Fatalf("history %+v, want the clerk's issuance and the approver's suspension", h.History)
	}
	for _, ch := range h.History {
		if ch.APIKeyID != "" || ch.Actor != "samr" {
			t.Fatalf("a staff change also names key %q or actor %q", ch.APIKeyID, ch.Actor)
		}
	}
	for _, m := range []staffMember{clerk, approver} {
		if strings.Contains(string(r.Body), m.who.Password) {
			t.Fatalf("the history carries %s's password", m.who.Username)
		}
	}

	// A key limited to the approver role: the gateway refuses its
	// issuance; it may reinstate, and the history names the key.
	k := s.createKey(t, "samr", s.samr, map[string]any{"label": "scenario approver", "roles": []string{"approver"}})
	expectProblem(t, s.c.Request(t, "POST", "/api/v1/credentials", k.APIKey, businessLicence("福州越权签发有限公司")),
		http.StatusForbidden, string(credential.ReasonRoleRequired))
	if r := s.c.Request(t, "POST", "/api/v1/credentials/"+lic.ID+"/reinstate", k.APIKey, map[string]any{"reason": "已补报"}); r.Status != http.StatusOK {
		t.Fatalf("the approver key's reinstatement: %d %s", r.Status, r.Body)
	}
	if r := s.c.Request(t, "DELETE", "/api/v1/departments/samr/api-keys/"+k.ID, s.samr, nil); r.Status != http.StatusOK {
		t.Fatalf("revoking the approver key: %d %s", r.Status, r.Body)
	}

	// Signing out ends the session for good: its cookie, kept by a
	// client that copied it, no longer acts.
	kept := clerk.cookie(t)
	if r := clerk.call(t, "POST", "/console/logout", nil); r.Status != http.StatusNoContent {
		t.Fatalf("the clerk's sign-out: %d %s", r.Status, r.Body)
	}
	replay := s.c.Request(t, "POST", "/api/v1/credentials", "", businessLicence("福州登出测试有限公司"),
		"Origin", clerk.c.base, "Cookie", kept.Name+"="+kept.Value)
	expectProblem(t, replay, http.StatusUnauthorized, string(credential.ReasonSessionExpired))
}

// cookie is the member of staff's session cookie, as a client that
// copied it would send it.
func (m staffMember) cookie(t testing.TB) *http.Cookie {
	t.Helper()
	u, err := url.Parse(m.c.base + "/console")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.c.http.Jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "certledger_staff") {
			return c
		}
	}
	t.Fatalf("%s has no staff cookie after signing in", m.who.Username)
	return nil
}
