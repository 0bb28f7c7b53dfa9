package scenario

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// requestView is the part of GET /api/v1/requests/{id} the chapter reads.
type requestView struct {
	ID            string                `json:"id"`
	Status        string                `json:"status"`
	ConsentActive bool                  `json:"consentActive"`
	Reads         int                   `json:"reads"`
	Presentations []credential.Document `json:"presentations"`
	Receipt       *credential.Receipt   `json:"receipt"`
}

// eventually retries check every 200 ms for up to 15 s: on Fabric a
// department's peer may commit a block a moment after another's.
func eventually(t *testing.T, what string, check func() (bool, string)) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		ok, got := check()
		if ok {
			return
		}
		last = got
	}
	t.Fatalf("%s: still %s", what, last)
}

// consentRequests: the human resources department, a requester of the
// professional title evaluation, asks the first citizen for its claims; a
// department that is no requester is refused; the citizen finds it in
// their inbox with their own diploma and qualification chosen, another
// citizen cannot see or decide it; after the approval the department reads
// presentations of exactly the service's claims, which verify, and the
// read shows in the citizen's activity; the withdrawal ends the access; the
// governance department sees the receipts, without personal data.
func (s *suite) consentRequests(t *testing.T) {
	z := s.holder.first
	var svc credential.Service
	for _, x := range demo.Services() {
		if x.Code == demo.ServiceProfessionalRank {
			svc = x
		}
	}
	ask := map[string]any{"service": svc.Code, "purpose": "2026年度职称评审",
		"holder": map[string]string{"idType": credential.IDResidentCard, "idNumber": z.who.IDNumber}}
	expectProblem(t, s.c.Request(t, "POST", "/api/v1/requests", s.samr, ask), http.StatusForbidden, string(credential.ReasonNotServiceRequester))
	r := s.c.Request(t, "POST", "/api/v1/requests", s.hrss, ask)
	var created struct {
		ID, Status, ApproveURL string
	}
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &created)
	if created.Status != "pending" || created.ApproveURL != s.c.base+"/me/requests/"+created.ID {
		t.Fatalf("created %s", r.Body)
	}

	origin := []string{"Origin", s.c.base}
	eventually(t, "the request in the citizen's inbox", func() (bool, string) {
		r := z.c.Request(t, "GET", "/api/v1/me/requests", "", nil)
		var in struct {
			Items []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
				Needs  []struct {
					Chosen string `json:"chosen"`
				} `json:"needs"`
			} `json:"items"`
		}
		r.JSON(t, &in)
		for _, it := range in.Items {
			if it.ID == created.ID {
				return it.Status == "pending" && len(it.Needs) == 2 && it.Needs[0].Chosen != "" && it.Needs[1].Chosen != "", string(r.Body)
			}
		}
		return false, string(r.Body)
	})
	second := s.holder.second
	expectProblem(t, second.c.Request(t, "GET", "/api/v1/me/requests/"+created.ID, "", nil), http.StatusNotFound, string(credential.ReasonRequestNotFound))
	expectProblem(t, second.c.Request(t, "POST", "/api/v1/me/requests/"+created.ID+"/approve", "", nil, origin...), http.StatusNotFound, string(credential.ReasonRequestNotFound))
	expectProblem(t, s.c.Request(t, "GET", "/api/v1/requests/"+created.ID, s.edu, nil), http.StatusNotFound, string(credential.ReasonRequestNotFound))
	expectProblem(t, s.c.Request(t, "GET", "/api/v1/me/requests", s.hrss, nil), http.StatusUnauthorized, string(credential.ReasonNotSignedIn))

	if r := z.c.Request(t, "POST", "/api/v1/me/requests/"+created.ID+"/approve", "", nil, origin...); r.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	var v requestView
	eventually(t, "the department's presentations", func() (bool, string) {
		r := s.c.Request(t, "GET", "/api/v1/requests/"+created.ID, s.hrss, nil)
		v = requestView{}
		r.JSON(t, &v)
		return r.Status == http.StatusOK && len(v.Presentations) == 2, string(r.Body)
	})
	if v.Status != "approved" || v.Receipt == nil || len(v.Receipt.Credentials) != 2 || v.Receipt.HolderRef == "" || v.Reads < 1 {
		t.Fatalf("approved request: %+v", v)
	}
	for _, p := range v.Presentations {
		var got []string
		for _, c := range p.Claims {
			got = append(got, c.Name)
		}
		want, ok := svc.Needs(p.Type)
		if !ok {
			for _, sc := range svc.Credentials {
				if demoTypeCode(sc.Type) == p.Type {
					want, ok = slices.Sorted(slices.Values(sc.Fields)), true
				}
			}
		}
		if !ok || !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Fatalf("the presentation of %s discloses %v, want %v", p.ID, got, want)
		}
		var res struct {
			Valid bool `json:"valid"`
		}
		if r := s.c.Request(t, "POST", "/api/v1/verify", "", map[string]any{"document": p}); r.Status != http.StatusOK {
			t.Fatalf("verify %s: %d %s", p.ID, r.Status, r.Body)
		} else if r.JSON(t, &res); !res.Valid {
			t.Fatalf("the presentation of %s does not verify: %s", p.ID, r.Body)
		}
	}
	found := false
	for _, it := range z.activity(t, 200) {
		if it.Event == "request_read" {
			found = true
		}
	}
	if !found {
		t.Fatalf("%s's activity lacks the department's read", z.who.Username)
	}

	if r := z.c.Request(t, "POST", "/api/v1/me/requests/"+created.ID+"/withdraw", "", nil, origin...); r.Status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	eventually(t, "the withdrawal at the department", func() (bool, string) {
		r := s.c.Request(t, "GET", "/api/v1/requests/"+created.ID, s.hrss, nil)
		v = requestView{}
		r.JSON(t, &v)
		return v.Status == "withdrawn" && !v.ConsentActive && len(v.Presentations) == 0, string(r.Body)
	})

	expectProblem(t, s.c.Request(t, "GET", "/api/v1/receipts", s.hrss, nil), http.StatusForbidden, string(credential.ReasonNotGovernance))
	r = s.c.Request(t, "GET", "/api/v1/receipts?service="+svc.Code+"&department="+demo.HumanRes, s.gov, nil)
	var rc struct {
		Counts struct {
			Approved, Withdrawn int
		} `json:"counts"`
		Receipts []credential.Receipt `json:"receipts"`
	}
	r.JSON(t, &rc)
	if r.Status != http.StatusOK || rc.Counts.Approved < 1 || rc.Counts.Withdrawn < 1 ||
		slices.ContainsFunc([]string{z.who.IDNumber, z.who.Name}, func(x string) bool { return bytes.Contains(r.Body, []byte(x)) }) {
		t.Fatalf("receipts: %d %s", r.Status, r.Body)
	}
}

func demoTypeCode(id string) string {
	for _, t := range demo.Types() {
		if t.ID == id {
			return t.Code
		}
	}
	return ""
}
