// Package scenario is the end-to-end suite that drives a running CertLedger
// gateway over HTTP. It knows nothing of the ledger behind the gateway: the
// same Run executes against the embedded ledger and against a real Fabric
// network.
package scenario

import (
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/certledger/certledger/credential"
)

// issued is what the suite remembers of a credential it issued.
type issued struct {
	ID        string              `json:"id"`
	Document  credential.Document `json:"document"`
	VerifyURL string              `json:"verifyUrl"`
	QRURL     string              `json:"qrUrl"`
}

type verifyAnswer struct {
	Valid       bool               `json:"valid"`
	Status      string             `json:"status"`
	Checks      []credential.Check `json:"checks"`
	TxID        string             `json:"txId"`
	BlockNumber uint64             `json:"blockNumber"`
}

func (v verifyAnswer) check(name string) (credential.Check, bool) {
	for _, c := range v.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return credential.Check{}, false
}

// suite carries state between the ordered steps of Run.
type suite struct {
	target  Target
	c       *Client
	gov     string // API keys
	samr    string
	edu     string
	hrss    string
	lic     issued // a business licence taken through its whole life
	idemID  string // the credential issued with an idempotency key
	pres    issued // a credential presented partially and as a compact QR
	compact string // its compact QR payload
	holder  holderState
	imp     importState
}

func businessLicence(name string) map[string]any {
	return map[string]any{
		"type":   "business-licence",
		"holder": map[string]any{"name": name, "idType": "uscc", "idNumber": "91350100M000100Y43"},
		"fields": map[string]any{
			"companyName":         name,
			"entityType":          "有限责任公司（自然人投资或控股）",
			"legalRepresentative": "张三",
			"registeredCapital":   500,
			"establishedOn":       "2020-03-15",
			"address":             "福建省福州市鼓楼区五四路100号",
			"businessScope":       "软件开发；信息技术咨询服务。",
		},
		"validFrom":  "2024-01-01T00:00:00Z",
		"validUntil": "2034-01-01T00:00:00Z",
	}
}

// Run executes the whole scenario against target. Steps depend on each
// other and run in order; a failed step stops the suite.
func Run(t *testing.T, target Target) {
	s := &suite{target: target, c: newClient(target.URL())}
	keys := target.Keys()
	for dept, dst := range map[string]*string{"gov": &s.gov, "samr": &s.samr, "edu": &s.edu, "hrss": &s.hrss} {
		k, ok := keys[dept]
		if !ok || k.APIKey == "" {
			t.Fatalf("demo-keys.json has no API key for %s", dept)
		}
		*dst = k.APIKey
	}
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"catalogue", s.catalogue},
		{"issue", s.issue},
		{"verify document", s.verifyDocument},
		{"verify QR text", s.verifyQR},
		{"holder references are per department and not public", s.holderRefs},
		{"selective disclosure and compact QR", s.presentations},
		{"trust list verifies offline", s.trustListOffline},
		{"tampered field fails integrity", s.tamper},
		{"verification page", s.page},
		{"cross-department access is forbidden", s.crossDepartment},
		{"suspend, reinstate, revoke", s.lifecycle},
		{"history", s.history},
		{"API key lifecycle", s.apiKeyLifecycle},
		{"W3C VC export and status list", s.verifiableCredential},
		{"idempotent retry", s.idempotency},
		{"key rotation and compromise", s.keyRotation},
		{"renewal and change supersede the version before", s.renewAndChange},
		{"bad input", s.badInput},
		{"a type's holder ID types", s.holderIDTypes},
		{"governance onboards a department", s.onboard},
		{"the service catalogue", s.serviceCatalogue},
		{"supervision events by webhook", s.webhooks},
		{"restart keeps everything", s.restart},
		{"acknowledged issuances survive kill -9", s.crash},
		{"the department register is complete at once", s.register},
		{"a citizen signs in and finds their samples", s.holderWallet},
		{"the holder opens a credential", s.holderOpens},
		{"another citizen sees none of them", s.holderIsolation},
		{"the holder reads their activity", s.holderActivity},
		{"a holder shares chosen fields through a link", s.holderShares},
		{"a department asks for consent, the holder approves and withdraws", s.consentRequests},
		{"a third department asks for two departments' credentials: refusal, expiry, revocation", s.consentThirdDepartment},
		{"API keys and sessions do not stand in for each other", s.holderAuthKinds},
		{"tampered, foreign-origin and signed-out sessions are refused", s.holderSessionEnds},
		{"staff sign in: a clerk issues, an approver suspends, history names both", s.staffRoles},
		{"a department imports a file of credentials, twice without duplicates", s.bulkImport},
		{"imported credentials verify online, on their page and offline", s.importedVerify},
		{"imported credentials are in the register and their VC export has status entries", s.importedRegister},
		{"the holder of an imported credential finds it", s.importedHolder},
		{"imported credentials are suspended, reinstated and revoked one at a time", s.importedLifecycle},
		{"an imported credential is renewed and verifies superseded", s.importedRenewal},
		{"imported credentials' documents carry an anchor proof to their batch root", s.importedAnchor},
	}
	for _, st := range steps {
		if !t.Run(st.name, st.run) {
			t.Fatalf("step %q failed; later steps depend on it", st.name)
		}
	}
}

