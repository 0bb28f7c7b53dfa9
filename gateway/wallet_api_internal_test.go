package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// issueTo issues a credential of typ to h as dept through the API and
// returns its identifier.
func (e *citizenEnv) issueTo(t *testing.T, dept, typ string, h any, fields map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"type": typ, "holder": h, "fields": fields})
	req := httptest.NewRequest("POST", "/api/v1/credentials", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.keys[dept].APIKey)
	resp, err := e.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	var ans credentialAnswer
	if err := json.Unmarshal(raw, &ans); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("issue %s: %d %v %s", typ, resp.StatusCode, err, raw)
	}
	return ans.ID
}

// A signed-in holder lists and opens their own credentials through the
// API and nobody else's; a department's API key is no session.
func TestMyCredentialsAPI(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	diploma := e.issueTo(t, "edu", "diploma", zhangWei.holder, map[string]any{"school": "福州大学", "major": "软件工程",
		"level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": "103861202405000001"})
	licence := e.issueTo(t, "samr", "business-licence", company.holder, map[string]any{"companyName": company.holder.Name,
		"entityType": "有限责任公司", "legalRepresentative": "张伟", "establishedOn": "2020-03-15", "address": "福州市鼓楼区五四路100号"})

	listed := func(cookie string) []string {
		t.Helper()
		r := e.call(t, "GET", "/api/v1/me/credentials", cookie)
		if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("list: %d %s %s", r.status, r.header.Get("Cache-Control"), r.body)
		}
		var page walletPage
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	b := e.browser(t)
	e.signIn(t, b, zhangWei)
	person := e.sessionCookie(t, b)
	b2 := e.browser(t)
	e.signIn(t, b2, company)
	firm := e.sessionCookie(t, b2)

	if got := listed(person); !slices.Equal(got, []string{diploma}) {
		t.Fatalf("the person lists %v, want only the diploma %s", got, diploma)
	}
	if got := listed(firm); !slices.Equal(got, []string{licence}) {
		t.Fatalf("the company lists %v, want only the licence %s", got, licence)
	}

	r := e.call(t, "GET", "/api/v1/me/credentials/"+diploma, person)
	var cred walletCredential
	if r.status != http.StatusOK || json.Unmarshal(r.body, &cred) != nil {
		t.Fatalf("open the diploma: %d %s", r.status, r.body)
	}
	if cred.Document == nil || cred.Document.Holder().IDNumber != zhangWei.holder.IDNumber || !cred.Valid || cred.VerifyURL == "" || cred.QRURL == "" {
		t.Fatalf("the diploma in full: %+v", cred)
	}
	// Someone else's credential and one that does not exist answer alike.
	if r := e.call(t, "GET", "/api/v1/me/credentials/"+licence, person); r.status != http.StatusNotFound || r.reason != "credential_not_found" {
		t.Fatalf("the person opening the company's licence: %d %s", r.status, r.body)
	}
	if r := e.call(t, "GET", "/api/v1/me/credentials/"+diploma, firm); r.status != http.StatusNotFound || r.reason != "credential_not_found" {
		t.Fatalf("the company opening the person's diploma: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/api/v1/me/credentials", "/api/v1/me/credentials/" + diploma} {
		if r := e.call(t, "GET", path, "", "Authorization", "Bearer "+e.keys["edu"].APIKey); r.status != http.StatusUnauthorized || r.reason != "not_signed_in" {
			t.Fatalf("%s with a department's API key: %d %s", path, r.status, r.body)
		}
	}
}
