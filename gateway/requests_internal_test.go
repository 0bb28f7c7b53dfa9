package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway/ledger/embedded"
)

// newClockedEnv is a citizenEnv whose ledger stamps transactions with the
// gateway's test clock, so expiry (of a share, a request, a consent's term)
// comes for both at once, without waiting.
func newClockedEnv(t *testing.T) *citizenEnv {
	t.Helper()
	dir := t.TempDir()
	clock := &testClock{t: time.Now().UTC()}
	l, err := embedded.Open(dir, signinKEK, embedded.WithNoSync(), embedded.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return newCitizenEnv(t, citizenOption{dir: dir, clock: clock, ledger: l})
}

// send makes a request with a JSON body (nil: none), as department dept
// (its API key) when dept is set, else with the session cookie and the
// gateway's Origin.
func (e *citizenEnv) send(t *testing.T, method, path, dept, cookie string, body any) apiAnswer {
	t.Helper()
	var r *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	} else {
		r = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	if dept != "" {
		req.Header.Set("Authorization", "Bearer "+e.keys[dept].APIKey)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: e.srv.sessions.name, Value: cookie})
		req.Header.Set("Origin", e.base)
	}
	return e.do(t, req)
}

func mustStatus(t *testing.T, what string, a apiAnswer, status int, reason string) {
	t.Helper()
	if a.status != status || a.reason != reason {
		t.Fatalf("%s: %d %s %s, want %d %s", what, a.status, a.reason, a.body, status, reason)
	}
}

func decodeAs[T any](t *testing.T, a apiAnswer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
	return v
}

