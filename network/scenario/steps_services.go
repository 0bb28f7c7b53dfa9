package scenario

import (
	"net/http"
	"slices"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
)

// serviceCatalogue: the demo's service items are public to read; only the
// governance department registers and changes one, every member checked
// against the registry, and the ledger answers the item as it stored it.
func (s *suite) serviceCatalogue(t *testing.T) {
	var list struct {
		Services []credential.Service `json:"services"`
	}
	s.c.Request(t, "GET", "/api/v1/services", "", nil).JSON(t, &list)
	for _, want := range demo.Services() {
		if !slices.ContainsFunc(list.Services, func(x credential.Service) bool { return x.Code == want.Code && x.UpdatedBy == demo.Governance }) {
			t.Fatalf("the catalogue lacks demo item %s: %+v", want.Code, list.Services)
		}
	}

	item := map[string]any{
		"nameZh": "教师资格认定", "nameEn": "Teacher qualification recognition", "requesters": []string{"edu"},
		"credentials": []map[string]any{{"type": "diploma", "fields": []string{"major", "level", "holder.name"}}},
	}
	const path = "/api/v1/services/JSZG-2026-001"
	expectProblem(t, s.c.Request(t, "PUT", path, s.edu, item), http.StatusForbidden, string(credential.ReasonNotGovernance))
	bad := map[string]any{"nameZh": "教师资格认定", "nameEn": "Teacher qualification recognition", "requesters": []string{"edu"},
		"credentials": []map[string]any{{"type": "teaching-licence", "fields": []string{"holder.name"}}}}
	p := expectProblem(t, s.c.Request(t, "PUT", path, s.gov, bad), http.StatusBadRequest, string(credential.ReasonInvalidField))
	if len(p.Errors) != 1 || p.Errors[0].Pointer != "#/credentials/0/type" {
		t.Fatalf("the refusal does not point at the unknown type: %+v", p)
	}

	var got struct {
		Service credential.Service `json:"service"`
	}
	r := s.c.Request(t, "PUT", path, s.gov, item)
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &got)
	if c := got.Service.Credentials; len(c) != 1 || !slices.Equal(c[0].Fields, []string{"holder.name", "level", "major"}) || got.Service.UpdatedAt.IsZero() {
		t.Fatalf("stored %+v", got.Service)
	}
	item["requesters"] = []string{"edu", "hrss"}
	if r := s.c.Request(t, "PUT", path, s.gov, item); r.Status != http.StatusOK {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	s.c.Request(t, "GET", path, "", nil).JSON(t, &got)
	if !slices.Equal(got.Service.Requesters, []string{"edu", "hrss"}) {
		t.Fatalf("after the update: %+v", got.Service)
	}
	expectProblem(t, s.c.Request(t, "GET", "/api/v1/services/NOSUCH-1", "", nil), http.StatusNotFound, string(credential.ReasonServiceNotFound))
}