func (s *suite) catalogue(t *testing.T) {
	r := s.c.Request(t, "GET", "/api/v1/types", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/types: %d %s", r.Status, r.Body)
	}
	var body struct {
		Types []credential.CredentialType `json:"types"`
	}
	r.JSON(t, &body)
	want := map[string]string{"business-licence": "samr", "diploma": "edu", "professional-qualification": "hrss"}
	for _, ty := range body.Types {
		if issuer, ok := want[ty.ID]; ok {
			if !ty.AuthorizesIssuer(issuer) || len(ty.Fields) == 0 || ty.NameZh == "" {
				t.Errorf("type %s: issuers %v, %d fields, name %q", ty.ID, ty.Issuers, len(ty.Fields), ty.NameZh)
			}
			delete(want, ty.ID)
		}
	}
	if len(want) > 0 {
		t.Fatalf("catalogue lacks %v: %s", want, r.Body)
	}
}

func (s *suite) issueAs(t testing.TB, key string, body any, headers ...string) (issued, Response) {
	t.Helper()
	r := s.c.Request(t, "POST", "/api/v1/credentials", key, body, headers...)
	var out issued
	if r.Status == http.StatusCreated {
		r.JSON(t, &out)
	}
	return out, r
}

func (s *suite) issue(t *testing.T) {
	lic, r := s.issueAs(t, s.samr, businessLicence("福州数字未来科技有限公司"))
	if r.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	if _, err := credential.ParseIdentifier(lic.ID); err != nil {
		t.Fatalf("issued id %q: %v", lic.ID, err)
	}
	if lic.Document.ID != lic.ID || lic.Document.Proof.Signature == "" || lic.Document.Proof.KeyID == "" {
		t.Fatalf("document is not signed or has another id: %+v", lic.Document)
	}
	if c, ok := lic.Document.Claim("companyName"); !ok || c.Value != "福州数字未来科技有限公司" {
		t.Fatalf("companyName claim: %+v", c)
	}
	if !strings.Contains(lic.VerifyURL, "/v/") || !strings.Contains(lic.VerifyURL, url.PathEscape(lic.ID)) && !strings.Contains(lic.VerifyURL, lic.ID) {
		t.Fatalf("verifyUrl %q does not point at /v/{id}", lic.VerifyURL)
	}
	if lic.QRURL == "" {
		t.Fatal("no qrUrl")
	}
	s.lic = lic
}

func (s *suite) verify(t testing.TB, body any) verifyAnswer {
	t.Helper()
	r := s.c.Request(t, "POST", "/api/v1/verify", "", body)
	if r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	var v verifyAnswer
	r.JSON(t, &v)
	return v
}

func (s *suite) verifyDocument(t *testing.T) {
	v := s.verify(t, map[string]any{"document": s.lic.Document})
	if !v.Valid || v.Status != "valid" {
		t.Fatalf("fresh credential does not verify: %+v", v)
	}
	for _, name := range []string{credential.CheckSignature, credential.CheckIntegrity, credential.CheckIssuer, credential.CheckLedger, credential.CheckStatus, credential.CheckValidity} {
		c, ok := v.check(name)
		if !ok || !c.OK {
			t.Errorf("check %s: %+v (present %v)", name, c, ok)
		}
	}
	if v.TxID == "" {
		t.Errorf("answer does not name the recording transaction: %+v", v)
	}
}

