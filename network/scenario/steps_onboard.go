package scenario

import (
	"net/http"
	"testing"

	"github.com/certledger/certledger/credential"
)

// The department the suite onboards: the public security bureau, as
// `certledger network add-department` adds it by default. On Fabric its
// organization must be on the channel (TestFabric adds it before the suite
// starts); the embedded ledger takes any MSP the registry names.
const (
	joinID    = "mps"
	joinMSPID = "MpsMSP"
	joinUSCC  = "11100000MB0500012U"
)

// onboard is docs/operations.md "Adding a department" through the API:
// governance registers the department (without keys: the gateway generates
// its first signing key), registers a credential type and then authorizes
// the department for it, and creates its API key; the department sees
// itself with that key, issues, and its credential verifies.
func (s *suite) onboard(t *testing.T) {
	entry := map[string]any{"mspId": joinMSPID, "uscc": joinUSCC, "nameZh": "公安局", "nameEn": "Public Security Bureau", "roles": []string{"issuer"}}
	put := func(path, key string, body any, status int) Response {
		t.Helper()
		r := s.c.Request(t, "PUT", path, key, body)
		if r.Status != status {
			t.Fatalf("PUT %s: %d, want %d: %s", path, r.Status, status, r.Body)
		}
		return r
	}
	expectProblem(t, s.c.Request(t, "PUT", "/api/v1/departments/"+joinID, s.samr, entry), http.StatusForbidden, "not_governance")
	expectProblem(t, s.c.Request(t, "PUT", "/api/v1/departments/"+joinID, "", entry), http.StatusUnauthorized, "missing_api_key")
	put("/api/v1/departments/"+joinID, s.gov, entry, http.StatusCreated)
	entry["nameEn"] = "Public Security Bureau of Fuzhou"
	put("/api/v1/departments/"+joinID, s.gov, entry, http.StatusOK)

	r := s.c.Request(t, "POST", "/api/v1/departments/"+joinID+"/keys", s.gov, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("first signing key of %s: %d %s", joinID, r.Status, r.Body)
	}
	var k keyAnswer
	r.JSON(t, &k)
	// Keys change only through the key endpoints, not with the entry.
	entry["keys"] = []credential.Key{}
	expectProblem(t, s.c.Request(t, "PUT", "/api/v1/departments/"+joinID, s.gov, entry), http.StatusUnprocessableEntity, "keys_managed_elsewhere")
	delete(entry, "keys")

	permit := map[string]any{"code": joinUSCC + "001", "nameZh": "居住证", "nameEn": "Residence Permit", "defaultValidityDays": 365,
		"issuers": []string{},
		"fields":  []map[string]any{{"name": "address", "type": "string", "required": true, "labelZh": "居住地址", "labelEn": "Address", "maxLength": 200}}}
	put("/api/v1/types/residence-permit", s.gov, permit, http.StatusCreated)
	permit["issuers"] = []string{joinID}
	put("/api/v1/types/residence-permit", s.gov, permit, http.StatusOK)
	if ty, ok := s.registry(t).Type("residence-permit"); !ok || !ty.AuthorizesIssuer(joinID) {
		t.Fatalf("the catalogue does not list %s as an issuer of residence-permit: %+v", joinID, ty)
	}

	expectProblem(t, s.c.Request(t, "POST", "/api/v1/departments/"+joinID+"/api-keys", s.samr, nil), http.StatusForbidden, "not_governance")
	r = s.c.Request(t, "POST", "/api/v1/departments/"+joinID+"/api-keys", s.gov, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("API key for %s: %d %s", joinID, r.Status, r.Body)
	}
	var ak struct {
		Department string `json:"department"`
		APIKey     string `json:"apiKey"`
	}
	r.JSON(t, &ak)
	var me struct {
		Department   credential.Department `json:"department"`
		SigningKeyID string                `json:"signingKeyId"`
	}
	r = s.c.Request(t, "GET", "/api/v1/me", ak.APIKey, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /me with the new key: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &me)
	if ak.Department != joinID || me.Department.ID != joinID || me.Department.NameEn != "Public Security Bureau of Fuzhou" || me.SigningKeyID != k.Key.ID {
		t.Fatalf("the new key is %s's; /me: %s (%s) signing with %q, want %s signing with %s",
			ak.Department, me.Department.ID, me.Department.NameEn, me.SigningKeyID, joinID, k.Key.ID)
	}

	permitted, r := s.issueAs(t, ak.APIKey, map[string]any{
		"type":   "residence-permit",
		"holder": map[string]any{"name": "李四", "idType": "other", "idNumber": "FZ-2026-0001"},
		"fields": map[string]any{"address": "福建省福州市鼓楼区东街1号"},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("%s issues: %d %s", joinID, r.Status, r.Body)
	}
	if v := s.verify(t, map[string]any{"document": permitted.Document}); !v.Valid || v.Status != "valid" {
		t.Fatalf("the credential of %s does not verify: %+v", joinID, v)
	}
	expectProblem(t, s.c.Request(t, "POST", "/api/v1/credentials", ak.APIKey, businessLicence("未授权有限公司")), http.StatusForbidden, "not_authorized_for_type")
}
