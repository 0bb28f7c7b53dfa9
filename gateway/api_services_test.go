package gateway_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/credential/demo"
	"github.com/certledger/certledger/gateway"
)

// employmentService is a service item the demo does not register.
func employmentService() map[string]any {
	return map[string]any{
		"nameZh": "就业登记", "nameEn": "Employment registration",
		"requesters": []string{"hrss", "samr"},
		"credentials": []map[string]any{
			{"type": "11100000MB0400018U001", "fields": []string{"occupation", "holder.name"}},
			{"type": "business-licence", "fields": []string{"companyName"}},
		},
	}
}

func (e *apiEnv) services(t *testing.T) []credential.Service {
	t.Helper()
	r := e.do(t, "GET", "/api/v1/services", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /services: %d %s", r.Status, r.Body)
	}
	var out struct{ Services []credential.Service }
	r.decode(t, &out)
	return out.Services
}

// Governance registers an item (201), replaces it (200) and anyone reads
// it back, as the contract stored it, in the list and on its own.
func TestServiceCatalogue(t *testing.T) {
	e := newAPIEnv(t)
	if got := len(e.services(t)); got != len(demo.Services()) {
		t.Fatalf("the demo catalogue has %d items, want %d", got, len(demo.Services()))
	}

	r := e.do(t, "PUT", "/api/v1/services/JYDJ-001", e.key("gov"), employmentService())
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var created struct{ Service credential.Service }
	r.decode(t, &created)
	want := credential.Service{Code: "JYDJ-001", NameZh: "就业登记", NameEn: "Employment registration", Requesters: []string{"hrss", "samr"},
		Credentials: []credential.ServiceCredential{
			{Type: "business-licence", Fields: []string{"companyName"}},
			{Type: "professional-qualification", Fields: []string{"holder.name", "occupation"}},
		}, UpdatedBy: demo.Governance}
	got := created.Service
	if got.UpdatedAt.IsZero() {
		t.Fatalf("no updatedAt: %+v", got)
	}
	got.UpdatedAt = want.UpdatedAt
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("created %+v\nwant    %+v", got, want)
	}

	// The answer of a GET can be sent back as it is, with a change.
	r = e.do(t, "GET", "/api/v1/services/JYDJ-001", "", nil)
	var one struct{ Service credential.Service }
	r.decode(t, &one)
	if r.Status != http.StatusOK || one.Service.NameEn != "Employment registration" {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	one.Service.Requesters = []string{"hrss"}
	r = e.do(t, "PUT", "/api/v1/services/JYDJ-001", e.key("gov"), one.Service)
	if r.Status != http.StatusOK {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	list := e.services(t)
	if len(list) != len(demo.Services())+1 {
		t.Fatalf("list has %d items", len(list))
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].Code >= list[i].Code {
			t.Fatalf("list not sorted by code: %s before %s", list[i-1].Code, list[i].Code)
		}
	}
	for _, s := range list {
		if s.Code == "JYDJ-001" && strings.Join(s.Requesters, ",") != "hrss" {
			t.Fatalf("update not in the list: %+v", s)
		}
	}
	expectReason(t, e.do(t, "GET", "/api/v1/services/NOSUCH-1", "", nil), http.StatusNotFound, string(credential.ReasonServiceNotFound))
}

func TestServiceCatalogueRefusals(t *testing.T) {
	e := newAPIEnv(t)
	cred := func(typ string, fields ...string) []map[string]any {
		return []map[string]any{{"type": typ, "fields": fields}}
	}
	cases := []struct {
		name, path, caller string
		body               any
		status             int
		pointers           []string // each optionally followed by its reason
	}{
		{"without key", "/api/v1/services/JYDJ-001", "", employmentService(), http.StatusUnauthorized, nil},
		{"as an issuer", "/api/v1/services/JYDJ-001", "hrss", employmentService(), http.StatusForbidden, nil},
		{"unknown member", "/api/v1/services/JYDJ-001", "gov", with(employmentService(), "purpose", "x"), http.StatusBadRequest, nil},
		{"lower-case path code", "/api/v1/services/jydj-001", "gov", employmentService(), http.StatusBadRequest, []string{"#/code invalid_service"}},
		{"codes differ", "/api/v1/services/JYDJ-001", "gov", with(employmentService(), "code", "JYDJ-002"), http.StatusBadRequest, []string{"#/code"}},
		{"unknown requester", "/api/v1/services/JYDJ-001", "gov", with(employmentService(), "requesters", []string{"hrss", "police"}),
			http.StatusBadRequest, []string{"#/requesters/1 department_not_found"}},
		{"no requesters", "/api/v1/services/JYDJ-001", "gov", with(employmentService(), "requesters", []string{}), http.StatusBadRequest, []string{"#/requesters"}},
		{"unknown type", "/api/v1/services/JYDJ-001", "gov", with(employmentService(), "credentials", cred("passport", "holder.name")),
			http.StatusBadRequest, []string{"#/credentials/0/type unknown_credential_type"}},
		{"field of another type", "/api/v1/services/JYDJ-001", "gov", with(employmentService(), "credentials", cred("diploma", "school", "companyName", "school")),
			http.StatusBadRequest, []string{"#/credentials/0/fields/1 invalid_service", "#/credentials/0/fields/2 invalid_service"}},
		{"no credentials", "/api/v1/services/JYDJ-001", "gov", with(employmentService(), "credentials", []any{}), http.StatusBadRequest, []string{"#/credentials"}},
		{"every name wrong", "/api/v1/services/JYDJ-001", "gov", with(employmentService(), "nameZh", "", "nameEn", " x"),
			http.StatusBadRequest, []string{"#/nameZh", "#/nameEn"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := ""
			if tc.caller != "" {
				key = e.key(tc.caller)
			}
			p := expectProblem(t, e.do(t, "PUT", tc.path, key, tc.body), tc.status)
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
		})
	}
	for _, s := range e.services(t) {
		if strings.HasPrefix(s.Code, "JYDJ") {
			t.Fatalf("a refused request registered %+v", s)
		}
	}
}

// Each catalogue read goes to the ledger, so anyone's reads spend the
// address's public budget; governance's write does not.
func TestServiceCatalogueReadsArePublicLimited(t *testing.T) {
	e, _ := limitedEnv(t, func(c *gateway.Config) { c.PublicLimit = gateway.RateLimit{Rate: 0.001, Burst: 2} })
	from := func(method, path, key string, body any) apiResponse {
		return e.do(t, method, path, key, body, "X-Forwarded-For", "203.0.113.7")
	}
	from("GET", "/api/v1/services", "", nil)
	from("GET", "/api/v1/services/"+demo.ServiceRealEstate, "", nil)
	expectReason(t, from("GET", "/api/v1/services/", "", nil), 429, "rate_limited")
	expectReason(t, from("GET", "/api/v1/services/"+demo.ServiceRealEstate, "", nil), 429, "rate_limited")
	if r := from("PUT", "/api/v1/services/JYDJ-001", e.key("gov"), employmentService()); r.Status != http.StatusCreated {
		t.Fatalf("governance write under a spent public budget: %d %s", r.Status, r.Body)
	}
}