func (s *suite) qrText(t testing.TB, path, key string) string {
	t.Helper()
	r := s.c.Request(t, "GET", path, key, nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Header.Get("Content-Type"))
	}
	if _, err := exec.LookPath("zbarimg"); err != nil {
		t.Skip("zbarimg is not installed (apt-get install zbar-tools); .ci/run installs it")
	}
	text, err := decodeQR(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func (s *suite) verifyQR(t *testing.T) {
	text := s.qrText(t, s.qrPath(t), s.samr)
	if text != s.lic.VerifyURL {
		t.Fatalf("QR holds %q, want the verify URL %q", text, s.lic.VerifyURL)
	}
	v := s.verify(t, map[string]any{"qr": text})
	if !v.Valid || v.Status != "valid" {
		t.Fatalf("QR text does not verify: %+v", v)
	}
}

func (s *suite) qrPath(t testing.TB) string {
	u, err := url.Parse(s.lic.QRURL)
	if err != nil {
		t.Fatalf("qrUrl %q: %v", s.lic.QRURL, err)
	}
	return u.RequestURI()
}

func (s *suite) tamper(t *testing.T) {
	doc := s.lic.Document
	doc.Claims = append([]credential.Claim(nil), doc.Claims...)
	for i := range doc.Claims {
		if doc.Claims[i].Name == "registeredCapital" {
			doc.Claims[i].Value = "5000"
		}
	}
	v := s.verify(t, map[string]any{"document": doc})
	if v.Valid {
		t.Fatalf("tampered document verified: %+v", v)
	}
	if c, _ := v.check(credential.CheckIntegrity); c.OK {
		t.Fatalf("integrity check passed on a tampered field: %+v", v)
	}
	if v.Status != string(credential.StatusForged) {
		t.Errorf("status %q, want forged", v.Status)
	}
}

func (s *suite) page(t *testing.T) {
	u, err := url.Parse(s.lic.VerifyURL)
	if err != nil {
		t.Fatal(err)
	}
	withToken := s.c.Request(t, "GET", u.RequestURI(), "", nil, "Accept-Language", "zh-CN,zh;q=0.9")
	if withToken.Status != http.StatusOK || !strings.Contains(string(withToken.Body), "福州数字未来科技有限公司") {
		t.Fatalf("page with token: %d, holder name missing", withToken.Status)
	}
	plain := s.c.Request(t, "GET", u.Path, "", nil, "Accept-Language", "en")
	if plain.Status != http.StatusOK {
		t.Fatalf("page without token: %d", plain.Status)
	}
	if strings.Contains(string(plain.Body), "福州数字未来科技有限公司") || strings.Contains(string(plain.Body), "91350100M000100Y43") {
		t.Fatal("page without token shows personal data")
	}
}

func (s *suite) crossDepartment(t *testing.T) {
	id := url.PathEscape(s.lic.ID)
	cases := []struct {
		name, method, path string
		body               any
		reason             string
	}{
		{"read", "GET", "/api/v1/credentials/" + id, nil, "not_issuer"},
		{"suspend", "POST", "/api/v1/credentials/" + id + "/suspend", map[string]string{"reason": "试图越权"}, "not_issuer"},
		{"revoke", "POST", "/api/v1/credentials/" + id + "/revoke", map[string]string{"reason": "试图越权", "code": "revoked"}, "not_issuer"},
		{"history", "GET", "/api/v1/credentials/" + id + "/history", nil, "not_issuer"},
		{"issue another department's type", "POST", "/api/v1/credentials", businessLicence("越权公司"), "not_authorized_for_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectProblem(t, s.c.Request(t, tc.method, tc.path, s.edu, tc.body), http.StatusForbidden, tc.reason)
		})
	}
	if v := s.verify(t, map[string]any{"document": s.lic.Document}); !v.Valid {
		t.Fatalf("credential changed by a forbidden call: %+v", v)
	}
}

func (s *suite) changeStatus(t testing.TB, action string, body any) Response {
	return s.c.Request(t, "POST", "/api/v1/credentials/"+url.PathEscape(s.lic.ID)+"/"+action, s.samr, body)
}

