package scenario

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// thirdService is registered by the chapter: the market regulator, which
// issues neither credential, checks an inspection body's authorised
// signatory's education (edu) and qualification (hrss).
const thirdService = "JYJCZZ-2026-001"

func thirdServiceItem() map[string]any {
	return map[string]any{
		"nameZh": "检验检测机构资质认定（授权签字人）", "nameEn": "Inspection body accreditation (authorised signatory)",
		"requesters": []string{"samr"},
		"credentials": []map[string]any{
			{"type": "diploma", "fields": []string{credential.ClaimHolderName, "school", "major", "level"}},
			{"type": "professional-qualification", "fields": []string{credential.ClaimHolderName, "occupation", "grade"}},
		},
	}
}

// consentThirdDepartment: governance registers a service needing two
// departments' credentials for a third; the issuers are no requesters, a
// request names no fields and the requester cannot widen the item; the
// first citizen approves, choosing a diploma issued for this step, the
// two presentations verify and the activity shows the request, approval
// and read; a revocation after approval shows on the next read; the
// withdrawal, a refusal and an expiry each leave nothing to read; another
// citizen can neither see nor decide the request.
func (s *suite) consentThirdDepartment(t *testing.T) {
	z := s.holder.first
	if have := samplesOf(z.who); !slices.Contains(have, "edu/diploma") || !slices.Contains(have, "hrss/professional-qualification") {
		t.Fatalf("%s holds %v, want a diploma and a professional qualification", z.who.Username, have)
	}
	const path = "/api/v1/services/" + thirdService
	if r := s.c.Request(t, "PUT", path, s.gov, thirdServiceItem()); r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("register %s: %d %s", thirdService, r.Status, r.Body)
	}
	wider := thirdServiceItem()
	wider["credentials"].([]map[string]any)[0]["fields"] = []string{credential.ClaimHolderName, credential.ClaimHolderIDNumber, "school", "major", "level", "certificateNumber"}
	expectProblem(t, s.c.Request(t, "PUT", path, s.samr, wider), http.StatusForbidden, string(credential.ReasonNotGovernance))
	var item struct {
		Service credential.Service `json:"service"`
	}
	s.c.Request(t, "GET", path, "", nil).JSON(t, &item)
	fields := map[string][]string{} // type ID and code -> the item's claims
	for _, sc := range item.Service.Credentials {
		fields[sc.Type], fields[demoTypeCode(sc.Type)] = sc.Fields, sc.Fields
	}
	if !slices.Equal(item.Service.Requesters, []string{"samr"}) || len(fields["diploma"]) != 4 || len(fields["professional-qualification"]) != 3 {
		t.Fatalf("the stored item: %+v", item.Service)
	}

	// A diploma of this step's own, so its revocation leaves the samples be.
	diploma, r := s.issueAs(t, s.edu, map[string]any{"type": "diploma",
		"holder": map[string]any{"name": z.who.Name, "idType": z.who.IDType, "idNumber": z.who.IDNumber},
		"fields": map[string]any{"school": "福州大学", "major": "质量管理工程", "level": "硕士研究生",
			"graduatedOn": "2018-06-30", "certificateNumber": "103861201805000456"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("issue the step's diploma: %d %s", r.Status, r.Body)
	}

	holder := map[string]string{"idType": z.who.IDType, "idNumber": z.who.IDNumber}
	ask := map[string]any{"service": thirdService, "purpose": "授权签字人资格审查", "holder": holder}
	for _, key := range []string{s.edu, s.hrss} {
		expectProblem(t, s.c.Request(t, "POST", "/api/v1/requests", key, ask), http.StatusForbidden, string(credential.ReasonNotServiceRequester))
	}
	// The claims come from the item alone: a request has no field list.
	withFields := map[string]any{"service": thirdService, "holder": holder, "fields": []string{"certificateNumber"}}
	expectProblem(t, s.c.Request(t, "POST", "/api/v1/requests", s.samr, withFields), http.StatusBadRequest, "malformed_request")

	origin := []string{"Origin", s.c.base}
	id := s.createRequest(t, ask)
	eventually(t, "the request in the citizen's inbox, the diploma to choose", func() (bool, string) {
		r := z.c.Request(t, "GET", "/api/v1/me/requests/"+id, "", nil)
		var it struct {
			Status string `json:"status"`
			Needs  []struct {
				Type    struct{ ID string }
				Choices []struct{ ID string }
				Chosen  string
			} `json:"needs"`
		}
		if r.Status != http.StatusOK {
			return false, string(r.Body)
		}
		r.JSON(t, &it)
		ok := it.Status == "pending" && len(it.Needs) == 2
		for _, n := range it.Needs {
			if n.Type.ID == "diploma" {
				ok = ok && n.Chosen == "" && slices.ContainsFunc(n.Choices, func(c struct{ ID string }) bool { return c.ID == diploma.ID })
			} else {
				ok = ok && n.Chosen != ""
			}
		}
		return ok, string(r.Body)
	})
	second := s.holder.second
	expectProblem(t, second.c.Request(t, "GET", "/api/v1/me/requests/"+id, "", nil), http.StatusNotFound, string(credential.ReasonRequestNotFound))
	expectProblem(t, second.c.Request(t, "POST", "/api/v1/me/requests/"+id+"/approve", "", nil, origin...), http.StatusNotFound, string(credential.ReasonRequestNotFound))
	p := expectProblem(t, z.c.Request(t, "POST", "/api/v1/me/requests/"+id+"/approve", "", nil, origin...), http.StatusBadRequest, string(credential.ReasonInvalidField))
	if len(p.Errors) != 1 || p.Errors[0].Pointer != "#/credentials/diploma" {
		t.Fatalf("an approval without a choice of two diplomas: %+v", p)
	}
	choice := map[string]any{"credentials": map[string]string{"diploma": diploma.ID}}
	if r := z.c.Request(t, "POST", "/api/v1/me/requests/"+id+"/approve", "", choice, origin...); r.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}

	v := s.readPresentations(t, id)
	if v.Receipt == nil || !slices.ContainsFunc(v.Receipt.Credentials, func(c credential.ConsentCredential) bool { return c.ID == diploma.ID }) {
		t.Fatalf("the receipt does not name the chosen diploma: %+v", v.Receipt)
	}
	for _, p := range v.Presentations {
		var got []string
		for _, c := range p.Claims {
			got = append(got, c.Name)
		}
		if want, ok := fields[p.Type]; !ok || !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Fatalf("the presentation of %s discloses %v, want %v", p.ID, got, want)
		}
		if a := s.verify(t, map[string]any{"document": p}); !a.Valid || a.Status != "valid" {
			t.Fatalf("the presentation of %s: valid %v status %q", p.ID, a.Valid, a.Status)
		}
	}
	s.expectRequestActivity(t, z, id, "request_received", "request_approved", "request_read")

	if r := s.c.Request(t, "POST", "/api/v1/credentials/"+url.PathEscape(diploma.ID)+"/revoke", s.edu,
		map[string]string{"reason": "学历证书信息有误，依法撤销", "code": "revoked"}); r.Status != http.StatusOK {
		t.Fatalf("revoke %s: %d %s", diploma.ID, r.Status, r.Body)
	}
	eventually(t, "the revocation in the department's next read", func() (bool, string) {
		v := s.readPresentations(t, id)
		for _, p := range v.Presentations {
			a := s.verify(t, map[string]any{"document": p})
			want := "valid"
			if p.ID == diploma.ID {
				want = "revoked"
			}
			if a.Status != want || a.Valid != (want == "valid") {
				return false, p.ID + " " + a.Status
			}
		}
		return true, ""
	})

	if r := z.c.Request(t, "POST", "/api/v1/me/requests/"+id+"/withdraw", "", nil, origin...); r.Status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	s.expectEnded(t, id, "withdrawn", true)

	refused := s.createRequest(t, ask)
	if r := z.c.Request(t, "POST", "/api/v1/me/requests/"+refused+"/refuse", "", nil, origin...); r.Status != http.StatusOK {
		t.Fatalf("refuse: %d %s", r.Status, r.Body)
	}
	s.expectEnded(t, refused, "refused", true)
	expectProblem(t, z.c.Request(t, "POST", "/api/v1/me/requests/"+refused+"/approve", "", nil, origin...), http.StatusConflict, string(credential.ReasonRequestNotPending))

	expiring := s.createRequest(t, map[string]any{"service": thirdService, "holder": holder, "expiresIn": 60})
	s.target.MoveClock(t, 2*time.Minute)
	defer s.target.MoveClock(t, 0)
	for _, action := range []string{"approve", "refuse"} {
		expectProblem(t, z.c.Request(t, "POST", "/api/v1/me/requests/"+expiring+"/"+action, "", nil, origin...), http.StatusConflict, string(credential.ReasonRequestExpired))
	}
	s.expectEnded(t, expiring, "expired", false)
	s.target.MoveClock(t, 0)
}

