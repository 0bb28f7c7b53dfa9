package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// personBody is a credential of type typ for the holder with the resident
// ID idNumber; diplomas and qualifications are issued to people.
func personBody(typ, idNumber string) map[string]any {
	fields := map[string]any{"school": "福州大学", "major": "计算机科学与技术", "level": "本科",
		"graduatedOn": "2024-06-30", "certificateNumber": "103861202405000123"}
	if typ == "professional-qualification" {
		fields = map[string]any{"occupation": "软件工程师", "grade": "二级", "certificateNumber": "HR2024000123"}
	}
	return map[string]any{
		"type":   typ,
		"holder": map[string]any{"name": "李四", "idType": "resident_id", "idNumber": idNumber},
		"fields": fields,
	}
}

// Two departments' credentials of one person must not be linkable through
// their holder references, and no public answer or page may carry one.
func TestHolderReferenceIsScopedAndNeverPublic(t *testing.T) {
	e := newAPIEnv(t)
	const idNumber = "11010519491231002X"
	diploma, r := e.issue(t, "edu", personBody("diploma", idNumber))
	if r.Status != http.StatusCreated {
		t.Fatalf("edu: %d %s", r.Status, r.Body)
	}
	qual, r := e.issue(t, "hrss", personBody("professional-qualification", idNumber))
	if r.Status != http.StatusCreated {
		t.Fatalf("hrss: %d %s", r.Status, r.Body)
	}
	refs := []string{diploma.Record.HolderRef, qual.Record.HolderRef}
	if refs[0] == "" || refs[1] == "" {
		t.Fatalf("the issuing departments' answers carry no holder reference: %q, %q", refs[0], refs[1])
	}
	if refs[0] == refs[1] {
		t.Errorf("edu and hrss records of one ID number share the holder reference %s", refs[0])
	}

	// The issuing department's own view keeps its record's reference.
	if r := e.do(t, "GET", "/api/v1/credentials/"+diploma.ID, e.key("edu"), nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), refs[0]) {
		t.Fatalf("the department's view of its credential: %d %s", r.Status, r.Body)
	}

	u, err := url.Parse(diploma.VerifyURL)
	if err != nil {
		t.Fatal(err)
	}
	token := u.Query().Get("t")
	p := e.do(t, "POST", "/api/v1/credentials/"+diploma.ID+"/presentations", e.key("edu"),
		map[string]any{"fields": []string{"school"}, "format": "compact"})
	var compact presentationAnswer
	p.decode(t, &compact)
	p = e.do(t, "POST", "/api/v1/credentials/"+diploma.ID+"/presentations", e.key("edu"), map[string]any{"fields": []string{"school"}})
	var presented presentationAnswer
	p.decode(t, &presented)
	if compact.Payload == "" || presented.Presentation == nil {
		t.Fatalf("presentations: %+v %+v", compact, presented)
	}

	public := []struct {
		name, method, path string
		body               any
		form               string // a form body for the page's lookup
	}{
		{name: "verify a document", method: "POST", path: "/api/v1/verify", body: map[string]any{"document": diploma.Document}},
		{name: "verify a presentation", method: "POST", path: "/api/v1/verify", body: map[string]any{"presentation": presented.Presentation}},
		{name: "verify a compact payload", method: "POST", path: "/api/v1/verify", body: map[string]any{"qr": compact.Payload}},
		{name: "verify the QR with its token", method: "POST", path: "/api/v1/verify", body: map[string]any{"qr": diploma.VerifyURL}},
		{name: "verify the QR without token", method: "POST", path: "/api/v1/verify", body: map[string]any{"qr": publicURL + "/v/" + diploma.ID}},
		{name: "verify a bare identifier", method: "POST", path: "/api/v1/verify", body: map[string]any{"qr": diploma.ID}},
		{name: "page with token", method: "GET", path: relative(t, diploma.VerifyURL)},
		{name: "page without token", method: "GET", path: "/v/" + diploma.ID},
		{name: "page of a pasted document", method: "POST", path: "/v", form: string(mustJSON(t, diploma.Document))},
		{name: "page of a pasted compact payload", method: "POST", path: "/v", form: compact.Payload},
		{name: "VC export with the token", method: "GET", path: "/api/v1/credentials/" + diploma.ID + "/vc?t=" + url.QueryEscape(token)},
		{name: "VC of a presentation", method: "POST", path: "/api/v1/vc", body: map[string]any{"presentation": presented.Presentation}},
		{name: "trust list", method: "GET", path: "/api/v1/trust-list"},
		{name: "issuer document", method: "GET", path: "/issuers/edu"},
	}
	var statusLists []string
	for _, tt := range public {
		t.Run(tt.name, func(t *testing.T) {
			var r apiResponse
			if tt.form != "" {
				r = e.do(t, tt.method, tt.path, "", "id="+url.QueryEscape(tt.form), "Content-Type", "application/x-www-form-urlencoded")
			} else {
				r = e.do(t, tt.method, tt.path, "", tt.body)
			}
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			expectNoHolderRef(t, r.Body, refs)
			if tt.name == "VC export with the token" {
				var c struct {
					CredentialStatus []struct {
						StatusListCredential string `json:"statusListCredential"`
					} `json:"credentialStatus"`
				}
				if err := json.Unmarshal(r.Body, &c); err != nil {
					t.Fatal(err)
				}
				for _, s := range c.CredentialStatus {
					statusLists = append(statusLists, relative(t, s.StatusListCredential))
				}
			}
		})
	}
	if len(statusLists) == 0 {
		t.Fatal("the exported VC names no status list")
	}
	for _, path := range statusLists {
		r := e.do(t, "GET", path, "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		expectNoHolderRef(t, r.Body, refs)
	}
}

// expectNoHolderRef fails when body holds one of refs anywhere or, if it is
// JSON, a holderRef member at any depth.
func expectNoHolderRef(t *testing.T, body []byte, refs []string) {
	t.Helper()
	for _, ref := range refs {
		if strings.Contains(strings.ToLower(string(body)), ref) {
			t.Errorf("the answer carries the holder reference %s:\n%s", ref, body)
		}
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		if strings.Contains(string(body), "holderRef") {
			t.Errorf("the page names holderRef:\n%s", body)
		}
		return
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if strings.EqualFold(k, "holderRef") {
					t.Errorf("the answer has a member %s/%s", path, k)
				}
				walk(path+"/"+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"/-", x)
			}
		}
	}
	walk("", v)
}
