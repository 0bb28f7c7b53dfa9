package scenario

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
)

// newVersionAnswer is the body of a renewal or change.
type newVersionAnswer struct {
	issued
	Superseded *credential.Record `json:"superseded"`
}

// renewAndChange renews a licence (延续) and then changes it (变更): each is
// the next version, and the one it replaced verifies at once as
// superseded, naming its successor, through the ledger's record and the
// page; only the newest version is renewed again, and only by samr.
func (s *suite) renewAndChange(t *testing.T) {
	v1, r := s.issueAs(t, s.samr, businessLicence("场景延续变更有限公司"))
	if r.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	expectProblem(t, s.c.Request(t, "POST", "/api/v1/credentials/"+url.PathEscape(v1.ID)+"/renew", s.edu, map[string]any{"validUntil": "2044-01-01"}),
		http.StatusForbidden, "not_issuer")
	v2 := s.newVersion(t, v1.ID, "renew", map[string]any{"validUntil": "2044-01-01", "reason": "场景测试：延续"})
	if v := s.verify(t, map[string]any{"document": v1.Document}); v.Valid || v.Status != string(credential.StatusSuperseded) {
		t.Fatalf("the renewed version verifies as %+v", v)
	}
	if v := s.verify(t, map[string]any{"document": v2.Document}); !v.Valid {
		t.Fatalf("the renewal does not verify: %+v", v)
	}
	expectProblem(t, s.c.Request(t, "POST", "/api/v1/credentials/"+url.PathEscape(v1.ID)+"/renew", s.samr, map[string]any{"validUntil": "2050-01-01"}),
		http.StatusConflict, "not_newest_version")

	v3 := s.newVersion(t, v2.ID, "change", map[string]any{"fields": map[string]any{"address": "福建省福州市台江区新路1号"}, "reason": "场景测试：住所变更"})
	if v3.Document.Version != 3 || v3.Document.Holder().IDNumber != v1.Document.Holder().IDNumber {
		t.Fatalf("change: version %d, holder %+v", v3.Document.Version, v3.Document.Holder())
	}
	if v := s.verify(t, map[string]any{"document": v2.Document}); v.Valid || v.Status != string(credential.StatusSuperseded) {
		t.Fatalf("the changed version verifies as %+v", v)
	}
	page := s.c.Request(t, "GET", "/v/"+url.PathEscape(v2.ID), "", nil, "Accept-Language", "en")
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), `data-status="superseded"`) || !strings.Contains(string(page.Body), `href="/v/`+v3.ID+`"`) {
		t.Fatalf("page of the changed version: %d", page.Status)
	}
	for _, tt := range []struct {
		id     string
		action credential.Action
		link   string
	}{{v1.ID, credential.ActionSupersede, v2.ID}, {v2.ID, credential.ActionRenew, v1.ID}, {v3.ID, credential.ActionChange, v2.ID}} {
		r := s.c.Request(t, "GET", "/api/v1/credentials/"+url.PathEscape(tt.id)+"/history", s.samr, nil)
		var h historyAnswer
		r.JSON(t, &h)
		found := false
		for _, c := range h.History {
			found = found || c.Action == tt.action && (c.Renews == tt.link || c.SupersededBy == tt.link)
		}
		if r.Status != http.StatusOK || !found {
			t.Errorf("history of %s has no %s linked to %s: %+v", tt.id, tt.action, tt.link, h.History)
		}
	}
}

// newVersion renews or changes (action) credential id as samr and checks
// that the answer's new version links the one it superseded both ways.
func (s *suite) newVersion(t testing.TB, id, action string, body any) newVersionAnswer {
	t.Helper()
	r := s.c.Request(t, "POST", "/api/v1/credentials/"+url.PathEscape(id)+"/"+action, s.samr, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("%s %s: %d %s", action, id, r.Status, r.Body)
	}
	var a newVersionAnswer
	r.JSON(t, &a.issued)
	r.JSON(t, &a)
	if a.Document.Renews != id || a.Superseded == nil || a.Superseded.SupersededBy != a.ID {
		t.Fatalf("%s of %s: renews %q, superseded %+v", action, id, a.Document.Renews, a.Superseded)
	}
	return a
}