// createRequest creates a request as the market regulator.
func (s *suite) createRequest(t *testing.T, body map[string]any) string {
	t.Helper()
	r := s.c.Request(t, "POST", "/api/v1/requests", s.samr, body)
	var created struct{ ID, Status string }
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &created)
	if created.Status != "pending" {
		t.Fatalf("created %s", r.Body)
	}
	return created.ID
}

// readPresentations reads request id as the market regulator until it is
// approved with both presentations.
func (s *suite) readPresentations(t *testing.T, id string) requestView {
	t.Helper()
	var v requestView
	eventually(t, "the department's presentations", func() (bool, string) {
		r := s.c.Request(t, "GET", "/api/v1/requests/"+id, s.samr, nil)
		v = requestView{}
		r.JSON(t, &v)
		return r.Status == http.StatusOK && v.Status == "approved" && v.ConsentActive && len(v.Presentations) == 2, string(r.Body)
	})
	return v
}

// expectEnded waits until the market regulator reads request id as status,
// with nothing to read; decided says whether it carries a receipt.
func (s *suite) expectEnded(t *testing.T, id, status string, decided bool) {
	t.Helper()
	eventually(t, "the request "+status+" at the department", func() (bool, string) {
		r := s.c.Request(t, "GET", "/api/v1/requests/"+id, s.samr, nil)
		var v requestView
		r.JSON(t, &v)
		return r.Status == http.StatusOK && v.Status == status && !v.ConsentActive && len(v.Presentations) == 0 &&
			(v.Receipt != nil) == decided, string(r.Body)
	})
}

// requestEvent is a consent request's entry of GET /api/v1/me/activity.
type requestEvent struct {
	Event   string `json:"event"`
	Request string `json:"request"`
	By      string `json:"by"`
}

// expectRequestActivity checks that z's newest activity lists each event
// of request id, by the market regulator.
func (s *suite) expectRequestActivity(t *testing.T, z citizen, id string, events ...string) {
	t.Helper()
	var page struct {
		Items []requestEvent `json:"items"`
	}
	r := z.c.Request(t, "GET", "/api/v1/me/activity?limit=50", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("activity: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &page)
	for _, ev := range events {
		if !slices.Contains(page.Items, requestEvent{Event: ev, Request: id, By: "samr"}) {
			t.Fatalf("%s's activity lacks %s of request %s: %s", z.who.Username, ev, id, r.Body)
		}
	}
}
