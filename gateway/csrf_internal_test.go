package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
)

// TestCrossSiteRequestsWithTheSessionAreRefused: a state-changing request
// carrying the session cookie needs the gateway's own Origin; without the
// cookie, or as an API call with a key, the check stays out of the way.
func TestCrossSiteRequestsWithTheSessionAreRefused(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	cookie := e.signedInCookie(t)
	for _, tc := range []struct {
		name, method, origin string
	}{
		{"no Origin", "POST", ""},
		{"another site", "POST", "https://evil.example"},
		{"same host, other scheme", "POST", "https://" + e.base[len("http://"):]},
		{"same host, other port", "POST", "http://127.0.0.1:1"},
		{"opaque origin", "POST", "null"},
		{"DELETE from another site", "DELETE", "https://evil.example"},
		{"PUT without Origin", "PUT", ""},
	} {
		r := e.call(t, tc.method, "/me/logout", cookie, "Origin", tc.origin)
		if r.status != http.StatusForbidden || r.reason != string(credential.ReasonCrossOrigin) {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
	if _, r := e.holder(t, cookie); r.status != http.StatusOK {
		t.Fatalf("a refused sign-out ended the session: %d %s", r.status, r.body)
	}
	// Reading needs no Origin.
	if _, r := e.holder(t, cookie); r.status != http.StatusOK {
		t.Fatalf("GET with the session: %d", r.status)
	}
	// Without the session cookie there is nothing to forge.
	if r := e.call(t, "POST", "/me/logout", ""); r.status != http.StatusNoContent {
		t.Fatalf("sign-out without a session: %d %s", r.status, r.body)
	}
	// An API call with a key is not a session's, cookie or not.
	body, _ := json.Marshal(map[string]any{"type": "business-licence",
		"holder": map[string]any{"name": company.holder.Name, "idType": "uscc", "idNumber": company.holder.IDNumber},
		"fields": map[string]any{"companyName": company.holder.Name, "entityType": "有限责任公司", "legalRepresentative": "张伟",
			"establishedOn": "2020-03-15", "address": "福州市鼓楼区五四路100号"}})
	req := httptest.NewRequest("POST", "/api/v1/credentials", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.keys["samr"].APIKey)
	req.AddCookie(&http.Cookie{Name: e.srv.sessions.name, Value: cookie})
	resp, err := e.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	if b := readBody(t, resp); resp.StatusCode != http.StatusCreated {
		t.Fatalf("issuing with a key and a session cookie, no Origin: %d %s", resp.StatusCode, b)
	}
	// The own origin passes.
	if r := e.call(t, "POST", "/me/logout", cookie, "Origin", e.base); r.status != http.StatusNoContent {
		t.Fatalf("sign-out from the own origin: %d %s", r.status, r.body)
	}
}

// TestASessionIsNoAPIKey: department endpoints want the Bearer key; a
// citizen's session cookie, even with the right Origin, gets 401.
func TestASessionIsNoAPIKey(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	cookie := e.signedInCookie(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/v1/me"},
		{"POST", "/api/v1/credentials"},
		{"GET", "/api/v1/credentials/" + someIdentifier},
		{"POST", "/api/v1/credentials/" + someIdentifier + "/revoke"},
		{"POST", "/api/v1/departments/samr/keys"},
		{"PUT", "/api/v1/types/business-licence"},
	} {
		r := e.call(t, tc.method, tc.path, cookie, "Origin", e.base, "Content-Type", "application/json")
		if r.status != http.StatusUnauthorized || r.reason != string(credential.ReasonMissingAPIKey) {
			t.Errorf("%s %s with a session cookie: %d %s", tc.method, tc.path, r.status, r.body)
		}
	}
}

// someIdentifier is a well-formed identifier of a business licence.
var someIdentifier = credential.Identifier{TypeCode: "11100000MB02000124001", Issuer: "11100000MB02000124", Serial: "A", Version: 1}.String()

// TestPagesThatPostWithTheSessionKeepTheirOrigin: under no-referrer a
// browser sends "Origin: null" with a form post, which the check refuses;
// every page with a form that posts here uses same-origin instead.
func TestPagesThatPostWithTheSessionKeepTheirOrigin(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	cookie := e.signedInCookie(t)
	for _, path := range []string{"/", "/me", "/me/logout"} {
		r := e.call(t, "GET", path, cookie)
		body := string(r.body)
		if !strings.Contains(body, `method="post"`) {
			t.Fatalf("%s has no form to check", path)
		}
		if r.header.Get("Referrer-Policy") != "same-origin" || !strings.Contains(body, `<meta name="referrer" content="same-origin">`) {
			t.Errorf("%s: Referrer-Policy %q", path, r.header.Get("Referrer-Policy"))
		}
	}
	// The home page's lookup, posted by a signed-in citizen's browser.
	req := httptest.NewRequest("POST", "/v", strings.NewReader("id="+someIdentifier))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.base)
	req.AddCookie(&http.Cookie{Name: e.srv.sessions.name, Value: cookie})
	resp, err := e.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	if b := readBody(t, resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("lookup with the session cookie: %d %s", resp.StatusCode, b)
	}
	// The verification page keeps no-referrer: its URL holds the token.
	if r := e.call(t, "GET", "/v/"+someIdentifier, cookie); r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("/v/{id}: Referrer-Policy %q", r.header.Get("Referrer-Policy"))
	}
}