func (s *suite) lifecycle(t *testing.T) {
	steps := []struct {
		action     string
		body       any
		wantStatus int
		reason     string // the problem's, for a refusal
		verify     string // status verification reports afterwards
	}{
		{"suspend", map[string]string{}, http.StatusBadRequest, "invalid_field", "valid"}, // reason required
		{"suspend", map[string]string{"reason": "涉嫌虚假登记，暂扣待查"}, http.StatusOK, "", "suspended"},
		{"suspend", map[string]string{"reason": "again"}, http.StatusConflict, "already_suspended", "suspended"},
		{"reinstate", map[string]string{"reason": "核查无误，发还"}, http.StatusOK, "", "valid"},
		{"reinstate", map[string]string{"reason": "again"}, http.StatusConflict, "not_suspended", "valid"},
		{"revoke", map[string]string{"reason": "bad code", "code": "nonsense"}, http.StatusBadRequest, "invalid_field", "valid"},
		{"revoke", map[string]string{"reason": "严重违法，吊销营业执照", "code": "penalty"}, http.StatusOK, "", "revoked"},
		{"reinstate", map[string]string{"reason": "revoked is final"}, http.StatusConflict, "credential_revoked", "revoked"},
		{"revoke", map[string]string{"reason": "twice", "code": "revoked"}, http.StatusConflict, "credential_revoked", "revoked"},
	}
	for i, st := range steps {
		t.Run(fmt.Sprintf("%d %s", i, st.action), func(t *testing.T) {
			r := s.changeStatus(t, st.action, st.body)
			if r.Status != st.wantStatus {
				t.Fatalf("%s: %d %s, want %d", st.action, r.Status, r.Body, st.wantStatus)
			}
			if st.wantStatus >= 400 {
				expectProblem(t, r, st.wantStatus, st.reason)
			}
			v := s.verify(t, map[string]any{"document": s.lic.Document})
			if v.Status != st.verify || v.Valid != (st.verify == "valid") {
				t.Fatalf("after %s: status %q valid %v, want %q", st.action, v.Status, v.Valid, st.verify)
			}
		})
	}
	v := s.verify(t, map[string]any{"document": s.lic.Document})
	c, _ := v.check(credential.CheckStatus)
	if !strings.Contains(c.Detail, "吊销营业执照") || !strings.Contains(c.Detail, "penalty") {
		t.Errorf("revocation reason or code missing from the status check: %+v", c)
	}
}

type historyAnswer struct {
	History []credential.Change `json:"history"`
}

func (s *suite) historyOf(t testing.TB) []credential.Change { return s.historyFor(t, s.lic.ID) }

// historyFor is the history of samr's credential id.
func (s *suite) historyFor(t testing.TB, id string) []credential.Change {
	t.Helper()
	r := s.c.Request(t, "GET", "/api/v1/credentials/"+url.PathEscape(id)+"/history", s.samr, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("history of %s: %d %s", id, r.Status, r.Body)
	}
	var h historyAnswer
	r.JSON(t, &h)
	return h.History
}

func (s *suite) history(t *testing.T) {
	h := s.historyOf(t)
	want := []credential.Action{credential.ActionIssue, credential.ActionSuspend, credential.ActionReinstate, credential.ActionRevoke}
	if len(h) != len(want) {
		t.Fatalf("history has %d entries, want %d: %+v", len(h), len(want), h)
	}
	txs := map[string]bool{}
	for i, c := range h {
		if c.Action != want[i] || c.TxID == "" || c.Time.IsZero() || c.Actor != "samr" {
			t.Errorf("entry %d: %+v, want action %s by samr with tx and time", i, c, want[i])
		}
		if i > 0 && c.Time.Before(h[i-1].Time) {
			t.Errorf("entry %d is older than entry %d", i, i-1)
		}
		txs[c.TxID] = true
	}
	if len(txs) != len(h) {
		t.Errorf("transaction IDs repeat: %+v", h)
	}
	if h[3].Code != credential.RevokedPenalty || h[1].Reason != "涉嫌虚假登记，暂扣待查" {
		t.Errorf("reasons or code lost: %+v", h)
	}
}

func (s *suite) idempotency(t *testing.T) {
	body := businessLicence("幂等测试有限公司")
	first, r1 := s.issueAs(t, s.samr, body, "Idempotency-Key", "scenario-idem-1")
	if r1.Status != http.StatusCreated {
		t.Fatalf("first: %d %s", r1.Status, r1.Body)
	}
	// Concurrent retries of the same request must all answer the first
	// credential, never a second one.
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			again, r := s.issueAs(t, s.samr, body, "Idempotency-Key", "scenario-idem-1")
			if r.Status != http.StatusCreated {
				t.Errorf("retry %d: %d %s", i, r.Status, r.Body)
			}
			ids[i] = again.ID
		}(i)
	}
	wg.Wait()
	for i, id := range ids {
		if id != first.ID {
			t.Errorf("retry %d answered %q, want the first credential %q", i, id, first.ID)
		}
	}
	other := businessLicence("另一家有限公司")
	expectProblem(t, s.c.Request(t, "POST", "/api/v1/credentials", s.samr, other, "Idempotency-Key", "scenario-idem-1"), http.StatusConflict,
		"idempotency_key_reused")
	s.idemID = first.ID
}