// The whole consent flow on the embedded ledger: a requester of a service
// asks a holder, the holder sees exactly what would be disclosed and
// approves with their only valid credentials, the department receives
// presentations of exactly the service's claims that verify, each read is
// counted and shows in the holder's activity; a revoked credential then
// verifies as revoked; withdrawal ends the department's access; another
// holder, another department and the wrong kind of caller get nothing.
func TestConsentRequestFlow(t *testing.T) {
	e := newClockedEnv(t)
	diploma := e.issueTo(t, "edu", "diploma", zhangWei.holder, map[string]any{"school": "福州大学", "major": "软件工程",
		"level": "本科", "graduatedOn": "2024-06-30", "certificateNumber": "103861202405000001"})
	qual := e.issueTo(t, "hrss", "professional-qualification", zhangWei.holder, map[string]any{"occupation": "软件工程师",
		"grade": "二级", "certificateNumber": "2001"})
	holderBody := map[string]any{"idType": zhangWei.holder.IDType, "idNumber": zhangWei.holder.IDNumber}
	ask := map[string]any{"service": demo.ServiceProfessionalRank, "holder": holderBody, "purpose": "2026年度职称评审"}

	mustStatus(t, "a department not among the requesters", e.send(t, "POST", "/api/v1/requests", "samr", "", ask), http.StatusForbidden, string(credential.ReasonNotServiceRequester))
	mustStatus(t, "an unknown service", e.send(t, "POST", "/api/v1/requests", "hrss", "", map[string]any{"service": "NOSUCH-1"}), http.StatusNotFound, string(credential.ReasonServiceNotFound))
	for _, bad := range []map[string]any{
		{"service": demo.ServiceProfessionalRank, "term": 366},
		{"service": demo.ServiceProfessionalRank, "expiresIn": 8 * 24 * 3600},
		{"service": demo.ServiceProfessionalRank, "purpose": strings.Repeat("长", 201)},
	} {
		a := e.send(t, "POST", "/api/v1/requests", "hrss", "", bad)
		if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), string(credential.ReasonInvalidConsent)) {
			t.Errorf("%v: %d %s", bad, a.status, a.body)
		}
	}
	a := e.send(t, "POST", "/api/v1/requests", "hrss", "", ask)
	mustStatus(t, "create", a, http.StatusCreated, "")
	created := decodeAs[requestCreated](t, a)
	if created.Status != credential.RequestPending || created.ApproveURL != e.base+"/me/requests/"+created.ID ||
		!created.ExpiresAt.Equal(e.clock.Now().Add(24*time.Hour).Truncate(time.Nanosecond)) && created.ExpiresAt.Sub(e.clock.Now()) != 24*time.Hour {
		t.Fatalf("created %+v", created)
	}
	qr := e.send(t, "GET", "/api/v1/requests/"+created.ID+"/qr.png", "hrss", "", nil)
	if qr.status != http.StatusOK || !bytes.HasPrefix(qr.body, []byte("\x89PNG")) {
		t.Fatalf("QR: %d", qr.status)
	}

	b := e.browser(t)
	e.signIn(t, b, zhangWei)
	person := e.sessionCookie(t, b)
	b2 := e.browser(t)
	e.signIn(t, b2, company)
	other := e.sessionCookie(t, b2)

	inbox := decodeAs[inboxPage](t, e.send(t, "GET", "/api/v1/me/requests", "", person, nil))
	if len(inbox.Items) != 1 {
		t.Fatalf("inbox: %+v", inbox)
	}
	it := inbox.Items[0]
	if it.ID != created.ID || it.Status != credential.RequestPending || it.Requester == nil || it.Requester.ID != demo.HumanRes ||
		it.Requester.NameZh == "" || it.Service.NameZh == "" || it.Purpose != "2026年度职称评审" || len(it.Needs) != 2 {
		t.Fatalf("inbox item %+v", it)
	}
	for _, n := range it.Needs {
		want := map[string]string{"diploma": diploma, "professional-qualification": qual}[n.Type.ID]
		if n.Chosen != want || len(n.Choices) != 1 || len(n.Fields) != 4 || n.Fields[0].LabelZh == "" {
			t.Fatalf("need %+v, want %s chosen", n, want)
		}
	}
	// Another holder, another department, the wrong kind of caller.
	mustStatus(t, "another holder's view", e.send(t, "GET", "/api/v1/me/requests/"+created.ID, "", other, nil), http.StatusNotFound, string(credential.ReasonRequestNotFound))
	mustStatus(t, "another holder's approval", e.send(t, "POST", "/api/v1/me/requests/"+created.ID+"/approve", "", other, nil), http.StatusNotFound, string(credential.ReasonRequestNotFound))
	if in := decodeAs[inboxPage](t, e.send(t, "GET", "/api/v1/me/requests", "", other, nil)); len(in.Items) != 0 {
		t.Fatalf("another holder's inbox: %+v", in)
	}
	mustStatus(t, "another department", e.send(t, "GET", "/api/v1/requests/"+created.ID, "edu", "", nil), http.StatusNotFound, string(credential.ReasonRequestNotFound))
	mustStatus(t, "an API key on the holder's side", e.send(t, "GET", "/api/v1/me/requests", "hrss", "", nil), http.StatusUnauthorized, string(credential.ReasonNotSignedIn))
	mustStatus(t, "a session on the department's side", e.send(t, "GET", "/api/v1/requests/"+created.ID, "", person, nil), http.StatusUnauthorized, string(credential.ReasonMissingAPIKey))

	pending := decodeAs[requestView](t, e.send(t, "GET", "/api/v1/requests/"+created.ID, "hrss", "", nil))
	if pending.Status != credential.RequestPending || len(pending.Presentations) != 0 || pending.Receipt != nil {
		t.Fatalf("pending: %+v", pending)
	}
	mustStatus(t, "withdrawing a pending request", e.send(t, "POST", "/api/v1/me/requests/"+created.ID+"/withdraw", "", person, nil), http.StatusConflict, string(credential.ReasonRequestNotPending))
	a = e.send(t, "POST", "/api/v1/me/requests/"+created.ID+"/approve", "", person, map[string]any{"credentials": map[string]string{"diploma": qual}})
	mustStatus(t, "approval with a credential of another type", a, http.StatusBadRequest, string(credential.ReasonInvalidField))

	a = e.send(t, "POST", "/api/v1/me/requests/"+created.ID+"/approve", "", person, nil)
	mustStatus(t, "approve", a, http.StatusOK, "")
	if got := decodeAs[inboxItem](t, a); got.Status != credential.RequestApproved || !got.ConsentActive {
		t.Fatalf("approved: %s", a.body)
	}
	mustStatus(t, "approving twice", e.send(t, "POST", "/api/v1/me/requests/"+created.ID+"/approve", "", person, nil), http.StatusConflict, string(credential.ReasonRequestNotPending))

	read := func(wantValid bool) requestView {
		t.Helper()
		v := decodeAs[requestView](t, e.send(t, "GET", "/api/v1/requests/"+created.ID, "hrss", "", nil))
		if v.Status != credential.RequestApproved || len(v.Presentations) != 2 || v.Receipt == nil || len(v.Receipt.Credentials) != 2 ||
			v.Receipt.HolderRef == "" {
			t.Fatalf("approved view: %+v", v)
		}
		for _, p := range v.Presentations {
			svc := demo.Services()[1]
			var want []string
			for _, sc := range svc.Credentials {
				if typ, _ := demoType(sc.Type); typ == p.Type {
					want = slices.Sorted(slices.Values(sc.Fields))
				}
			}
			var got []string
			for _, c := range p.Claims {
				got = append(got, c.Name)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("presentation of %s discloses %v, want %v", p.ID, got, want)
			}
			vr := e.send(t, "POST", "/api/v1/verify", "", "", map[string]any{"document": p})
			var res struct {
				Valid  bool   `json:"valid"`
				Status string `json:"status"`
			}
			_ = json.Unmarshal(vr.body, &res)
			if res.Valid != wantValid && p.ID == diploma || (res.Valid != true && p.ID == qual) {
				t.Fatalf("verify %s: %s", p.ID, vr.body)
			}
			if !wantValid && p.ID == diploma && res.Status != string(credential.StatusRevoked) {
				t.Fatalf("revoked diploma verifies as %s", vr.body)
			}
		}
		return v
	}
	if v := read(true); v.Reads != 1 || len(v.RecentReads) != 1 {
		t.Fatalf("reads after one fetch: %d %v", v.Reads, v.RecentReads)
	}

	act := decodeAs[activityPage](t, e.send(t, "GET", "/api/v1/me/activity", "", person, nil))
	var events []activityEvent
	for _, x := range act.Items {
		if x.Request == created.ID {
			events = append(events, x.Event)
			if x.By != demo.HumanRes || x.Service != demo.ServiceProfessionalRank {
				t.Fatalf("activity item %+v", x)
			}
		}
	}
	for _, want := range []activityEvent{eventRequestReceived, eventRequestApproved, eventRequestRead} {
		if !slices.Contains(events, want) {
			t.Fatalf("activity lacks %s: %v", want, events)
		}
	}

	// A revoked credential's presentation still comes, and verifies as revoked.
	if r := e.send(t, "POST", "/api/v1/credentials/"+diploma+"/revoke", "edu", "", map[string]any{"reason": "学历撤销", "code": "revoked"}); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	read(false)

	mustStatus(t, "withdraw", e.send(t, "POST", "/api/v1/me/requests/"+created.ID+"/withdraw", "", person, nil), http.StatusOK, "")
	v := decodeAs[requestView](t, e.send(t, "GET", "/api/v1/requests/"+created.ID, "hrss", "", nil))
	if v.Status != credential.RequestWithdrawn || len(v.Presentations) != 0 || v.ConsentActive || v.Reads != 2 {
		t.Fatalf("after withdrawal: %+v", v)
	}
	act = decodeAs[activityPage](t, e.send(t, "GET", "/api/v1/me/activity", "", person, nil))
	if act.Items[0].Event != eventRequestWithdrawn {
		t.Fatalf("newest activity: %+v", act.Items[0])
	}

	// Governance supervises: counts and receipts, no personal data.
	mustStatus(t, "receipts as a department", e.send(t, "GET", "/api/v1/receipts", "hrss", "", nil), http.StatusForbidden, string(credential.ReasonNotGovernance))
	rc := e.send(t, "GET", "/api/v1/receipts?service="+demo.ServiceProfessionalRank+"&department="+demo.HumanRes, "gov", "", nil)
	ra := decodeAs[receiptsAnswer](t, rc)
	if ra.Counts.Total != 2 || ra.Counts.Approved != 1 || ra.Counts.Withdrawn != 1 || len(ra.Receipts) != 2 ||
		strings.Contains(string(rc.body), zhangWei.holder.IDNumber) || strings.Contains(string(rc.body), zhangWei.holder.Name) {
		t.Fatalf("receipts: %s", rc.body)
	}
	// The request's own receipt names the withdrawal's transaction, as the ledger's does.
	if last := ra.Receipts[len(ra.Receipts)-1]; v.Receipt == nil || v.Receipt.TxID == "" || v.Receipt.TxID != last.TxID {
		t.Fatalf("the request's receipt %+v, the ledger's %+v", v.Receipt, last)
	}
	if ra := decodeAs[receiptsAnswer](t, e.send(t, "GET", "/api/v1/receipts?department=samr", "gov", "", nil)); ra.Counts.Total != 0 {
		t.Fatalf("receipts of samr: %+v", ra)
	}
	mustStatus(t, "a bad from", e.send(t, "GET", "/api/v1/receipts?from=yesterday", "gov", "", nil), http.StatusBadRequest, string(credential.ReasonInvalidRequest))
}

