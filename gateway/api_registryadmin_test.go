package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/credential"
)

// customsBody is a new issuing department without keys.
func customsBody(t testing.TB) map[string]any {
	return map[string]any{
		"mspId": "CustomsMSP", "uscc": "11100000MB0600012E",
		"nameZh": "海关", "nameEn": "Customs", "roles": []string{"issuer"},
	}
}

// permitType is a credential type for the new department.
func permitType(t testing.TB, issuers ...string) map[string]any {
	return map[string]any{
		"code": "11100000MB0600012E" + "001", "nameZh": "报关单位备案证明", "nameEn": "Customs Declarant Registration",
		"fields": []map[string]any{
			{"name": "companyName", "type": "string", "required": true, "labelZh": "企业名称", "labelEn": "Company", "maxLength": 100},
			{"name": "registeredOn", "type": "date", "required": true, "labelZh": "备案日期", "labelEn": "Registered on"},
		},
		"issuers": issuers, "defaultValidityDays": 365,
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func TestRegistryAdminRefusals(t *testing.T) {
	e := newAPIEnv(t)
	samrKeys := e.department(t, "samr").Keys
	cases := []struct {
		name, method, path, caller string
		body                       any
		status                     int
		pointers                   []string // field pointers the problem must name, each optionally with its reason
	}{
		{"department without key", "PUT", "/api/v1/departments/customs", "", customsBody(t), http.StatusUnauthorized, nil},
		{"department as an issuer", "PUT", "/api/v1/departments/customs", "samr", customsBody(t), http.StatusForbidden, nil},
		{"type as an issuer", "PUT", "/api/v1/types/declarant", "edu", permitType(t, "samr"), http.StatusForbidden, nil},
		{"api key without key", "POST", "/api/v1/departments/samr/api-keys", "", nil, http.StatusUnauthorized, nil},
		{"api key for another department as an issuer", "POST", "/api/v1/departments/edu/api-keys", "samr", nil, http.StatusForbidden, nil},
		{"api key for an unknown department", "POST", "/api/v1/departments/nosuch/api-keys", "gov", nil, http.StatusNotFound, nil},
		{"empty body", "PUT", "/api/v1/departments/customs", "gov", "", http.StatusBadRequest, nil},
		{"not JSON", "PUT", "/api/v1/departments/customs", "gov", "{", http.StatusBadRequest, nil},
		{"unknown member", "PUT", "/api/v1/departments/customs", "gov", with(customsBody(t), "colour", "red"), http.StatusBadRequest, nil},
		{"ids differ", "PUT", "/api/v1/departments/customs", "gov", with(customsBody(t), "id", "excise"), http.StatusBadRequest, []string{"#/id"}},
		{"bad path id", "PUT", "/api/v1/departments/Customs_1", "gov", customsBody(t), http.StatusBadRequest, []string{"#/id"}},
		{"every field wrong", "PUT", "/api/v1/departments/customs", "gov",
			map[string]any{"mspId": "9x", "uscc": "11100000MB06000120", "nameZh": "", "nameEn": " Customs", "roles": []string{"issuer", "admin", "issuer"}},
			http.StatusBadRequest, []string{"#/mspId", "#/uscc", "#/nameZh", "#/nameEn", "#/roles/1", "#/roles/2"}},
		{"no roles", "PUT", "/api/v1/departments/customs", "gov", with(customsBody(t), "roles", []string{}), http.StatusBadRequest, []string{"#/roles"}},
		{"bad key of a new department", "PUT", "/api/v1/departments/customs", "gov",
			with(customsBody(t), "keys", []map[string]any{{"id": "customs-1", "publicKey": "bm90IGEga2V5", "validFrom": "2026-01-01T00:00:00Z", "status": "lost"}}),
			http.StatusBadRequest, []string{"#/keys/0/publicKey", "#/keys/0/status"}},
		{"MSP of another department", "PUT", "/api/v1/departments/customs", "gov", with(customsBody(t), "mspId", "SamrMSP"), http.StatusBadRequest, []string{"#/mspId msp_id_taken"}},
		{"key added to a registered department", "PUT", "/api/v1/departments/samr", "gov",
			map[string]any{"mspId": "SamrMSP", "uscc": "11100000MB02000124", "nameZh": "市场监督管理局", "nameEn": "Market Regulation Administration",
				"roles": []string{"issuer"}, "keys": append(append([]credential.Key{}, samrKeys...), credential.Key{ID: "samr-extra",
					PublicKey: samrKeys[0].PublicKey, ValidFrom: time.Now().UTC(), Status: credential.KeyActive})},
			http.StatusUnprocessableEntity, nil},
		{"keys removed from a registered department", "PUT", "/api/v1/departments/samr", "gov",
			map[string]any{"mspId": "SamrMSP", "uscc": "11100000MB02000124", "nameZh": "市场监督管理局", "nameEn": "Market Regulation Administration",
				"roles": []string{"issuer"}, "keys": []any{}},
			http.StatusUnprocessableEntity, nil},
		{"USCC of a registered department changed", "PUT", "/api/v1/departments/samr", "gov",
			map[string]any{"mspId": "SamrMSP", "uscc": "11100000MB02000992", "nameZh": "市场监督管理局", "nameEn": "Market Regulation Administration",
				"roles": []string{"issuer"}},
			http.StatusConflict, nil},
		{"type: every field wrong", "PUT", "/api/v1/types/declarant", "gov",
			map[string]any{"code": "123", "nameZh": "报关", "nameEn": "", "defaultValidityDays": -1, "issuers": []string{"nosuch", "gov", "samr", "samr"},
				"fields": []map[string]any{{"name": "1st", "type": "text", "labelZh": "一", "labelEn": ""}, {"name": "n", "type": "number", "labelZh": "数", "labelEn": "N", "maxLength": 5}}},
			http.StatusBadRequest, []string{"#/code", "#/nameEn", "#/defaultValidityDays", "#/fields/0/name", "#/fields/0/type", "#/fields/0", "#/fields/1/maxLength",
				"#/issuers/0", "#/issuers/1", "#/issuers/3"}},
		{"type without fields", "PUT", "/api/v1/types/declarant", "gov", with(permitType(t), "fields", []any{}), http.StatusBadRequest, []string{"#/fields"}},
		{"type ids differ", "PUT", "/api/v1/types/declarant", "gov", with(permitType(t), "id", "other"), http.StatusBadRequest, []string{"#/id"}},
		{"type code changed", "PUT", "/api/v1/types/business-licence", "gov", permitType(t, "samr"), http.StatusBadRequest, []string{"#/code registry_field_immutable"}},
		{"type: unknown and repeated holder ID types", "PUT", "/api/v1/types/declarant", "gov",
			with(permitType(t), "holderIdTypes", []string{"uscc", "library_card", "uscc"}), http.StatusBadRequest, []string{"#/holderIdTypes/1", "#/holderIdTypes/2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := ""
			if tc.caller != "" {
				key = e.key(tc.caller)
			}
			p := expectProblem(t, e.do(t, tc.method, tc.path, key, tc.body), tc.status)
			got := map[string]string{}
			for _, fp := range p.Errors {
				got[fp.Pointer] = fp.Reason
			}
			for _, want := range tc.pointers {
				ptr, reason, _ := strings.Cut(want, " ")
				if r, ok := got[ptr]; !ok || reason != "" && r != reason {
					t.Errorf("problem does not point at %s: %+v", want, p.Errors)
				}
			}
			if tc.status == http.StatusUnprocessableEntity && !strings.Contains(p.Detail, "/api/v1/departments/samr/keys") {
				t.Errorf("the refusal does not name the key endpoints: %s", p.Detail)
			}
		})
	}
	reg, err := e.ledger.Registry(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Department("customs"); ok {
		t.Fatal("a refused request registered customs")
	}
	if d, _ := reg.Department("samr"); len(d.Keys) != len(samrKeys) || d.USCC != "11100000MB02000124" {
		t.Fatalf("a refused request changed samr: %+v", d)
	}
}

// TestOnboardDepartment is the whole onboarding through the API on the
// embedded ledger: register, update, authorize for a type, first signing
// key, API key, and an issuance by the new department that verifies.
func TestOnboardDepartment(t *testing.T) {
	e := newAPIEnv(t)
	gov := e.key("gov")
	put := func(path string, body any, status int) []byte {
		t.Helper()
		r := e.do(t, "PUT", path, gov, body)
		if r.Status != status {
			t.Fatalf("PUT %s: %d, want %d: %s", path, r.Status, status, r.Body)
		}
		return r.Body
	}

	var created struct{ Department credential.Department }
	apiResponse{Body: put("/api/v1/departments/customs", customsBody(t), http.StatusCreated)}.decode(t, &created)
	if d := created.Department; d.ID != "customs" || d.MSPID != "CustomsMSP" || d.Keys == nil || len(d.Keys) != 0 {
		t.Fatalf("created %+v", d)
	}
	put("/api/v1/departments/customs", with(customsBody(t), "id", "customs", "nameEn", "General Administration of Customs"), http.StatusOK)
	if d := e.department(t, "customs"); d.NameEn != "General Administration of Customs" {
		t.Fatalf("update not on the ledger: %+v", d)
	}
	// The registry cache was refreshed by the write: the public catalogue
	// shows the department at once.
	if r := e.do(t, "GET", "/api/v1/departments", "", nil); !strings.Contains(string(r.Body), "General Administration of Customs") {
		t.Fatalf("GET /departments does not show the update: %s", r.Body)
	}

	put("/api/v1/types/declarant", permitType(t), http.StatusCreated)
	var updated struct{ Type credential.CredentialType }
	apiResponse{Body: put("/api/v1/types/declarant", with(permitType(t, "customs"), "holderIdTypes", []string{"uscc"}), http.StatusOK)}.decode(t, &updated)
	if !updated.Type.AuthorizesIssuer("customs") || len(updated.Type.HolderIDTypes) != 1 || updated.Type.HolderIDTypes[0] != "uscc" {
		t.Fatalf("type %+v", updated.Type)
	}
	// Existing types take a new issuer too; the others stay authorized.
	reg, _ := e.ledger.Registry(t.Context())
	lic, _ := reg.Type("business-licence")
	lic.Issuers = append(lic.Issuers, "customs")
	put("/api/v1/types/business-licence", lic, http.StatusOK)

	// Its first signing key: generated and kept by this gateway.
	r := e.do(t, "POST", "/api/v1/departments/customs/keys", gov, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("first signing key: %d %s", r.Status, r.Body)
	}
	// The department entry can be sent back with its keys unchanged.
	withKeys := e.department(t, "customs")
	put("/api/v1/departments/customs", withKeys, http.StatusOK)

	r = e.do(t, "POST", "/api/v1/departments/customs/api-keys", gov, nil)
	if r.Status != http.StatusCreated || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("api key: %d %q %s", r.Status, r.Header.Get("Cache-Control"), r.Body)
	}
	var ak struct{ Department, APIKey, Note string }
	r.decode(t, &ak)
	if ak.Department != "customs" || !strings.HasPrefix(ak.APIKey, "clk_") || !strings.Contains(ak.Note, "once") {
		t.Fatalf("api key answer %+v", ak)
	}
	if strings.Contains(e.logs.String(), ak.APIKey) {
		t.Fatal("the API key was logged")
	}
	var me struct {
		Department   credential.Department       `json:"department"`
		Types        []credential.CredentialType `json:"types"`
		SigningKeyID string                      `json:"signingKeyId"`
	}
	r = e.do(t, "GET", "/api/v1/me", ak.APIKey, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}
	r.decode(t, &me)
	if me.Department.ID != "customs" || len(me.Types) != 2 || me.SigningKeyID == "" {
		t.Fatalf("me %+v", me)
	}
	// A second key works alongside the first.
	r = e.do(t, "POST", "/api/v1/departments/customs/api-keys", gov, nil)
	var ak2 struct{ APIKey string }
	r.decode(t, &ak2)
	for _, k := range []string{ak.APIKey, ak2.APIKey} {
		if r := e.do(t, "GET", "/api/v1/me", k, nil); r.Status != http.StatusOK {
			t.Fatalf("key %.8s… after a second key: %d", k, r.Status)
		}
	}

	r = e.do(t, "POST", "/api/v1/credentials", ak.APIKey, map[string]any{
		"type":   "declarant",
		"holder": map[string]any{"name": "福州报关有限公司", "idType": "uscc", "idNumber": "91350100M000100Y43"},
		"fields": map[string]any{"companyName": "福州报关有限公司", "registeredOn": "2025-06-01"},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("issue as customs: %d %s", r.Status, r.Body)
	}
	var out issuedAnswer
	r.decode(t, &out)
	if v := e.verify(t, map[string]any{"document": out.Document}); !v.Valid || v.Issuer == nil || v.Issuer.ID != "customs" {
		t.Fatalf("credential of customs does not verify: %+v", v)
	}
	expectReason(t, e.do(t, "POST", "/api/v1/credentials", ak.APIKey, map[string]any{
		"type":   "declarant",
		"holder": map[string]any{"name": "张三", "idType": "resident_id", "idNumber": "11010519491231002X"},
		"fields": map[string]any{"companyName": "张三", "registeredOn": "2025-06-01"},
	}), http.StatusBadRequest, string(credential.ReasonHolderIDTypeNotAccepted))
	// Governance cannot give up its own role through the API either.
	govEntry := e.department(t, "gov")
	govEntry.Roles = []credential.Role{credential.RoleIssuer}
	expectProblem(t, e.do(t, "PUT", "/api/v1/departments/gov", gov, govEntry), http.StatusConflict)
}
