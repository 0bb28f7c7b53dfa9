package scenario

import (
	"net/http"
	"slices"
	"testing"

	"github.com/certledger/certledger/credential"
)

// holderIDTypes: the catalogue says a business licence is held by a
// company, and issuing one to a resident is refused with its own reason,
// leaving nothing on the ledger.
func (s *suite) holderIDTypes(t *testing.T) {
	var cat struct {
		Types []credential.CredentialType `json:"types"`
	}
	s.c.Request(t, "GET", "/api/v1/types", "", nil).JSON(t, &cat)
	i := slices.IndexFunc(cat.Types, func(ty credential.CredentialType) bool { return ty.ID == "business-licence" })
	if i < 0 || !slices.Equal(cat.Types[i].HolderIDTypes, []string{credential.IDUSCC}) {
		t.Fatalf("the catalogue does not say a business licence is held by a company: %+v", cat.Types)
	}

	body := businessLicence("张三")
	body["holder"] = map[string]any{"name": "张三", "idType": "resident_id", "idNumber": "11010519491231002X"}
	p := expectProblem(t, s.c.Request(t, "POST", "/api/v1/credentials", s.samr, body, "Idempotency-Key", "scenario-resident-licence"),
		http.StatusBadRequest, string(credential.ReasonHolderIDTypeNotAccepted))
	if len(p.Errors) == 0 || p.Errors[0].Pointer != "#/holder/idType" {
		t.Fatalf("the refusal does not point at holder.idType: %+v", p)
	}
	// The same key with the company as holder issues: the refusal
	// recorded nothing under it.
	body["holder"] = businessLicence("张三")["holder"]
	if _, r := s.issueAs(t, s.samr, body, "Idempotency-Key", "scenario-resident-licence"); r.Status != http.StatusCreated {
		t.Fatalf("issuing to the company after the refusal: %d %s", r.Status, r.Body)
	}
}