// demoType returns the code of a demo type by ID.
func demoType(id string) (string, bool) {
	for _, t := range demo.Types() {
		if t.ID == id {
			return t.Code, true
		}
	}
	return "", false
}

// Refusal, expiry (on the ledger's clock), a counter request bound by the
// holder who scans it, and the end of the term.
func TestConsentRequestEndings(t *testing.T) {
	e := newClockedEnv(t)
	licence := e.issueTo(t, "samr", "business-licence", company.holder, map[string]any{"companyName": company.holder.Name,
		"entityType": "有限责任公司", "legalRepresentative": "张伟", "establishedOn": "2020-03-15", "address": "福州市鼓楼区五四路100号"})
	b := e.browser(t)
	e.signIn(t, b, company)
	firm := e.sessionCookie(t, b)
	b2 := e.browser(t)
	e.signIn(t, b2, zhangWei)
	person := e.sessionCookie(t, b2)
	holder := map[string]any{"idType": company.holder.IDType, "idNumber": company.holder.IDNumber}
	create := func(body map[string]any) string {
		t.Helper()
		a := e.send(t, "POST", "/api/v1/requests", "gov", "", body)
		mustStatus(t, "create", a, http.StatusCreated, "")
		return decodeAs[requestCreated](t, a).ID
	}
	status := func(id string) requestView {
		t.Helper()
		return decodeAs[requestView](t, e.send(t, "GET", "/api/v1/requests/"+id, "gov", "", nil))
	}

	refused := create(map[string]any{"service": demo.ServiceRealEstate, "holder": holder})
	mustStatus(t, "refuse", e.send(t, "POST", "/api/v1/me/requests/"+refused+"/refuse", "", firm, nil), http.StatusOK, "")
	mustStatus(t, "approve after refusal", e.send(t, "POST", "/api/v1/me/requests/"+refused+"/approve", "", firm, nil), http.StatusConflict, string(credential.ReasonRequestNotPending))
	if v := status(refused); v.Status != credential.RequestRefused || len(v.Presentations) != 0 || v.Receipt == nil || len(v.Receipt.Credentials) != 0 {
		t.Fatalf("refused: %+v", v)
	}

	expiring := create(map[string]any{"service": demo.ServiceRealEstate, "holder": holder, "expiresIn": 60})
	e.clock.Advance(61 * time.Second)
	mustStatus(t, "approve after expiry", e.send(t, "POST", "/api/v1/me/requests/"+expiring+"/approve", "", firm, nil), http.StatusConflict, string(credential.ReasonRequestExpired))
	if v := status(expiring); v.Status != credential.RequestExpired {
		t.Fatalf("expired: %+v", v)
	}

	// A counter request: whoever scans it first and decides binds it.
	counter := create(map[string]any{"service": demo.ServiceRealEstate, "term": 1})
	if v := decodeAs[inboxItem](t, e.send(t, "GET", "/api/v1/me/requests/"+counter, "", firm, nil)); v.Status != credential.RequestPending || len(v.Needs) != 1 || v.Needs[0].Chosen != licence {
		t.Fatalf("counter request seen by its holder: %+v", v)
	}
	mustStatus(t, "approving without a credential of the type", e.send(t, "POST", "/api/v1/me/requests/"+counter+"/approve", "", person, nil), http.StatusBadRequest, string(credential.ReasonInvalidField))
	mustStatus(t, "approve the counter request", e.send(t, "POST", "/api/v1/me/requests/"+counter+"/approve", "", firm, map[string]any{"credentials": map[string]string{"business-licence": licence}}), http.StatusOK, "")
	mustStatus(t, "the counter request after it was bound", e.send(t, "GET", "/api/v1/me/requests/"+counter, "", person, nil), http.StatusNotFound, string(credential.ReasonRequestNotFound))
	if v := status(counter); len(v.Presentations) != 1 || v.Presentations[0].ID != licence {
		t.Fatalf("counter request approved: %+v", v)
	}
	in := decodeAs[inboxPage](t, e.send(t, "GET", "/api/v1/me/requests", "", firm, nil))
	if len(in.Items) != 3 || in.Items[0].ID != counter && in.Items[0].Status != credential.RequestPending {
		t.Fatalf("the company's inbox: %+v", in)
	}
	list := decodeAs[requestPageAnswer](t, e.send(t, "GET", "/api/v1/requests?limit=2", "gov", "", nil))
	if len(list.Items) != 2 || list.Items[0].ID != counter || list.Next == "" {
		t.Fatalf("the department's list: %+v", list)
	}

	// The term ends: no more presentations, nothing more counted.
	e.clock.Advance(25 * time.Hour)
	if v := status(counter); v.Status != credential.RequestApproved || v.ConsentActive || len(v.Presentations) != 0 || v.Reads != 1 {
		t.Fatalf("after the term: %+v", v)
	}
}
