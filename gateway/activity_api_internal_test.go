package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// anonymous sends a request as an anonymous verifier: no cookie, no key.
func (e *citizenEnv) anonymous(t *testing.T, method, path string, body any, headers ...string) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	return resp.StatusCode
}

// The signed-in holder reads their activity through the API, page by page;
// anonymous verification of their credential, by every public path, adds
// nothing to it; a department's API key is no session.
func TestMyActivityAPI(t *testing.T) {
	e := newCitizenEnv(t, citizenOption{})
	diploma := e.issueTo(t, "edu", "diploma", zhangWei.holder, map[string]any{"school": "福州大学", "major": "软件工程",
		"level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": "103861202405000001"})
	b := e.browser(t)
	e.signIn(t, b, zhangWei)
	person := e.sessionCookie(t, b)

	activity := func(query string) (activityPage, []byte) {
		t.Helper()
		r := e.call(t, "GET", "/api/v1/me/activity"+query, person)
		if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("activity%s: %d %s %s", query, r.status, r.header.Get("Cache-Control"), r.body)
		}
		var p activityPage
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		return p, r.body
	}
	first, before := activity("")
	if len(first.Items) != 1 || first.Items[0].Event != eventIssued || first.Items[0].Credential != diploma || first.Next != "" {
		t.Fatalf("activity after one issuance: %s", before)
	}

	// Every way an anonymous verifier checks the credential.
	r := e.call(t, "GET", "/api/v1/me/credentials/"+diploma, person)
	var cred walletCredential
	if err := json.Unmarshal(r.body, &cred); err != nil || cred.VerifyURL == "" || cred.Document == nil {
		t.Fatalf("the holder's view: %d %s", r.status, r.body)
	}
	u, err := url.Parse(cred.VerifyURL)
	if err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get("t")
	scans := []struct {
		method, path string
		body         any
		headers      []string
	}{
		{"GET", u.RequestURI(), nil, nil},
		{"GET", u.RequestURI(), nil, []string{"Accept", "application/json"}},
		{"GET", "/v/" + diploma, nil, nil},
		{"POST", "/api/v1/verify", map[string]any{"qr": cred.VerifyURL}, nil},
		{"POST", "/api/v1/verify", map[string]any{"document": cred.Document}, nil},
		{"GET", "/api/v1/credentials/" + diploma + "/vc?t=" + url.QueryEscape(tok), nil, nil},
		{"GET", "/api/v1/credentials/" + diploma + "/qr.png?t=" + url.QueryEscape(tok), nil, nil},
	}
	for _, sc := range scans {
		if st := e.anonymous(t, sc.method, sc.path, sc.body, sc.headers...); st != http.StatusOK {
			t.Fatalf("anonymous %s %s: %d", sc.method, sc.path, st)
		}
	}
	if _, after := activity(""); !bytes.Equal(after, before) {
		t.Fatalf("anonymous verification changed the activity:\n%s\nwas\n%s", after, before)
	}

	// A second credential, then one item a page.
	licence := e.issueTo(t, "hrss", "professional-qualification", zhangWei.holder, map[string]any{"occupation": "软件工程师",
		"grade": "二级", "certificateNumber": "2001"})
	p1, _ := activity("?limit=1")
	p2, _ := activity("?limit=1&before=" + url.QueryEscape(p1.Next))
	if len(p1.Items) != 1 || p1.Items[0].Credential != licence || p1.Next == "" ||
		len(p2.Items) != 1 || p2.Items[0].Credential != diploma || p2.Next != "" {
		t.Fatalf("one a page: %+v then %+v", p1, p2)
	}

	// Someone else signed in sees none of it.
	b2 := e.browser(t)
	e.signIn(t, b2, company)
	r = e.call(t, "GET", "/api/v1/me/activity", e.sessionCookie(t, b2))
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"items":[]`) {
		t.Fatalf("another holder's activity: %d %s", r.status, r.body)
	}

	for _, q := range []string{"?limit=0", "?limit=201", "?limit=ten", "?limit=-5", "?limit=1.5", "?before=%21%21", "?before=" + strings.Repeat("A", 600)} {
		if r := e.call(t, "GET", "/api/v1/me/activity"+q, person); r.status != http.StatusBadRequest || r.reason != "invalid_request" {
			t.Errorf("activity%s: %d %s, want 400 invalid_request", q, r.status, r.body)
		}
	}
	for _, auth := range [][]string{{"Authorization", "Bearer " + e.keys["edu"].APIKey}, nil} {
		if r := e.call(t, "GET", "/api/v1/me/activity", "", auth...); r.status != http.StatusUnauthorized || r.reason != "not_signed_in" {
			t.Fatalf("activity with %v: %d %s", auth, r.status, r.body)
		}
	}
}
